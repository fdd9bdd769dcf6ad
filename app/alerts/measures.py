"""PURE: the measures of a site's reduction-list entry that apply, and the checklist items they become.

No Flask, no SQLAlchemy. Each measure in force becomes one ``check`` item worded from the measure
("2号生产线应停产"), with the evidence it needs and the penalty rules the law or a plan gives for failing it.
Items have the shape of resolved checklist items (``applies_because`` included), keyed ``alert.m<id>``, so the
phone answers them like any other item and submission evaluates them the same way.

Sources:
- 000#35, 002#34, 003#36: measures down to the production line, process link and facility ("一厂一策"),
  "可操作、可监测、可核查".
- 000#27: a firm (or process) that fully substituted low-VOC materials "在重污染天气应急管控期间可实施自主减排";
  A-grade and 引领性 firms likewise take self-determined reductions (Henan grading practice; alerts.md §3.2).
  Such a site gets one item checking that status (its "一厂一策" sign posted, 003#36) instead of the
  listed stop/limit measures.
- 003#37, 002#35: no diesel trucks in or out at orange and above (China V+ excepted); gate records (000#15,
  002#14) are the evidence.
- 003#39–40, 000#37: staggered production (错峰生产) by date range.
- Penalties: Air Law Art. 121¶2 (fine.air_law_121_refuse_alert_works_stop) for stopping earthworks/demolition
  and site machinery (the article's own words); for other refused alert measures the article's "等" is not
  confirmed to reach industrial firms (alerts.md §4.2), so ``fine.air_law_121_refuse_alert_measure`` is an
  unverified rule an admin must confirm; 000§五(二) fiscal deduction for a firm that does not stop or limit
  production (fiscal.production_control_not_done). Upper-end discretion during an alert (003#3, 003#38)
  is the penalty engine's, from the server's alert level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from app.vocabulary import ALERT_ZH

ITEM_PREFIX: Final = "alert.m"
TRIGGERS: Final = ("yellow", "orange", "red", "staggered")
GRADES: Final = ("A", "B", "B-", "C", "D", "引领性", "非引领性", "未分级")
#: Grades whose firms take self-determined reductions (自主减排).
SELF_REDUCTION_GRADES: Final = frozenset({"A", "引领性"})

WORKS_FINE: Final = "fine.air_law_121_refuse_alert_works_stop"
ALERT_MEASURE_FINE: Final = "fine.air_law_121_refuse_alert_measure"
PRODUCTION_DEDUCTION: Final = "fiscal.production_control_not_done"


@dataclass(frozen=True)
class MeasureKind:
    key: str
    label_zh: str  # the spreadsheet's word for it
    evidence: dict[str, Any]
    evidence_zh: str
    evidence_en: str
    penalties: tuple[str, ...]
    sources: tuple[str, ...]
    needs_target: bool = False
    needs_percent: bool = False


MEASURE_KINDS: Final[dict[str, MeasureKind]] = {
    k.key: k
    for k in (
        MeasureKind(
            "stop_line",
            "停产",
            {"always": True, "min_photos": 2},
            "停运生产线/设施现场照片、用电量记录（003#35）",
            "photos of the stopped line or facility, electricity records (003#35)",
            (PRODUCTION_DEDUCTION, ALERT_MEASURE_FINE),
            ("000#35", "003#36"),
            needs_target=True,
        ),
        MeasureKind(
            "limit_output",
            "限产",
            {"always": True, "min_photos": 1},
            "生产台账、用电量记录，限产比例按清单基准产能核算",
            "production ledger and electricity records, the cut measured against the list's baseline capacity",
            (PRODUCTION_DEDUCTION, ALERT_MEASURE_FINE),
            ("000#35", "003#35"),
            needs_percent=True,
        ),
        MeasureKind(
            "no_road_freight",
            "停止公路运输",
            {"always": True, "min_photos": 1},
            "预警期间门禁系统进出记录及视频（保留三个月以上，003#37）",
            "gate-system entry records and video for the alert period (kept three months, 003#37)",
            (ALERT_MEASURE_FINE,),
            ("002#35", "003#37", "002#14"),
        ),
        MeasureKind(
            "trucks_china5_plus",
            "国五及以上车辆运输",
            {"always": True, "min_photos": 1},
            "预警期间门禁系统进出记录、柴油货车进出台账（003#37、000#15）",
            "gate-system records and the diesel-truck log for the alert period (003#37, 000#15)",
            (ALERT_MEASURE_FINE,),
            ("003#37", "002#35", "000#15"),
        ),
        MeasureKind(
            "stop_nrmm",
            "停用非道路移动机械",
            {"photos_when_failed": True, "min_photos": 1},
            "在用非道路移动机械照片",
            "photos of machinery in use",
            (WORKS_FINE,),
            ("002#35",),
        ),
        MeasureKind(
            "no_outdoor_spraying",
            "停止露天喷涂",
            {"photos_when_failed": True, "min_photos": 1},
            "露天喷涂、粉刷作业照片",
            "photos of outdoor spraying or painting",
            (ALERT_MEASURE_FINE,),
            ("000#35",),
        ),
        MeasureKind(
            "no_earthworks",
            "停止土石方作业",
            {"photos_when_failed": True, "min_photos": 2},
            "土石方作业、拆除施工现场照片",
            "photos of earthworks or demolition under way",
            (WORKS_FINE,),
            ("大气污染防治法第九十六条", "大气污染防治法第一百二十一条第二款"),
        ),
        MeasureKind(
            "autonomous",
            "自主减排",
            {"always": True, "min_photos": 1},
            "“一厂一策”公示牌照片，排放不高于预警前（在线监测或台账）",
            "photo of the posted one-plant-one-policy sign; emissions not above the pre-alert level",
            (),
            ("000#27", "003#36"),
        ),
    )
}
KIND_BY_LABEL: Final[dict[str, str]] = {k.label_zh: k.key for k in MEASURE_KINDS.values()}


@dataclass(frozen=True)
class MeasureSpec:
    id: int
    trigger: str  # yellow | orange | red | staggered
    kind: str
    source: str
    target: str | None = None
    percent: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class EntrySpec:
    """A site's entry on the list version in force, with the list's identity for citations."""

    site_id: int
    grade: str
    industry: str
    low_voc_substituted: bool
    list_title: str
    list_version: str
    list_doc_ref: str
    illustrative: bool
    measures: tuple[MeasureSpec, ...]

    @property
    def self_reduction(self) -> bool:
        """000#27 (full low-VOC substitution) or an A/引领性 grade: 自主减排 instead of listed cuts."""
        return self.low_voc_substituted or self.grade in SELF_REDUCTION_GRADES


