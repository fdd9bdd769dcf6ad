"""The bilingual sentences of a penalty line's explanation, apart from the arithmetic (pure).

Each function returns one ``Sentence``: the Chinese text and its English rendering, in the order a line lists
them. Amounts arrive already computed (``app.penalties.amounts``); only their wording lives here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.checklists.groups import ObjectRef
from app.penalties.amounts import yuan
from app.penalties.domain import Factor, FindingInput, Payer
from app.penalties.rule_spec import AmountSetting, Fixed
from app.vocabulary import ALERT_ZH

Sentence = tuple[str, str]  # (zh, en)

FACTOR_ZH = {
    "severity": "违法情节",
    "failed_items_in_case": "同案不合格项数",
    "repeat_offence": "两年内同类违法",
    "cooperation": "配合调查",
    "prompt_correction": "及时改正",
    "heavy_pollution_alert": "重污染天气预警",
}
UNIT_ZH = {
    "per_case": "起",
    "per_failed_measure": "项未落实措施",
    "per_machine": "台机械",
    "per_vehicle": "辆车",
    "per_fire_point": "个火点",
    "per_day": "日",
    "per_item_seized": "件物品",
}
UNIT_EN = {
    "per_case": "case(s)",
    "per_failed_measure": "failed measure(s)",
    "per_machine": "machine(s)",
    "per_vehicle": "vehicle(s)",
    "per_fire_point": "fire point(s)",
    "per_day": "day(s)",
    "per_item_seized": "item(s) seized",
}


def split(sentences: Iterable[Sentence]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(zh lines, en lines) of a list of sentences."""
    pairs = list(sentences)
    return tuple(zh for zh, _ in pairs), tuple(en for _, en in pairs)


def basis(refs: Iterable[str]) -> Sentence:
    joined = "；".join(refs)
    return f"依据：{joined}。", f"Basis: {joined}."


def payer_unresolved() -> Sentence:
    return (
        "缴纳方未确定（需先确定责任街道/乡镇或当事人）。",
        "Payer not resolved (responsible sub-district/town or party needed).",
    )


def party_kind_unknown() -> Sentence:
    return (
        "当事人为单位或个人未确定，幅度取决于此。",
        "Whether the party is an organisation or an individual is unknown; the range depends on it.",
    )


def finder_not_recorded() -> Sentence:
    return (
        "000§五(二)仅适用于国家、省、市环保督导组发现的问题；本次发现主体未记录，记录前不能出具。",
        "000§五(二) applies only to problems found by national/provincial/city supervision teams; "
        "the finder was not recorded: not issuable until it is.",
    )


def finder_unknown_charged_by_setting(source: str | None) -> Sentence:
    where = source or "?"
    return (
        f"发现主体未记录；依辖区（{where}）设置 discretion.charge_fiscal_when_finder_unknown 仍予扣缴。",
        f"Finder not recorded; charged anyway under the setting discretion.charge_fiscal_when_finder_unknown "
        f"of jurisdiction {where}.",
    )


def precondition_missing(zh: str, en: str) -> Sentence:
    return (
        f"法条要件未经认定：{zh}。须有记录该事实的检查项不合格后方可出具。",
        f"Precondition of the article not established: {en}. Not issuable until a checklist item recording it fails.",
    )


def count_not_recorded(unit: str) -> Sentence:
    return (
        f"检查员未记录数量（{UNIT_ZH[unit]}），须先记录查扣数量。",
        f"The inspector recorded no count ({UNIT_EN[unit]}); record the count first.",
    )


def unverified(source: str) -> Sentence:
    return (
        f"本规则未经核实（{source}），须管理员确认后方可引用。",
        f"Rule not verified ({source}); an admin must confirm it before it is cited.",
    )


def policy_fallback(note: str) -> Sentence:
    return f"政策设置回退：{note}。", f"Policy fallback: {note}."


def amount_to_be_set() -> Sentence:
    return (
        "金额由辖区设定，尚未设定：在管理员设定前不能出具。",
        "Amount to be set by the jurisdiction and not yet set: issuing is blocked until an admin sets it.",
    )


def first_offence_exempt() -> Sentence:
    # 行政处罚法第三十三条: 初次违法且危害后果轻微并及时改正的，可以不予行政处罚.
    return (
        "初次违法且危害后果轻微并及时改正，依行政处罚法第三十三条不予行政处罚（应进行教育）。",
        "First offence, slight harm, promptly corrected: no penalty under Administrative Penalty Law "
        "Art. 33 (the party is to be educated).",
    )


def discretion_factors(factors: Iterable[Factor]) -> Sentence:
    listed = list(factors)
    return (
        "裁量因素：" + "；".join(f"{FACTOR_ZH.get(f.name, f.name)}={f.level}（{f.effect}）" for f in listed) + "。",
        "Discretion factors: " + "; ".join(f"{f.name}={f.level} ({f.effect})" for f in listed) + ".",
    )


def alert_upper_end(alert: str) -> Sentence:
    # 003§一(二)3 "应急预警期间…上限处罚"; 003#38 orange and above "从严从重".
    return (
        f"重污染天气{ALERT_ZH.get(alert, alert)}预警期间，按上限处罚（003§一(二)3、003#38）。",
        f"{alert.capitalize()} heavy-pollution alert in force: upper end of the range (003§一(二)3, 003#38).",
    )


