"""PURE inspection rules: lifecycle transitions, version preconditions, completeness.

No Flask, no SQLAlchemy. Services load rows, call these functions with plain values and act on the answer.

Lifecycle::

    draft ──submit──▶ submitted ──return──▶ returned ──submit──▶ submitted ──approve──▶ approved
                                 └─────────reject──────────────────────────────────────▶ rejected

Every transition happens on the server; a phone can only ask for one (PUT edits, POST /submit).
Supervisors drive ``return``, ``approve`` and ``reject`` (review.py); approved and rejected are final.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app import etags
from app.errors import Conflict, FieldError, Forbidden, PreconditionRequired
from app.etags import version_etag

DRAFT, SUBMITTED, RETURNED, APPROVED, REJECTED = "draft", "submitted", "returned", "approved", "rejected"
STATES: tuple[str, ...] = (DRAFT, SUBMITTED, RETURNED, APPROVED, REJECTED)
#: States in which the phone may still change answers, officers, times and photo links.
EDITABLE_STATES = frozenset({DRAFT, RETURNED})

#: action -> {from_state: to_state}
TRANSITIONS: dict[str, dict[str, str]] = {
    "edit": {DRAFT: DRAFT, RETURNED: RETURNED},
    "submit": {DRAFT: SUBMITTED, RETURNED: SUBMITTED},
    "return": {SUBMITTED: RETURNED},
    "approve": {SUBMITTED: APPROVED},
    "reject": {SUBMITTED: REJECTED},
    # A reviewer's amendment of an item (amendments.amend_inspection): only while under review.
    "amend": {SUBMITTED: SUBMITTED},
}

STATE_LABELS = {
    DRAFT: ("草稿", "draft"),
    SUBMITTED: ("已提交", "submitted"),
    RETURNED: ("已退回修改", "returned"),
    APPROVED: ("已通过", "approved"),
    REJECTED: ("已驳回", "rejected"),
}
ACTION_LABELS = {
    "edit": ("修改", "edit"),
    "submit": ("提交", "submit"),
    "return": ("退回", "return"),
    "approve": ("审核通过", "approve"),
    "reject": ("驳回", "reject"),
    "amend": ("审核修改", "amend"),
}


def can_transition(action: str, state: str) -> bool:
    return state in TRANSITIONS.get(action, {})


def next_state(action: str, state: str) -> str:
    """The state after ``action``; raises ``Conflict`` (409) when the lifecycle does not allow it."""
    target = TRANSITIONS.get(action, {}).get(state)
    if target is None:
        s_zh, s_en = STATE_LABELS.get(state, (state, state))
        a_zh, a_en = ACTION_LABELS.get(action, (action, action))
        raise Conflict(
            f"检查记录当前为“{s_zh}”状态，不能{a_zh}。",
            f"The inspection is {s_en}; '{a_en}' is not allowed in this state.",
            code="invalid_state_transition",
            extra={"state": state, "action": action},
        )
    return target


# ----------------------------------------------------------------------------------- review

#: The supervisor's decisions: action -> the value stored in ``inspections.decision``.
DECISIONS = ("approve", "reject")


def own_inspection_error() -> Forbidden:
    return Forbidden(
        "不能审核自己创建或参与执法的检查记录（查审分离），请由其他审核人员处理。",
        "You may not decide on an inspection you created or took part in as an officer "
        "(the investigator does not review); another supervisor must decide.",
        code="own_inspection",
    )


def check_two_person_rule(reviewer_id: int, creator_id: int, officer_ids: Iterable[int], enforced: bool) -> None:
    """Raise 403 ``own_inspection`` when the reviewer took part in the inspection and the rule is in force.

    查审分离: the result of an investigation is reviewed by someone other than those who investigated
    (行政处罚法第五十七条: 调查终结，行政机关负责人应当对调查结果进行审查). A jurisdiction's admin may waive
    it, with a recorded reason, where too few staff make it impossible (review_settings).
    """
    if enforced and (reviewer_id == creator_id or reviewer_id in set(officer_ids)):
        raise own_inspection_error()


def item_comment_errors(
    comments: Iterable[Mapping[str, str]], known_items: Iterable[str], path: str = "item_comments"
) -> list[FieldError]:
    """Per-item review comments must name items of the inspection (answered or with a finding)."""
    known = set(known_items)
    return [
        FieldError(
            f"{path}.{i}.item_key",
            "unknown_item",
            f"检查记录中没有检查项 {c['item_key']}",
            f"the inspection has no item {c['item_key']}",
        )
        for i, c in enumerate(comments)
        if c["item_key"] not in known
    ]


# ----------------------------------------------------------------------------------- ETag / If-Match


def etag_for(version: int) -> str:
    """Strong ETag of an inspection version."""
    return version_etag(version)


def parse_if_match(header: str | None) -> int | None:
    """The version named by an ``If-Match`` header; None when absent; 428 when it names no single version."""
    try:
        return etags.parse_if_match(header)
    except etags.MalformedIfMatch:
        raise PreconditionRequired(
            "If-Match 必须是本检查记录的一个版本标签，例如 \"3\"。",
            'If-Match must be one version tag of this inspection, e.g. "3".',
            code="if_match_invalid",
        ) from None


def require_if_match(header: str | None) -> int:
    version = parse_if_match(header)
    if version is None:
        raise PreconditionRequired(
            "修改已有检查记录须携带 If-Match 版本头（取自上次响应的 ETag）。",
            "Updating an existing inspection requires If-Match (the ETag of your last response).",
        )
    return version


# ----------------------------------------------------------------------------------- request hashing


def canonical_hash(payload: Any) -> str:
    """sha256 of canonical JSON: the identity of a PUT body for lost-response replays."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------------- photo-link merge


