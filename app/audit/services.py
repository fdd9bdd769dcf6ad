"""Writing audit entries; every state-changing service calls ``record_audit``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.context import current_request_info


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_audit(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction (so it commits or rolls back with the change)."""
    info = current_request_info()
    before_j = json.loads(_canonical(before)) if before is not None else None
    after_j = json.loads(_canonical(after)) if after is not None else None
    digest = hashlib.sha256(
        _canonical(
            {"action": action, "entity": [entity_type, str(entity_id)], "before": before_j, "after": after_j}
        ).encode()
    ).hexdigest()
    entry = AuditEntry(
        actor_id=info.actor_id,
        actor_username=info.actor_username,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        request_id=info.request_id,
        ip=info.ip,
        user_agent=(info.user_agent or "")[:400] or None,
        before=before_j,
        after=after_j,
        digest=digest,
    )
    session.add(entry)
    return entry
