"""Which checklist items apply at a site today, and why.

Pure module (no Flask, no SQLAlchemy). ``resolve_checklist(checklist, context)`` is what
``GET /api/v1/sites/{id}/checklist`` serves.

Context (the data every ``applies_when`` JSON Logic condition is evaluated over)::

    {
      "site": {"kind": "construction_site", "attributes": {"floor_area_m2": 6000, ...}},
      "zones": ["built_up_area", "fireworks_ban", "fuel_ban", "nrmm_control", "industrial_cluster"],  # those containing the site
      "date": "2024-11-20",            # inspection date, Asia/Shanghai
      "month": 11,                     # derived from date when absent
      "alert_level": "none" | "blue" | "yellow" | "orange" | "red",
      "alert_rank": 0..4,              # derived from alert_level when absent
      "jurisdictions": ["410811", "410800", "410000"],   # GB/T 2260 codes of the site's jurisdiction chain
      "params": {"monitoring_min_floor_area_m2": 5000}   # optional: jurisdiction-configured parameter values
    }

Site attribute names are those of ``checklists/site_kinds.yaml``. A checklist applies only when the site
kind is one of its ``site_kinds``, its ``jurisdictions`` is "all" or intersects the chain, and the date
lies within ``effective``. An item whose condition reads a jurisdiction parameter that is still unset is
listed as applicable (fail-safe) with ``unset_parameters`` naming what the jurisdiction must set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date as _date
from typing import Any

from json_logic import jsonLogic

from app.checklists.conditions import answer_refs, iter_vars
from app.checklists.groups import condition_answers, expand_checklist
from app.checklists.scope import covering_parts, item_scope, scope_because, scope_not_here
from app.checklists.site_kinds import load_site_kinds
from app.checklists.spec import ChecklistSpec
from app.errors import FieldError, ValidationFailed
from app.vocabulary import ALERT_RANK

HEADER_FIELDS = (
    "key",
    "version",
    "title",
    "description",
    "variant",
    "site_kinds",
    "jurisdictions",
    "effective",
    "sources",
    "sections",
    "groups",
)
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

_CONTEXT_LABELS = {
    "date": ("日期", "date"),
    "month": ("月份", "month"),
    "alert_level": ("重污染天气预警级别", "heavy-pollution alert level"),
    "alert_rank": ("重污染天气预警级别", "heavy-pollution alert level"),
    "jurisdictions": ("辖区", "jurisdiction"),
    "site.kind": ("场所类别", "site kind"),
    "zones": ("所在区域", "zones"),
}
_ALERT_NAMES = {
    0: ("无预警", "no alert"),
    1: ("蓝色预警", "blue alert"),
    2: ("黄色预警", "yellow alert"),
    3: ("橙色预警", "orange alert"),
    4: ("红色预警", "red alert"),
}
_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "===": "=", "!=": "≠", "!==": "≠"}


def normalise_context(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate the context and fill derived fields (month, alert_rank). Raises ValidationFailed."""
    errors: list[FieldError] = []
    ctx = dict(context or {})
    site = ctx.get("site")
    if not isinstance(site, dict) or not isinstance(site.get("kind"), str):
        errors.append(FieldError("context.site.kind", "required", "缺少场所类别", "site kind is required"))
        site = {"kind": "", "attributes": {}}
    ctx["site"] = {"kind": site.get("kind"), "attributes": dict(site.get("attributes") or {})}
    ctx["zones"] = list(ctx.get("zones") or [])
    ctx["jurisdictions"] = [str(c) for c in (ctx.get("jurisdictions") or [])]
    d = ctx.get("date")
    if not isinstance(d, str) or not _DATE_RE.match(d):
        errors.append(FieldError("context.date", "invalid_date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"))
    else:
        try:
            ctx.setdefault("month", _date.fromisoformat(d).month)
        except ValueError:
            errors.append(FieldError("context.date", "invalid_date", "日期无效", "date is not a valid day"))
    level = ctx.get("alert_level") or "none"
    if level not in ALERT_RANK:
        errors.append(
            FieldError(
                "context.alert_level", "invalid_choice", f"未知预警级别：{level}", f"unknown alert level: {level}"
            )
        )
    ctx["alert_level"] = level
    ctx.setdefault("alert_rank", ALERT_RANK.get(level, 0))
    ctx["params"] = dict(ctx.get("params") or {})
    if "answers" in ctx:  # at submission: the inspection's answers, for conditions on other answers
        ctx["answers"] = {str(k): dict(v) for k, v in (ctx.get("answers") or {}).items() if isinstance(v, Mapping)}
    if errors:
        raise ValidationFailed("上下文无效", "Invalid checklist context", errors=errors)
    return ctx


