"""Server-side evaluation of one answer against one checklist item.

Pure module (no Flask, no SQLAlchemy). The server never trusts the phone's verdict for measure, choice,
code and count items: it recomputes it here. For ``check`` items the inspector's verdict *is* the
observation. Errors carry paths ``answers.<item_key>.<field>`` so submission can list them all.

Answer shape::

    {"verdict"?: "pass"|"fail"|"na", "values"?: [numbers], "unit"?: str, "code"?: str, "choice"?: str,
     "count"?: int, "text"?: str, "photos"?: [uuid strings]}

Comparisons (``limit.comparison`` = how a reading must relate to the limit to PASS): ``le`` 不高于/不超过,
``lt`` 低于, ``ge`` 不低于, ``gt`` 高于. ``readings.combine``: ``all`` every reading must pass; ``mean`` the
mean is compared; ``max`` the largest reading is compared. A missing ``unit`` is taken as the item's unit.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeGuard

from app.checklists.spec import CodeFormat, Comparison, ItemSpec, Limit
from app.errors import FieldError

VERDICTS = ("pass", "fail", "incomplete")
_CMP_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


@dataclass(frozen=True)
class Evaluation:
    verdict: str  # pass | fail | incomplete
    errors: list[FieldError] = field(default_factory=list)
    explanation: dict[str, str] = field(default_factory=dict)  # {"zh": ..., "en": ...}
    not_applicable: bool = False  # check item answered "na" (recorded as pass)
    value: float | None = None  # the combined measured value compared with the limit

    @property
    def failed(self) -> bool:
        return self.verdict == "fail"


def passes(value: float, comparison: Comparison, limit: float) -> bool:
    """Whether ``value`` relates to ``limit`` as ``comparison`` requires to PASS."""
    # Compare as Decimal of the printed values so 0.1+0.2-style float noise cannot flip a verdict at the limit.
    v, lim = Decimal(repr(value)), Decimal(repr(limit))
    return {"lt": v < lim, "le": v <= lim, "gt": v > lim, "ge": v >= lim}[comparison]


def _fmt(x: float) -> str:
    return f"{x:g}"


def _is_number(x: Any) -> TypeGuard[int | float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _e(key: str, field_: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(f"answers.{key}.{field_}" if field_ else f"answers.{key}", code, zh, en)


def resolve_limit(limit: Limit, params: Mapping[str, Any] | None) -> float | None:
    """The limit's number: fixed by the plan, or the jurisdiction's parameter value (None while unset)."""
    if limit.param is not None:
        got = (params or {}).get(limit.param)
        return float(got) if _is_number(got) else None
    return limit.value


Explanation = dict[str, str]  # {"zh": ..., "en": ...}


def _reading_errors(item: ItemSpec, answer: Mapping[str, Any], errors: list[FieldError]) -> Explanation | None:
    """Check a measure answer's unit and readings; the explanation when the readings cannot be compared."""
    assert item.unit is not None and item.readings is not None and item.range is not None  # schema: measure
    key, unit, rng = item.key, item.unit, item.range
    values = answer.get("values")
    if answer.get("unit") not in (None, unit):
        errors.append(
            _e(
                key,
                "unit",
                "unit_mismatch",
                f"单位应为 {unit}，收到 {answer.get('unit')}",
                f"unit must be {unit}, got {answer.get('unit')}",
            )
        )
    if not isinstance(values, list) or not values:
        errors.append(_e(key, "values", "readings_missing", "缺少测量读数", "measured readings are missing"))
        return {"zh": "缺少测量读数", "en": "no readings"}
    if any(not _is_number(v) for v in values):
        errors.append(_e(key, "values", "not_a_number", "读数必须是数字", "readings must be numbers"))
        return {"zh": "读数无效", "en": "invalid readings"}
    if len(values) < item.readings.min_count:
        errors.append(
            _e(
                key,
                "values",
                "too_few_readings",
                f"至少需要 {item.readings.min_count} 个读数，收到 {len(values)} 个",
                f"at least {item.readings.min_count} readings required, got {len(values)}",
            )
        )
    implausible = [v for v in values if not rng.min <= v <= rng.max]
    if implausible:
        errors.append(
            _e(
                key,
                "values",
                "implausible_value",
                f"读数 {', '.join(map(_fmt, implausible))} 超出合理范围 {_fmt(rng.min)}–{_fmt(rng.max)} {unit}",
                f"reading(s) {', '.join(map(_fmt, implausible))} outside plausible range {_fmt(rng.min)}–{_fmt(rng.max)} {unit}",
            )
        )
    return None


