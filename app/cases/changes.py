"""Every change to a case: If-Match on its version, a lost-response retry answered as the first, the version
bump and the case's own dated event."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.models import Case, CaseEvent
from app.errors import PreconditionFailed, PreconditionRequired
from app.etags import MalformedIfMatch, parse_if_match
from app.inspections.rules import canonical_hash


def _require_version(if_match: str | None) -> int:
    try:
        version = parse_if_match(if_match)
    except MalformedIfMatch:
        version = None
    if version is None:
        raise PreconditionRequired(
            "修改案件须携带 If-Match 版本头（取自上次响应的 ETag）。",
            "Changing a case requires If-Match with one version (the ETag of your last response).",
            code="case_if_match_required",
        )
    return version


def begin_change(case: Case, principal: Principal, if_match: str | None, request: dict[str, Any]) -> bool:
    """Check If-Match. True when this is a retry of the change that produced the current version (the
    caller then answers with the case as it is); 412 when the version is stale."""
    sent = _require_version(if_match)
    digest = canonical_hash(request)
    if sent == case.version - 1 and case.last_change_hash == digest and case.last_change_by_id == principal.user_id:
        return True
    if sent != case.version:
        raise PreconditionFailed(
            f"案件已被修改（您的版本 {sent}，当前版本 {case.version}），请刷新后重试。",
            f"The case changed (your version {sent}, current {case.version}); reload and retry.",
            code="case_version_stale",
            extra={"current_version": case.version, "stage": case.stage, "_headers": {"ETag": case.etag}},
        )
    case.last_change_hash = digest
    case.last_change_by_id = principal.user_id
    return False


def add_event(
    session: Session, case: Case, kind: str, on_date: date | None, by_id: int | None, data: dict[str, Any]
) -> CaseEvent:
    event = CaseEvent(case_id=case.id, kind=kind, on_date=on_date, by_id=by_id, data=data)
    session.add(event)
    return event


def finish_change(
    session: Session, case: Case, principal: Principal, kind: str, on_date: date | None, data: dict[str, Any]
) -> None:
    """Bump the version and record the dated event (the audit entry is the caller's)."""
    case.version += 1
    add_event(session, case, kind, on_date, principal.user_id, data)
    session.flush()