def checklist_applies(checklist: ChecklistSpec, ctx: Mapping[str, Any]) -> tuple[bool, list[dict[str, str]]]:
    """Whether the checklist as a whole applies (site kind, jurisdiction, effective dates); when not, the
    reasons (zh/en). ``ctx`` is a ``normalise_context`` result."""
    reasons: list[dict[str, str]] = []
    if ctx["site"]["kind"] not in checklist.site_kinds:
        reasons.append(
            {
                "zh": f"场所类别 {ctx['site']['kind']} 不在本检查表适用范围内",
                "en": f"site kind {ctx['site']['kind']} is not covered by this checklist",
            }
        )
    jur = checklist.jurisdictions
    if jur is not None and not set(jur) & set(ctx["jurisdictions"]):
        reasons.append(
            {"zh": "场所所在辖区不适用本检查表", "en": "the site's jurisdiction is not covered by this checklist"}
        )
    since, until = checklist.effective_from, checklist.effective_to
    if since and ctx["date"] < since:
        reasons.append({"zh": f"检查表自 {since} 起施行", "en": f"checklist in force from {since}"})
    if until and ctx["date"] > until:
        reasons.append({"zh": f"检查表施行至 {until}", "en": f"checklist in force until {until}"})
    return not reasons, reasons


# ------------------------------------------------------------------------------------- explanations


class _Labels:
    """Bilingual names of zones, site attributes and context variables, for ``applies_because``."""

    def __init__(self, vocabulary: Mapping[str, Any]):
        self.zones: dict[str, dict[str, str]] = vocabulary.get("zones", {})
        self.attrs: dict[str, tuple[str, str]] = {}
        for kind in vocabulary.get("kinds", {}).values():
            for name, spec in kind.get("attributes", {}).get("properties", {}).items():
                lab = spec.get("x-label") or {}
                self.attrs.setdefault(name, (lab.get("zh", name), lab.get("en", name)))

    def var(self, name: str) -> tuple[str, str]:
        if name.startswith("site.attributes."):
            return self.attrs.get(name[16:], (name[16:], name[16:]))
        if name.startswith("params."):
            return (f"辖区参数 {name[7:]}", f"jurisdiction parameter {name[7:]}")
        return _CONTEXT_LABELS.get(name, (name, name))