def is_alert_item_key(key: str) -> bool:
    """Answer keys the phone may send besides the checklist's own items."""
    return key.startswith(ITEM_PREFIX) and key[len(ITEM_PREFIX) :].isdigit()


def measures_in_force(entry: EntrySpec, level: str, on: date) -> list[MeasureSpec]:
    """The entry's measures for ``level`` exactly (a list gives each level's measures in full) and its
    staggered-production measures whose period contains ``on``."""
    out = []
    for m in entry.measures:
        if m.trigger == "staggered":
            if m.starts_on is not None and m.ends_on is not None and m.starts_on <= on <= m.ends_on:
                out.append(m)
        elif m.trigger == level:
            out.append(m)
    return out


def _period(m: MeasureSpec) -> tuple[str, str]:
    if m.trigger == "staggered":
        return (
            f"错峰生产期间（{m.starts_on}至{m.ends_on}）",
            f"During staggered production ({m.starts_on} to {m.ends_on})",
        )
    zh = ALERT_ZH.get(m.trigger, m.trigger)
    return f"{zh}预警期间", f"During a {m.trigger} alert"


def measure_prompt(m: MeasureSpec) -> tuple[str, str]:
    """The item's wording, from the measure."""
    pz, pe = _period(m)
    target = m.target or ""
    if m.kind == "stop_line":
        return f"{target}应停产", f"{target}: must be stopped ({pe.lower()})"
    if m.kind == "limit_output":
        who = target or "全厂"
        return (
            f"{pz}{who}限产{m.percent}%（按清单基准产能）",
            f"{pe}: {target or 'the plant'} output cut by {m.percent}% (against the list's baseline)",
        )
    if m.kind == "no_road_freight":
        return f"{pz}停止柴油货车公路运输，不得进出厂区", f"{pe}: no diesel trucks in or out"
    if m.kind == "trucks_china5_plus":
        return f"{pz}禁止国四及以下柴油货车进出", f"{pe}: no China IV or older diesel trucks in or out"
    if m.kind == "stop_nrmm":
        return f"{pz}停止使用非道路移动机械", f"{pe}: non-road mobile machinery stopped"
    if m.kind == "no_outdoor_spraying":
        return f"{pz}停止露天喷涂、粉刷作业", f"{pe}: no outdoor spraying or painting"
    if m.kind == "no_earthworks":
        return f"{pz}停止土石方作业和建筑物拆除施工", f"{pe}: earthworks and demolition stopped"
    return f"{pz}按“一厂一策”落实自主减排", f"{pe}: self-determined reductions per the plant's plan"


