"""/api/v1/alerts: declarations, the alerts in force, the day's list, reduction-list imports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request
from flask.views import MethodView

from app.alerts.current import current_alerts
from app.alerts.daily import DailyList, daily_list
from app.alerts.declaration import Declaration, declare_alert, list_alerts
from app.alerts.list_import import MAX_FILE_BYTES, ListMeta, import_reduction_list, list_reduction_lists
from app.alerts.models import Alert, ReductionList
from app.alerts.schemas import (
    AlertCreateSchema,
    AlertListArgsSchema,
    AlertSchema,
    CurrentAlertsSchema,
    CurrentArgsSchema,
    DailyArgsSchema,
    DailyListSchema,
    ListImportArgsSchema,
    ReductionListSchema,
)
from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.errors import PayloadTooLarge
from app.extensions import current_session, db
from app.localtime import today_local

blp = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts", description="重污染天气预警 / Heavy-pollution alerts")


@blp.route("")
class Alerts(MethodView):
    @blp.auth()
    @blp.arguments(AlertListArgsSchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Alert]:
        """Declarations concerning the caller's jurisdictions (above, at or below), newest first."""
        return list_alerts(current_session(), current_principal(), args["jurisdiction"])

    @blp.auth("admin")
    @blp.arguments(AlertCreateSchema)
    @blp.response(201, AlertSchema)
    @blp.alt_response(
        200, schema=AlertSchema, description="同一声明已记录（重试）/ the same declaration, already recorded"
    )
    @blp.problem(404, "辖区或预警不存在 / Jurisdiction not found")
    @blp.problem(409, "预警已被调整 / Alert already superseded")
    @blp.problem(422, "输入有误 / Invalid")
    def post(self, data: dict[str, Any]) -> tuple[Alert, int]:
        """Declare an alert, or change one with a new record (upgrade, downgrade, lift); admins; audited."""
        alert, created = declare_alert(
            current_session(),
            current_principal(),
            Declaration(
                jurisdiction_code=data["jurisdiction"],
                level=data["level"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                issuer=data["issuer"],
                doc_ref=data["doc_ref"],
                batch_code=data["batch_code"],
                supersedes_id=data["supersedes_id"],
                note=data["note"],
            ),
        )
        db.session.commit()
        return alert, 201 if created else 200


@blp.route("/current")
class CurrentAlerts(MethodView):
    @blp.auth()
    @blp.arguments(CurrentArgsSchema, location="query")
    @blp.response(200, CurrentAlertsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Alerts in force now (or at ``at``) that reach the caller's jurisdictions, highest level first."""
        at = args["at"] or datetime.now(UTC)
        found = current_alerts(current_session(), current_principal(), at)
        return {"at": at, "alerts": [{"alert": c.alert, "ends_at": c.ends_at} for c in found]}


@blp.route("/daily")
class Daily(MethodView):
    @blp.auth()
    @blp.arguments(DailyArgsSchema, location="query")
    @blp.response(200, DailyListSchema)
    def get(self, args: dict[str, Any]) -> DailyList:
        """Listed sites under measures today in the caller's jurisdictions; not yet inspected first."""
        return daily_list(current_session(), current_principal(), args["date"] or today_local())


@blp.route("/reduction-lists")
class ReductionLists(MethodView):
    @blp.auth("admin", "supervisor")
    @blp.response(200, ReductionListSchema(many=True))
    def get(self) -> list[ReductionList]:
        """Emergency reduction list versions concerning the caller's jurisdictions, newest first."""
        return list_reduction_lists(current_session(), current_principal())

    @blp.auth("admin")
    @blp.arguments(ListImportArgsSchema, location="query")
    @blp.response(201, ReductionListSchema)
    @blp.problem(404, "辖区不存在 / Jurisdiction not found")
    @blp.problem(409, "版本已存在 / Version exists")
    @blp.problem(413, "文件过大 / File too large")
    @blp.problem(415, "须为 CSV 或 XLSX / CSV or XLSX only")
    @blp.problem(422, "逐行错误，未导入 / Per-row errors; nothing imported")
    def post(self, args: dict[str, Any]) -> ReductionList:
        """Import one version of a reduction list (CSV or XLSX body, Chinese headers); all-or-nothing; audited."""
        if (request.content_length or 0) > MAX_FILE_BYTES:
            raise PayloadTooLarge("清单文件过大。", "The list file is too large.")
        meta = ListMeta(
            jurisdiction_code=args["jurisdiction"],
            title=args["title"],
            doc_ref=args["doc_ref"],
            version=args["version"],
            effective_from=args["effective_from"],
            effective_to=args["effective_to"],
            illustrative=args["illustrative"],
        )
        lst = import_reduction_list(
            current_session(), current_principal(), meta, request.get_data(cache=False), request.mimetype
        )
        db.session.commit()
        return lst
