"""Reading the audit log (admins only, scoped to the admin's jurisdictions)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.audit.models import AuditEntry
from app.audit.queries import list_audit_entries
from app.audit.schemas import AuditEntrySchema, AuditQueryArgsSchema
from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志 / Audit log")


@blp.route("")
class AuditLog(MethodView):
    @blp.auth("admin")
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[AuditEntry]:
        """Newest audit entries first (in the admin's scope); page with ``before_id``."""
        return list_audit_entries(
            current_session(),
            current_principal(),
            limit=args["limit"],
            entity_type=args.get("entity_type"),
            entity_id=args.get("entity_id"),
            before_id=args.get("before_id"),
        )