def _item(m: MeasureSpec, entry: EntrySpec, *, exempted: Sequence[MeasureSpec] = ()) -> dict[str, Any]:
    kind = MEASURE_KINDS[m.kind]
    zh, en = measure_prompt(m)
    list_ref = f"{entry.list_title}（{entry.list_doc_ref}，{entry.list_version}版）"
    because_zh = f"{_period(m)[0]}，场所列入{list_ref}，绩效分级{entry.grade}"
    because_en = f"{_period(m)[1].lower()}, the site is on {list_ref}, grade {entry.grade}"
    if entry.illustrative:
        because_zh += "（演示用示例清单，非真实清单）"
        because_en += " (illustrative demo list, not a real list)"
    item: dict[str, Any] = {
        "key": f"{ITEM_PREFIX}{m.id}",
        "prompt": {"zh": zh, "en": en},
        "kind": "check",
        "severity": "critical" if m.kind != "autonomous" else "high",
        "source": [m.source, *kind.sources],
        "evidence": dict(kind.evidence),
        "penalties": list(kind.penalties),
        "guidance": {"zh": f"证据：{kind.evidence_zh}", "en": f"Evidence: {kind.evidence_en}"},
        "applies_because": {"zh": because_zh, "en": because_en},
        "alert_measure": {
            "id": m.id,
            "trigger": m.trigger,
            "kind": m.kind,
            "target": m.target,
            "percent": m.percent,
            "source": m.source,
            "list_version": entry.list_version,
            "illustrative": entry.illustrative,
        },
    }
    if exempted:
        item["alert_measure"]["replaces"] = [x.id for x in exempted]
        item["applies_because"] = {
            "zh": because_zh + "；自主减排（000#27、003#36），清单所列停限产措施不逐项检查",
            "en": because_en + "; self-determined reductions (000#27, 003#36) replace the listed cuts",
        }
    return item


def alert_items(entry: EntrySpec, level: str, on: date) -> list[dict[str, Any]]:
    """One item per measure in force; a self-reducing site (000#27, 003#36) gets one 自主减排 item instead."""
    active = measures_in_force(entry, level, on)
    if not active:
        return []
    if entry.self_reduction:
        own = next((m for m in active if m.kind == "autonomous"), None)
        first = own or active[0]
        anchor = MeasureSpec(
            first.id, first.trigger, "autonomous", first.source, starts_on=first.starts_on, ends_on=first.ends_on
        )
        return [_item(anchor, entry, exempted=[m for m in active if m.kind != "autonomous"])]
    return [_item(m, entry) for m in active]


def append_items(resolved_checklists: list[dict[str, Any]], items: Sequence[dict[str, Any]]) -> None:
    """Add the measure items to every applicable resolved checklist (whichever one the inspector uses,
    the listed measures are checked: 003#4 "日常监督检查和督查要首先核对全口径清单")."""
    if not items:
        return
    for checklist in resolved_checklists:
        if checklist.get("applies"):
            checklist["items"] = [*checklist.get("items", []), *items]