def merge_photo_links(existing: Mapping[str, list[str]], sent: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Photo links after an edit: never dropped.

    Merge rule (photo links are never dropped on edit): for each item the result is the photos the
    phone sent, in its order, followed by every previously linked photo it did not send, in their old order.
    Links of items the phone no longer answers are kept too. Photos are evidence; only a supervisor action
    (not built yet) may detach one.
    """
    out: dict[str, list[str]] = {}
    for key in list(sent) + [k for k in existing if k not in sent]:
        seen: list[str] = []
        for pid in list(sent.get(key, [])) + list(existing.get(key, [])):
            if pid not in seen:
                seen.append(pid)
        out[key] = seen
    return out


# ----------------------------------------------------------------------------------- completeness


@dataclass(frozen=True)
class OfficerRef:
    user_id: int | None
    badge_number: str | None


def officer_errors(count: int, min_officers: int, path: str = "officers") -> list[FieldError]:
    # 行政处罚法第四十二条: 执法人员不得少于两人 (the number is configurable: MIN_OFFICERS).
    if count >= min_officers:
        return []
    return [
        FieldError(
            path,
            "too_few_officers",
            f"现场执法人员不得少于 {min_officers} 人（《行政处罚法》第四十二条），当前 {count} 人",
            f"at least {min_officers} enforcement officers must be present (Administrative "
            f"Penalty Law Art. 42); got {count}",
        )
    ]


def missing_answer_error(item_key: str, prompt: Mapping[str, str] | None = None) -> FieldError:
    zh = (prompt or {}).get("zh") or item_key
    en = (prompt or {}).get("en") or item_key
    return FieldError(
        f"answers.{item_key}", "answer_missing", f"适用检查项未作答：{zh}", f"applicable item not answered: {en}"
    )


def photo_not_uploaded_error(item_key: str, photo_id: str) -> FieldError:
    return FieldError(
        f"answers.{item_key}.photos",
        "photo_not_uploaded",
        f"照片 {photo_id} 已关联但尚未上传",
        f"photo {photo_id} is linked but not uploaded yet",
    )


def window_errors(started_at: Any, ended_at: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if started_at is None:
        errors.append(FieldError("started_at", "required", "缺少检查开始时间", "the start time is missing"))
    if ended_at is None:
        errors.append(FieldError("ended_at", "required", "缺少检查结束时间", "the end time is missing"))
    if started_at is not None and ended_at is not None and ended_at < started_at:
        errors.append(
            FieldError("ended_at", "ends_before_start", "结束时间早于开始时间", "the end time is before the start time")
        )
    return errors


def future_time_errors(started_at: Any, ended_at: Any, now: datetime, skew: timedelta) -> list[FieldError]:
    """Start or end times later than ``now`` + ``skew``: an inspection that has not happened yet is refused (a day
    that has not come can neither be inspected nor start a daily penalty)."""
    latest = now + skew
    errors: list[FieldError] = []
    for path, value, zh, en in (
        ("started_at", started_at, "检查开始时间", "the start time"),
        ("ended_at", ended_at, "检查结束时间", "the end time"),
    ):
        if isinstance(value, datetime) and value > latest:
            errors.append(
                FieldError(
                    path,
                    "time_in_future",
                    f"{zh}晚于服务器当前时间（允许时钟偏差 {int(skew.total_seconds())} 秒）",
                    f"{en} is later than the server's clock (allowed clock skew {int(skew.total_seconds())} s)",
                )
            )
    return errors


def required_photo_count(item: Mapping[str, Any], verdict: str) -> int:
    """Photos an item needs for a verdict (mirrors evaluation._check_photos)."""
    ev = item.get("evidence") or {}
    if ev.get("always") or (verdict == "fail" and ev.get("photos_when_failed")):
        return max(1, int(ev.get("min_photos", 1)))
    return 0


def finding_verdict(verdict: str, not_applicable: bool) -> str:
    """Stored verdict of a finding: pass | fail | na (a check answered 'not applicable on site')."""
    return "na" if not_applicable else verdict


def sorted_errors(errors: Iterable[FieldError]) -> list[FieldError]:
    """Stable order for a rejection: by path, then code (deduplicated)."""
    seen: dict[tuple[str, str, str], FieldError] = {}
    for e in errors:
        seen.setdefault((e.path, e.code, e.message_en), e)
    return sorted(seen.values(), key=lambda e: (e.path, e.code))