def _evaluate_measure(
    item: ItemSpec, answer: Mapping[str, Any], params: Mapping[str, Any] | None, errors: list[FieldError]
) -> tuple[str, Explanation, float | None]:
    assert item.unit is not None and item.readings is not None  # schema: measure
    key, unit = item.key, item.unit
    unusable = _reading_errors(item, answer, errors)
    if unusable is not None:
        return "incomplete", unusable, None
    values: list[float] = answer["values"]
    if item.limit is None:
        # A recorded reading (no limit): it decides which group items apply (e.g. a tank's vapour pressure band,
        # 003#15(4)) and passes.
        if errors:
            return "incomplete", {"zh": "读数不完整或无效", "en": "readings incomplete or invalid"}, None
        shown = ", ".join(map(_fmt, values))
        return "pass", {"zh": f"记录读数 {shown} {unit}", "en": f"reading(s) recorded: {shown} {unit}"}, max(values)
    limit = resolve_limit(item.limit, params)
    if limit is None:
        errors.append(
            _e(
                key,
                "",
                "limit_not_configured",
                "该项限值须由辖区设定，尚未设定",
                "this item's limit must be set by the jurisdiction and is not set yet",
            )
        )
        return "incomplete", {"zh": "限值未设定", "en": "limit not configured"}, None
    if errors:
        return "incomplete", {"zh": "读数不完整或无效", "en": "readings incomplete or invalid"}, None
    cmp_ = item.limit.comparison
    sym = _CMP_SYMBOL[cmp_]
    lim_txt = f"{_fmt(limit)} {unit}"
    combine = item.readings.combine
    if combine == "all":
        failing = [v for v in values if not passes(v, cmp_, limit)]
        verdict = "fail" if failing else "pass"
        worst = max(values) if cmp_ in ("lt", "le") else min(values)
        return (
            verdict,
            {
                "zh": f"{len(values)} 个读数中 {len(failing)} 个不满足 {sym} {lim_txt}（{item.limit.wording_zh}）",
                "en": f"{len(failing)} of {len(values)} readings fail {sym} {lim_txt}",
            },
            worst,
        )
    combined = sum(values) / len(values) if combine == "mean" else max(values)
    verdict = "pass" if passes(combined, cmp_, limit) else "fail"
    what_zh, what_en = ("平均值", "mean") if combine == "mean" else ("最大值", "maximum")
    ok_zh, ok_en = ("满足", "meets") if verdict == "pass" else ("不满足", "fails")
    return (
        verdict,
        {
            "zh": f"{what_zh} {_fmt(combined)} {unit} {ok_zh} {sym} {lim_txt}（{item.limit.wording_zh}）",
            "en": f"{what_en} {_fmt(combined)} {unit} {ok_en} {sym} {lim_txt}",
        },
        combined,
    )


def _code_pattern(fmt: CodeFormat, params: Mapping[str, Any] | None) -> str:
    override = (params or {}).get(fmt.param) if fmt.param else None
    return override if isinstance(override, str) and override else fmt.pattern


