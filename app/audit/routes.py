"""Reading the audit log (admins only)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from app.api import Blueprint
from app.audit.models import AuditEntry
from app.audit.schemas import AuditEntrySchema, AuditQueryArgsSchema
from app.extensions import db

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志 / Audit log")


@blp.route("")
class AuditLog(MethodView):
    @blp.auth("admin")
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[AuditEntry]:
        """Newest audit entries first; page with ``before_id``."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(args["limit"])
        if "entity_type" in args:
            query = query.where(AuditEntry.entity_type == args["entity_type"])
        if "entity_id" in args:
            query = query.where(AuditEntry.entity_id == args["entity_id"])
        if "before_id" in args:
            query = query.where(AuditEntry.id < args["before_id"])
        return list(db.session.scalars(query))
