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
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeGuard

from app.errors import FieldError

VERDICTS = ("pass", "fail", "incomplete")
_CMP_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


@dataclass(frozen=True)
class Evaluation:
    verdict: str                                   # pass | fail | incomplete
    errors: list[FieldError] = field(default_factory=list)
    explanation: dict[str, str] = field(default_factory=dict)   # {"zh": ..., "en": ...}
    not_applicable: bool = False                   # check item answered "na" (recorded as pass)
    value: float | None = None                     # the combined measured value compared with the limit

    @property
    def failed(self) -> bool:
        return self.verdict == "fail"


def _passes(value: float, comparison: str, limit: float) -> bool:
    # Compare as Decimal of the printed values so 0.1+0.2-style float noise cannot flip a verdict at the limit.
    v, lim = Decimal(repr(value)), Decimal(repr(limit))
    return {"lt": v < lim, "le": v <= lim, "gt": v > lim, "ge": v >= lim}[comparison]


def _fmt(x: float) -> str:
    return f"{x:g}"


def _is_number(x: Any) -> TypeGuard[int | float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _e(key: str, field_: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(f"answers.{key}.{field_}" if field_ else f"answers.{key}", code, zh, en)


def resolve_limit(item: dict, params: dict | None) -> float | None:
    value = item["limit"]["value"]
    if isinstance(value, dict):
        got = (params or {}).get(value["param"])
        return float(got) if _is_number(got) else None
    return value


def _evaluate_measure(item: dict, answer: dict, params: dict | None, errors: list[FieldError]) -> tuple[str, dict, float | None]:
    key, unit = item["key"], item["unit"]
    values = answer.get("values")
    readings = item["readings"]
    if answer.get("unit") not in (None, unit):
        errors.append(_e(key, "unit", "unit_mismatch", f"单位应为 {unit}，收到 {answer.get('unit')}",
                         f"unit must be {unit}, got {answer.get('unit')}"))
    if not isinstance(values, list) or not values:
        errors.append(_e(key, "values", "readings_missing", "缺少测量读数", "measured readings are missing"))
        return "incomplete", {"zh": "缺少测量读数", "en": "no readings"}, None
    bad = [v for v in values if not _is_number(v)]
    if bad:
        errors.append(_e(key, "values", "not_a_number", "读数必须是数字", "readings must be numbers"))
        return "incomplete", {"zh": "读数无效", "en": "invalid readings"}, None
    if len(values) < readings["min_count"]:
        errors.append(_e(key, "values", "too_few_readings",
                         f"至少需要 {readings['min_count']} 个读数，收到 {len(values)} 个",
                         f"at least {readings['min_count']} readings required, got {len(values)}"))
    rng = item["range"]
    implausible = [v for v in values if not rng["min"] <= v <= rng["max"]]
    if implausible:
        errors.append(_e(key, "values", "implausible_value",
                         f"读数 {', '.join(map(_fmt, implausible))} 超出合理范围 {_fmt(rng['min'])}–{_fmt(rng['max'])} {unit}",
                         f"reading(s) {', '.join(map(_fmt, implausible))} outside plausible range {_fmt(rng['min'])}–{_fmt(rng['max'])} {unit}"))
    limit = resolve_limit(item, params)
    if limit is None:
        errors.append(_e(key, "", "limit_not_configured", "该项限值须由辖区设定，尚未设定",
                         "this item's limit must be set by the jurisdiction and is not set yet"))
        return "incomplete", {"zh": "限值未设定", "en": "limit not configured"}, None
    if errors:
        return "incomplete", {"zh": "读数不完整或无效", "en": "readings incomplete or invalid"}, None
    cmp_ = item["limit"]["comparison"]
    sym = _CMP_SYMBOL[cmp_]
    lim_txt = f"{_fmt(limit)} {unit}"
    combine = readings["combine"]
    if combine == "all":
        failing = [v for v in values if not _passes(v, cmp_, limit)]
        verdict = "fail" if failing else "pass"
        worst = (max(values) if cmp_ in ("lt", "le") else min(values))
        return verdict, {
            "zh": f"{len(values)} 个读数中 {len(failing)} 个不满足 {sym} {lim_txt}（{item['limit']['wording_zh']}）",
            "en": f"{len(failing)} of {len(values)} readings fail {sym} {lim_txt}",
        }, worst
    combined = sum(values) / len(values) if combine == "mean" else max(values)
    verdict = "pass" if _passes(combined, cmp_, limit) else "fail"
    what_zh, what_en = ("平均值", "mean") if combine == "mean" else ("最大值", "maximum")
    ok_zh, ok_en = ("满足", "meets") if verdict == "pass" else ("不满足", "fails")
    return verdict, {
        "zh": f"{what_zh} {_fmt(combined)} {unit} {ok_zh} {sym} {lim_txt}（{item['limit']['wording_zh']}）",
        "en": f"{what_en} {_fmt(combined)} {unit} {ok_en} {sym} {lim_txt}",
    }, combined


def _code_pattern(item: dict, params: dict | None) -> str:
    fmt = item["format"]
    override = (params or {}).get(fmt["param"]) if fmt.get("param") else None
    return override if isinstance(override, str) and override else fmt["pattern"]


def _evaluate_code(item: dict, answer: dict, params: dict | None, errors: list[FieldError]) -> tuple[str, dict]:
    key = item["key"]
    code = answer.get("code")
    if not isinstance(code, str) or not code.strip():
        errors.append(_e(key, "code", "code_missing", "缺少编码", "code is missing"))
        return "incomplete", {"zh": "缺少编码", "en": "no code"}
    if item["format"].get("normalize", "upper_strip") == "upper_strip":
        code = re.sub(r"\s+", "", code).upper()
    if not re.fullmatch(_code_pattern(item, params), code):
        d = item["format"]["description"]
        errors.append(_e(key, "code", "code_format", f"编码格式不符：应为{d['zh']}", f"code has the wrong format: expected {d['en']}"))
        return "incomplete", {"zh": f"编码 {code} 格式不符", "en": f"code {code} has the wrong format"}
    return "pass", {"zh": f"编码 {code} 格式正确", "en": f"code {code} is well-formed"}


def _evaluate_choice(item: dict, answer: dict, errors: list[FieldError]) -> tuple[str, dict]:
    key = item["key"]
    choice = answer.get("choice")
    options = {o["key"]: o for o in item["options"]}
    if choice is None:
        errors.append(_e(key, "choice", "choice_missing", "未选择选项", "no option chosen"))
        return "incomplete", {"zh": "未选择", "en": "no choice"}
    if choice not in options:
        errors.append(_e(key, "choice", "invalid_choice", f"无此选项：{choice}", f"unknown option: {choice}"))
        return "incomplete", {"zh": "选项无效", "en": "invalid option"}
    opt = options[choice]
    if opt["noncompliant"]:
        return "fail", {"zh": f"“{opt['label']['zh']}”不合规", "en": f"'{opt['label']['en']}' is non-compliant"}
    return "pass", {"zh": f"“{opt['label']['zh']}”合规", "en": f"'{opt['label']['en']}' is compliant"}


def _evaluate_count(item: dict, answer: dict, params: dict | None, errors: list[FieldError]) -> tuple[str, dict]:
    key = item["key"]
    count = answer.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        errors.append(_e(key, "count", "count_invalid", "数量须为非负整数", "count must be a non-negative integer"))
        return "incomplete", {"zh": "数量无效", "en": "invalid count"}
    if "limit" not in item:
        return "pass", {"zh": f"记录数量 {count}", "en": f"count recorded: {count}"}
    limit = resolve_limit(item, params)
    if limit is None:
        errors.append(_e(key, "", "limit_not_configured", "该项限值须由辖区设定，尚未设定", "limit not configured"))
        return "incomplete", {"zh": "限值未设定", "en": "limit not configured"}
    cmp_ = item["limit"]["comparison"]
    ok = _passes(float(count), cmp_, limit)
    sym = _CMP_SYMBOL[cmp_]
    return ("pass" if ok else "fail"), {
        "zh": f"数量 {count} {'满足' if ok else '不满足'} {sym} {_fmt(limit)}（{item['limit']['wording_zh']}）",
        "en": f"count {count} {'meets' if ok else 'fails'} {sym} {_fmt(limit)}",
    }


def _check_photos(item: dict, answer: dict, verdict: str, errors: list[FieldError]) -> None:
    key = item["key"]
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
    ev = item.get("evidence") or {}
    need = 0
    if ev.get("always") or (verdict == "fail" and ev.get("photos_when_failed")):
        need = max(1, ev.get("min_photos", 1))
    if valid < need:
        why_zh = "本项须始终拍照" if ev.get("always") else "不合格项须附照片证据"
        why_en = "this item always needs photos" if ev.get("always") else "a failed item needs photo evidence"
        errors.append(_e(key, "photos", "evidence_required", f"{why_zh}：至少 {need} 张，收到 {valid} 张",
                         f"{why_en}: at least {need}, got {valid}"))


def evaluate_answer(item: dict, answer: dict | None, *, params: dict | None = None) -> Evaluation:
    """Evaluate one answer. ``params`` are jurisdiction parameter values (for ``{"param": ...}`` limits and
    code-format overrides). Errors make the answer unusable for submission; the verdict is still reported
    when it could be computed (e.g. a failed check without its photos is ``fail`` with ``evidence_required``)."""
    answer = answer or {}
    key, kind = item["key"], item["kind"]
    errors: list[FieldError] = []
    value = None
    na = False
    if not isinstance(answer, dict):
        errors.append(_e(key, "", "invalid_answer", "答案格式无效", "answer must be an object"))
        return Evaluation("incomplete", errors, {"zh": "答案无效", "en": "invalid answer"})
    if kind == "check":
        v = answer.get("verdict")
        if v == "na":
            if item.get("na_allowed"):
                verdict, expl, na = "pass", {"zh": "现场不适用", "en": "not applicable on site"}, True
            else:
                errors.append(_e(key, "verdict", "na_not_allowed", "本项不可选“不适用”", "this item cannot be answered 'not applicable'"))
                verdict, expl = "incomplete", {"zh": "不可选不适用", "en": "'na' not allowed"}
        elif v in ("pass", "fail"):
            verdict = v
            expl = {"zh": "检查员现场判定：" + ("合格" if v == "pass" else "不合格"),
                    "en": "inspector's observation: " + ("compliant" if v == "pass" else "non-compliant")}
        else:
            errors.append(_e(key, "verdict", "verdict_missing", "缺少检查结论", "verdict is missing"))
            verdict, expl = "incomplete", {"zh": "未作答", "en": "not answered"}
    elif kind == "measure":
        verdict, expl, value = _evaluate_measure(item, answer, params, errors)
    elif kind == "code":
        verdict, expl = _evaluate_code(item, answer, params, errors)
    elif kind == "choice":
        verdict, expl = _evaluate_choice(item, answer, errors)
    elif kind == "count":
        verdict, expl = _evaluate_count(item, answer, params, errors)
    elif kind == "text":
        text = answer.get("text")
        if isinstance(text, str) and text.strip():
            verdict, expl = "pass", {"zh": "已记录", "en": "recorded"}
        elif item.get("required", True):
            errors.append(_e(key, "text", "text_missing", "缺少文字记录", "text is missing"))
            verdict, expl = "incomplete", {"zh": "未填写", "en": "empty"}
        else:
            verdict, expl = "pass", {"zh": "未填写（非必填）", "en": "empty (optional)"}
    else:  # pragma: no cover - schema forbids other kinds
        errors.append(_e(key, "", "unknown_kind", f"未知检查项类型 {kind}", f"unknown item kind {kind}"))
        verdict, expl = "incomplete", {"zh": "类型未知", "en": "unknown kind"}
    _check_photos(item, answer, verdict, errors)
    return Evaluation(verdict=verdict, errors=errors, explanation=expl, not_applicable=na, value=value)