def _evaluate_code(
    item: ItemSpec, answer: Mapping[str, Any], params: Mapping[str, Any] | None, errors: list[FieldError]
) -> tuple[str, Explanation]:
    assert item.format is not None  # schema: code items require a format
    key, fmt = item.key, item.format
    code = answer.get("code")
    if not isinstance(code, str) or not code.strip():
        errors.append(_e(key, "code", "code_missing", "缺少编码", "code is missing"))
        return "incomplete", {"zh": "缺少编码", "en": "no code"}
    if fmt.normalize == "upper_strip":
        code = re.sub(r"\s+", "", code).upper()
    if not re.fullmatch(_code_pattern(fmt, params), code):
        d = fmt.description
        errors.append(
            _e(key, "code", "code_format", f"编码格式不符：应为{d.zh}", f"code has the wrong format: expected {d.en}")
        )
        return "incomplete", {"zh": f"编码 {code} 格式不符", "en": f"code {code} has the wrong format"}
    return "pass", {"zh": f"编码 {code} 格式正确", "en": f"code {code} is well-formed"}


def _evaluate_choice(item: ItemSpec, answer: Mapping[str, Any], errors: list[FieldError]) -> tuple[str, Explanation]:
    key = item.key
    choice = answer.get("choice")
    options = {o.key: o for o in item.options}
    if choice is None:
        errors.append(_e(key, "choice", "choice_missing", "未选择选项", "no option chosen"))
        return "incomplete", {"zh": "未选择", "en": "no choice"}
    if choice not in options:
        errors.append(_e(key, "choice", "invalid_choice", f"无此选项：{choice}", f"unknown option: {choice}"))
        return "incomplete", {"zh": "选项无效", "en": "invalid option"}
    opt = options[choice]
    if opt.noncompliant:
        return "fail", {"zh": f"“{opt.label.zh}”不合规", "en": f"'{opt.label.en}' is non-compliant"}
    return "pass", {"zh": f"“{opt.label.zh}”合规", "en": f"'{opt.label.en}' is compliant"}


def _evaluate_count(
    item: ItemSpec, answer: Mapping[str, Any], params: Mapping[str, Any] | None, errors: list[FieldError]
) -> tuple[str, Explanation]:
    key = item.key
    count = answer.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        errors.append(_e(key, "count", "count_invalid", "数量须为非负整数", "count must be a non-negative integer"))
        return "incomplete", {"zh": "数量无效", "en": "invalid count"}
    if item.limit is None:
        return "pass", {"zh": f"记录数量 {count}", "en": f"count recorded: {count}"}
    limit = resolve_limit(item.limit, params)
    if limit is None:
        errors.append(_e(key, "", "limit_not_configured", "该项限值须由辖区设定，尚未设定", "limit not configured"))
        return "incomplete", {"zh": "限值未设定", "en": "limit not configured"}
    cmp_ = item.limit.comparison
    ok = passes(float(count), cmp_, limit)
    sym = _CMP_SYMBOL[cmp_]
    return ("pass" if ok else "fail"), {
        "zh": f"数量 {count} {'满足' if ok else '不满足'} {sym} {_fmt(limit)}（{item.limit.wording_zh}）",
        "en": f"count {count} {'meets' if ok else 'fails'} {sym} {_fmt(limit)}",
    }


def _evaluate_check(
    item: ItemSpec, answer: Mapping[str, Any], errors: list[FieldError]
) -> tuple[str, Explanation, bool]:
    """A check item: the inspector's verdict is the observation; "na" only where the item allows it."""
    key = item.key
    v = answer.get("verdict")
    if v == "na":
        if item.na_allowed:
            return "pass", {"zh": "现场不适用", "en": "not applicable on site"}, True
        errors.append(
            _e(key, "verdict", "na_not_allowed", "本项不可选“不适用”", "this item cannot be answered 'not applicable'")
        )
        return "incomplete", {"zh": "不可选不适用", "en": "'na' not allowed"}, False
    if v in ("pass", "fail"):
        return (
            v,
            {
                "zh": "检查员现场判定：" + ("合格" if v == "pass" else "不合格"),
                "en": "inspector's observation: " + ("compliant" if v == "pass" else "non-compliant"),
            },
            False,
        )
    errors.append(_e(key, "verdict", "verdict_missing", "缺少检查结论", "verdict is missing"))
    return "incomplete", {"zh": "未作答", "en": "not answered"}, False