def _lit(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _var_name(node: Any) -> str | None:
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        v = node["var"]
        v = v[0] if isinstance(v, list) and v else v
        return str(v)
    return None


def _describe_not(inner: Any, data: dict[str, Any], labels: _Labels) -> tuple[str, str]:
    if isinstance(inner, dict) and "in" in inner:
        needle, hay = inner["in"]
        if _var_name(hay) == "zones" and isinstance(needle, str):
            z = labels.zones.get(needle, {"zh": needle, "en": needle})
            return (f"不在{z['zh']}内", f"outside the {z['en']}")
    n = _var_name(inner)
    if n:
        zh, en = labels.var(n)
        return (f"非“{zh}”", f"not '{en}'")
    zh, en = _describe(inner, data, labels)
    return (f"并非（{zh}）", f"not ({en})")


def _describe_in(needle: Any, hay: Any, data: dict[str, Any], labels: _Labels) -> tuple[str, str] | None:
    hn, nn = _var_name(hay), _var_name(needle)
    if hn == "zones" and isinstance(needle, str):
        z = labels.zones.get(needle, {"zh": needle, "en": needle})
        return (f"位于{z['zh']}内", f"lies in the {z['en']}")
    if hn == "jurisdictions":
        return (f"属于辖区 {needle}", f"within jurisdiction {needle}")
    if hn:
        zh, en = labels.var(hn)
        return (f"{zh}包含 {needle}", f"{en} includes {needle}")
    if nn:
        zh, en = labels.var(nn)
        val = jsonLogic(needle, data)
        return (f"{zh}为 {_lit(val)}", f"{en} is {_lit(val)}")
    return None


def _describe_comparison(op: str, args: list[Any], data: dict[str, Any], labels: _Labels) -> tuple[str, str]:
    """``a ≥ b`` etc. with the site's actual values; alert ranks named by their colour."""
    rendered_zh, rendered_en = [], []
    for a in args:
        n = _var_name(a)
        if n:
            zh, en = labels.var(n)
            val = jsonLogic(a, data)
            if n == "alert_rank" and isinstance(val, int):
                vz, ve = _ALERT_NAMES.get(val, (str(val), str(val)))
                rendered_zh.append(f"{zh}（当前{vz}）")
                rendered_en.append(f"{en} (now {ve})")
            else:
                rendered_zh.append(f"{zh}（{_lit(val)}）")
                rendered_en.append(f"{en} ({_lit(val)})")
        elif any(_var_name(x) == "alert_rank" for x in args) and isinstance(a, int):
            vz, ve = _ALERT_NAMES.get(a, (str(a), str(a)))
            rendered_zh.append(vz)
            rendered_en.append(ve)
        else:
            rendered_zh.append(_lit(a))
            rendered_en.append(_lit(a))
    sym = _OPS[op]
    return (f" {sym} ".join(rendered_zh), f" {sym} ".join(rendered_en))


def _describe(cond: Any, data: dict[str, Any], labels: _Labels) -> tuple[str, str]:
    """Describe the parts of a (true) condition in zh/en, showing the site's actual values."""
    if not isinstance(cond, dict) or len(cond) != 1:
        return (_lit(cond), _lit(cond))
    ((op, args),) = cond.items()
    args = args if isinstance(args, list) else [args]
    if op == "and":
        parts = [_describe(a, data, labels) for a in args]
        return ("；且".join(p[0] for p in parts), "; and ".join(p[1] for p in parts))
    if op == "or":
        parts = [_describe(a, data, labels) for a in args if _truthy(a, data)]
        return ("；".join(p[0] for p in parts), "; ".join(p[1] for p in parts))
    if op == "!":
        return _describe_not(args[0], data, labels)
    if op == "!!":
        n = _var_name(args[0])
        if n:
            zh, en = labels.var(n)
            return (f"{zh}：是", f"{en}: yes")
    if op == "in" and len(args) == 2:
        described = _describe_in(args[0], args[1], data, labels)
        if described is not None:
            return described
    if op in _OPS and len(args) in (2, 3):
        return _describe_comparison(op, args, data, labels)
    text = json.dumps(cond, ensure_ascii=False)
    return (f"条件成立：{text}", f"condition holds: {text}")


def _truthy(cond: Any, data: dict[str, Any]) -> bool:
    result = jsonLogic(cond, data)
    return bool(result) and result != [] and result != ""


def _unset_params(cond: Any, data: dict[str, Any]) -> list[str]:
    names = []
    for name, relative in iter_vars(cond):
        if not relative and name.startswith("params.") and data["params"].get(name[7:]) is None:
            names.append(name[7:])
    return sorted(set(names))


def _resolve_items(checklist: ChecklistSpec, data: dict[str, Any], labels: _Labels, out: dict[str, Any]) -> None:
    """Sort the items into ``out["items"]`` (applicable, with reasons) and ``out["not_applicable"]``.

    An item first needs a source with force at the site on the day (``scope``: its plans' jurisdictions and
    periods, or a law it names); then its ``applies_when`` condition decides."""
    for item in checklist.items:
        parts = item_scope(checklist, item)
        covering = covering_parts(parts, data["jurisdictions"], data["date"])
        scope = [p.to_dict() for p in parts]
        if not covering:
            out["not_applicable"].append(
                {"key": item.key, "applies_when": item.applies_when, "scope": scope, "reason": scope_not_here(parts)}
            )
            continue
        item = replace(item, doc={**item.doc, "scope": scope, "scope_because": scope_because(covering)})
        cond = item.applies_when
        if cond is None or cond is True:
            out["items"].append(
                {
                    **item.doc,
                    "applies_when": None,
                    "applies_because": {"zh": "所有此类场所均适用", "en": "applies to every site of this kind"},
                }
            )
            continue
        pending = answer_refs(cond)
        if pending and "answers" not in data:
            # Depends on answers not given yet (serving the checklist): listed, and the phone evaluates the
            # same JSON Logic over its answers; the server re-evaluates it over the answers at submission.
            out["items"].append(
                {
                    **item.doc,
                    "depends_on_answers": pending,
                    "applies_because": {
                        "zh": f"视对 {', '.join(pending)} 的回答而定",
                        "en": f"depends on the answer(s) to {', '.join(pending)}",
                    },
                }
            )
            continue
        unset = _unset_params(cond, data)
        if unset:
            out["items"].append(
                {
                    **item.doc,
                    "unset_parameters": unset,
                    "applies_because": {
                        "zh": f"辖区参数 {', '.join(unset)} 尚未设定，暂按适用列入",
                        "en": f"jurisdiction parameter(s) {', '.join(unset)} not set yet; listed as applicable",
                    },
                }
            )
            continue
        if _truthy(cond, data):
            zh, en = _describe(cond, data, labels)
            out["items"].append({**item.doc, "applies_because": {"zh": zh, "en": en}})
        else:
            out["not_applicable"].append({"key": item.key, "applies_when": cond, "scope": scope})


def resolve_checklist(
    checklist: ChecklistSpec, context: Mapping[str, Any], *, vocabulary: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The checklist as it applies at one site on one day.

    Returns the checklist header plus:
    - ``applies``: whether the checklist applies at all, with ``reasons_not_applicable`` when not;
    - ``parameters``: effective parameter values (checklist defaults overlaid by ``context.params``);
    - ``items``: applicable items (full item data) each with ``applies_because`` {zh, en} and the raw
      ``applies_when`` (absent = always); ``unset_parameters`` when a needed jurisdiction parameter is unset;
    - ``not_applicable``: ``[{"key", "applies_when"}]`` for the other items, so a phone can re-evaluate
      offline (e.g. when the alert level changes).
    ``vocabulary`` is ``site_kinds.yaml`` (labels of zones and attributes); default: the shipped file.
    """
    ctx = normalise_context(context)
    labels = _Labels(vocabulary if vocabulary is not None else load_site_kinds())
    params = {p.name: p.default for p in checklist.parameters}
    params.update({k: v for k, v in ctx["params"].items() if v is not None})
    data = {**ctx, "params": params}
    if checklist.groups:
        # Repeatable groups: each group's items once per object the answers name (at least ``min``), each object's
        # conditions reading its own answers (app/checklists/groups.py).
        checklist = ChecklistSpec.from_doc(expand_checklist(checklist.doc, (ctx.get("answers") or {}).keys()))
    if "answers" in ctx:
        data["answers"] = condition_answers(ctx["answers"])

    out: dict[str, Any] = {f: checklist.doc[f] for f in HEADER_FIELDS if f in checklist.doc}
    out["parameters"] = params
    applies, reasons = checklist_applies(checklist, ctx)
    out["applies"] = applies
    out["items"] = []
    out["not_applicable"] = []
    if not applies:
        out["reasons_not_applicable"] = reasons
        out["not_applicable"] = [{"key": i.key, "applies_when": i.applies_when} for i in checklist.items]
        return out
    _resolve_items(checklist, data, labels, out)
    if checklist.sections:  # display order: by section, then as written
        order = {key: i for i, (key, _) in enumerate(checklist.sections)}
        out["items"].sort(key=lambda i: order.get(i.get("section"), len(order)))
    return out