def range_position(lo: int, hi: int, position: int, per_unit: int) -> Sentence:
    return (
        f"法定幅度 {yuan(lo)}–{yuan(hi)} 元，裁量位置 {position}%，四舍五入取整到元：{yuan(per_unit)} 元。",
        f"Legal range {yuan(lo)}–{yuan(hi)} yuan, discretion position {position}%, "
        f"rounded half up to whole yuan: {yuan(per_unit)} yuan.",
    )


def capped(cap: int) -> Sentence:
    return f"合计超过上限，按上限 {yuan(cap)} 元计。", f"Total exceeds the cap; capped at {yuan(cap)} yuan."


def objects(group: Iterable[FindingInput]) -> Sentence | None:
    """The objects of repeatable groups the findings concern, each named once (第1台「挖掘机A」…)."""
    seen: dict[tuple[str, int], ObjectRef] = {}
    for f in group:
        if f.object_ref is not None:
            seen.setdefault((f.object_ref.group, f.object_ref.index), f.object_ref)
    if not seen:
        return None
    names = [seen[k].name() for k in sorted(seen)]
    return (
        f"涉及对象（{len(names)}）：" + "、".join(zh for zh, _ in names) + "。",
        f"Objects concerned ({len(names)}): " + ", ".join(en for _, en in names) + ".",
    )


def counted(units: int, unit: str, per_unit: int, total: int) -> Sentence:
    return (
        f"计数：{units} {UNIT_ZH[unit]} × {yuan(per_unit)} 元 = {yuan(total)} 元。",
        f"Count: {units} {UNIT_EN[unit]} × {yuan(per_unit)} yuan = {yuan(total)} yuan.",
    )


def payable_by(payer: Payer) -> Sentence:
    assert payer.name is not None
    charged = payer.type == "responsible_jurisdiction"
    who_zh = "责任单位" if charged else "当事人"
    who_en = "Charged to the responsible unit" if charged else "Payable by"
    return (
        f"{who_zh}：{payer.name}" + (f"（{payer.code}）" if payer.code else "") + "。",
        f"{who_en}: {payer.name}" + (f" ({payer.code})" if payer.code else "") + ".",
    )


def no_daily_penalty() -> Sentence:
    return "本规则不适用按日连续处罚。", "Daily continuous penalties do not apply to this rule."


def daily_penalty(
    refs: Iterable[str], order_date: date, reinspection_date: date, start: date, days: int, original: int, total: int
) -> list[Sentence]:
    """按日连续处罚 (大气污染防治法第一百二十三条): basis, the days counted and the amount."""
    joined = "；".join(refs)
    return [
        (f"按日连续处罚依据：{joined}。", f"Daily continuous penalty basis: {joined}."),
        (
            f"责令改正日 {order_date.isoformat()}，复查日 {reinspection_date.isoformat()} 仍未改正；"
            f"自次日 {start.isoformat()} 起计 {days} 日。",
            f"Ordered to correct on {order_date.isoformat()}, still failing at re-inspection on "
            f"{reinspection_date.isoformat()}; {days} day(s) counted from {start.isoformat()}.",
        ),
        (
            f"按照原处罚数额 {yuan(original)} 元 × {days} 日 = {yuan(total)} 元。",
            f"Original fine {yuan(original)} yuan × {days} day(s) = {yuan(total)} yuan.",
        ),
    ]


def measure(title_zh: str, title_en: str, units: int, unit: str) -> Sentence:
    return (f"措施：{title_zh}（{units} {UNIT_ZH[unit]}）。", f"Measure: {title_en} ({units} {UNIT_EN[unit]}).")


def override(before_fen: int, after_fen: int, reason: str) -> Sentence:
    return (
        f"审核人调整金额：{yuan(before_fen)} 元 → {yuan(after_fen)} 元；理由：{reason}",
        f"Supervisor override: {yuan(before_fen)} → {yuan(after_fen)} yuan; reason: {reason}",
    )


def amount_setting(setting: AmountSetting) -> Sentence:
    """Who set a `to_be_set` amount for the jurisdiction, per which document, when."""
    fixed = setting.amount
    amount = f"{yuan(fixed.fen)} 元" if isinstance(fixed, Fixed) else f"{yuan(fixed.min_fen)}–{yuan(fixed.max_fen)} 元"
    return (
        f"金额由辖区（{setting.jurisdiction_code}）设定：{amount}，依据 {setting.document_ref}，"
        f"设定人 {setting.set_by}，设定时间 {setting.set_at}。",
        f"Amount set by the jurisdiction ({setting.jurisdiction_code}): {amount.replace('元', 'yuan')}, "
        f"per {setting.document_ref}, set by {setting.set_by} at {setting.set_at}.",
    )


def override_carried(computation_id: int, by: str | None, at: str | None, amount_fen: int) -> Sentence:
    """A supervisor's override kept through a recompute (``app.penalties.carry``)."""
    who_zh, who_en = by or "未记录", by or "unrecorded"
    when = at or "—"
    if amount_fen == 0:
        fits_zh, fits_en = "仍为不予行政处罚（行政处罚法第三十三条）", "still no penalty (行政处罚法第三十三条)"
    else:
        fits_zh, fits_en = "仍在本次计算的法定幅度内", "still within this computation's legal range"
    return (
        f"该调整沿用自第 {computation_id} 号计算（审核人 {who_zh}，{when}），{fits_zh}。",
        f"Override carried over from computation {computation_id} (by {who_en} at {when}); {fits_en}.",
    )