def _evaluate_text(item: ItemSpec, answer: Mapping[str, Any], errors: list[FieldError]) -> tuple[str, Explanation]:
    text = answer.get("text")
    if isinstance(text, str) and text.strip():
        return "pass", {"zh": "已记录", "en": "recorded"}
    if item.required:
        errors.append(_e(item.key, "text", "text_missing", "缺少文字记录", "text is missing"))
        return "incomplete", {"zh": "未填写", "en": "empty"}
    return "pass", {"zh": "未填写（非必填）", "en": "empty (optional)"}


def _check_photos(item: ItemSpec, answer: Mapping[str, Any], verdict: str, errors: list[FieldError]) -> None:
    key = item.key
    photos = answer.get("photos") or []
    if not isinstance(photos, list):
        errors.append(_e(key, "photos", "invalid_photos", "照片须为UUID列表", "photos must be a list of UUIDs"))
        return
    valid = 0
    for p in photos:
        try:
            uuid.UUID(str(p))
            valid += 1
        except ValueError:
            errors.append(_e(key, "photos", "invalid_uuid", f"照片编号不是UUID：{p}", f"photo id is not a UUID: {p}"))
    ev = item.evidence
    need = 0
    if ev.always or (verdict == "fail" and ev.photos_when_failed):
        need = max(1, ev.min_photos)
    if valid < need:
        why_zh = "本项须始终拍照" if ev.always else "不合格项须附照片证据"
        why_en = "this item always needs photos" if ev.always else "a failed item needs photo evidence"
        errors.append(
            _e(
                key,
                "photos",
                "evidence_required",
                f"{why_zh}：至少 {need} 张，收到 {valid} 张",
                f"{why_en}: at least {need}, got {valid}",
            )
        )


#: The fields that carry an answer's content; photos alone are not an answer.
ANSWER_FIELDS = ("verdict", "values", "code", "choice", "count", "text")


def is_unanswered(answer: Mapping[str, Any] | None) -> bool:
    """No content in any answer field (absent, null, empty string or empty list). An optional item
    (``required: false``) left like this is recorded as not answered: no verdict, no finding, no money."""
    if not isinstance(answer, Mapping):
        return answer is None
    for name in ANSWER_FIELDS:
        value = answer.get(name)
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            continue
        return False
    return True


def evaluate_answer(
    item: ItemSpec, answer: Mapping[str, Any] | None, *, params: Mapping[str, Any] | None = None
) -> Evaluation:
    """Evaluate one answer. ``params`` are jurisdiction parameter values (for ``{"param": ...}`` limits and
    code-format overrides). Errors make the answer unusable for submission; the verdict is still reported
    when it could be computed (e.g. a failed check without its photos is ``fail`` with ``evidence_required``)."""
    answer = answer or {}
    key, kind = item.key, item.kind
    errors: list[FieldError] = []
    value = None
    na = False
    if not isinstance(answer, Mapping):
        errors.append(_e(key, "", "invalid_answer", "答案格式无效", "answer must be an object"))
        return Evaluation("incomplete", errors, {"zh": "答案无效", "en": "invalid answer"})
    if kind == "check":
        verdict, expl, na = _evaluate_check(item, answer, errors)
    elif kind == "measure":
        verdict, expl, value = _evaluate_measure(item, answer, params, errors)
    elif kind == "code":
        verdict, expl = _evaluate_code(item, answer, params, errors)
    elif kind == "choice":
        verdict, expl = _evaluate_choice(item, answer, errors)
    elif kind == "count":
        verdict, expl = _evaluate_count(item, answer, params, errors)
    elif kind == "text":
        verdict, expl = _evaluate_text(item, answer, errors)
    else:  # pragma: no cover - schema forbids other kinds
        errors.append(_e(key, "", "unknown_kind", f"未知检查项类型 {kind}", f"unknown item kind {kind}"))
        verdict, expl = "incomplete", {"zh": "类型未知", "en": "unknown kind"}
    _check_photos(item, answer, verdict, errors)
    return Evaluation(verdict=verdict, errors=errors, explanation=expl, not_applicable=na, value=value)
