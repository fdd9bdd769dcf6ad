"""Cases API (supervisors act, admins configure), re-inspection tasks (inspectors) and fiscal deductions."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.cases.actions import transition_case
from app.cases.fiscal import list_fiscal_deductions, step_fiscal_deduction
from app.cases.listing import CaseFilter, list_cases
from app.cases.models import Case
from app.cases.orders import issue_order
from app.cases.overdue import overdue_items
from app.cases.party import edit_party
from app.cases.presenter import (
    present_case,
    present_case_settings,
    present_case_summary,
    present_fiscal_deduction,
)
from app.cases.queries import get_case, get_fiscal_deduction
from app.cases.schemas import (
    CaseListArgsSchema,
    CaseListSchema,
    CaseSchema,
    CaseSettingsPutSchema,
    CaseSettingsSchema,
    FiscalDeductionListSchema,
    FiscalDeductionSchema,
    FiscalListArgsSchema,
    FiscalStepSchema,
    OrderCreateSchema,
    OverdueListSchema,
    PartyEditSchema,
    TaskListSchema,
    TimelineSchema,
    TransitionSchema,
)
from app.cases.settings import effective_case_settings, get_case_settings, put_case_settings
from app.cases.tasks import due_tasks, present_task
from app.cases.timeline import case_timeline
from app.extensions import current_session, db

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="案件 / Enforcement cases")
tasks_blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="任务 / Re-inspection tasks")
fiscal_blp = Blueprint(
    "fiscal_deductions",
    __name__,
    url_prefix="/api/v1/fiscal-deductions",
    description="财政扣缴 / Fiscal deductions (000§五(二))",
)

_ETAG_DOC = {"headers": {"ETag": {"description": "版本 / case version", "schema": {"type": "string"}}}}
_SUPERVISING = ("supervisor", "admin")


def _case_body(case: Case) -> tuple[dict[str, Any], int, dict[str, str]]:
    return present_case(current_session(), case, current_principal()), 200, {"ETag": case.etag}


@blp.route("")
class Cases(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.arguments(CaseListArgsSchema, location="query")
    @blp.response(200, CaseListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cases in the caller's jurisdictions, newest first, in pages (ID numbers masked); by stage, site or the
        inspection a case includes."""
        flt = CaseFilter(stage=args.get("stage"), site_id=args.get("site_id"), inspection_id=args.get("inspection_id"))
        page = list_cases(current_session(), current_principal(), flt, cursor=args.get("cursor"), limit=args["limit"])
        return {"items": [present_case_summary(c) for c in page.items], "next_cursor": page.next_cursor}


@blp.route("/overdue")
class OverdueCases(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.response(200, OverdueListSchema)
    def get(self) -> dict[str, Any]:
        """Overdue list: orders to correct past their deadline, fines past their payment deadline."""
        return {"items": overdue_items(current_session(), current_principal())}


@blp.route("/<int:case_id>")
class CaseById(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.response(200, CaseSchema, **_ETAG_DOC)
    @blp.problem(404, "不存在 / Not found")
    def get(self, case_id: int) -> Any:
        """One case: party, stage dates, orders, deadlines (with their rule), allowed actions; ETag = version."""
        return _case_body(get_case(current_session(), current_principal(), case_id))


@blp.route("/<int:case_id>/transitions")
class CaseTransitions(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.arguments(TransitionSchema)
    @blp.response(200, CaseSchema, **_ETAG_DOC)
    @blp.problem(403, "角色不符（case_wrong_role），或参与了案件的检查（own_inspection）/ Wrong role or own inspection")
    @blp.problem(409, "阶段不符、期限已过或未届满 / Wrong stage, deadline expired or still running")
    @blp.problem(412, "版本过期 / Stale If-Match")
    @blp.problem(422, "缺少字段或日期无效 / Missing field or bad date")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def post(self, data: dict[str, Any], case_id: int) -> Any:
        """Take one step: approve_filing, serve_notice, request_hearing, decide, serve_decision, record_payment,
        close (supervisors; dated; audited)."""
        case = transition_case(current_session(), current_principal(), case_id, data, request.headers.get("If-Match"))
        db.session.commit()
        return _case_body(case)


@blp.route("/<int:case_id>/party")
class CaseParty(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.arguments(PartyEditSchema)
    @blp.response(200, CaseSchema, **_ETAG_DOC)
    @blp.problem(412, "版本过期 / Stale If-Match")
    @blp.problem(422, "字段无效 / Invalid field")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def patch(self, data: dict[str, Any], case_id: int) -> Any:
        """Correct the party's details (supervisors; audited)."""
        case = edit_party(current_session(), current_principal(), case_id, data, request.headers.get("If-Match"))
        db.session.commit()
        return _case_body(case)


@blp.route("/<int:case_id>/orders")
class CaseOrders(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.arguments(OrderCreateSchema)
    @blp.response(200, CaseSchema, **_ETAG_DOC)
    @blp.problem(409, "案件已结案 / Case closed")
    @blp.problem(412, "版本过期 / Stale If-Match")
    @blp.problem(422, "日期或检查项无效 / Bad dates or items")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def post(self, data: dict[str, Any], case_id: int) -> Any:
        """Record an order to correct with its real decision date, service date and deadline (supervisors)."""
        case, _order = issue_order(
            current_session(), current_principal(), case_id, data, request.headers.get("If-Match")
        )
        db.session.commit()
        return _case_body(case)


@blp.route("/<int:case_id>/timeline")
class CaseTimeline(MethodView):
    @blp.auth(*_SUPERVISING)
    @blp.response(200, TimelineSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, case_id: int) -> dict[str, Any]:
        """The case's full history: inspections, evidence hashes, penalty lines, orders, decisions, amounts."""
        version, entries = case_timeline(current_session(), current_principal(), case_id)
        return {"case_id": case_id, "version": version, "entries": entries}


@blp.route("/settings/<code>")
class CaseSettingsByCode(MethodView):
    @blp.auth("admin")
    @blp.response(200, CaseSettingsSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, code: str) -> dict[str, Any]:
        """A jurisdiction's case settings (陈述申辩 period, 听证 thresholds) and what applies there."""
        jurisdiction, row = get_case_settings(current_session(), current_principal(), code)
        effective = effective_case_settings(current_session(), jurisdiction.path)
        return present_case_settings(jurisdiction, row, effective)

    @blp.auth("admin")
    @blp.arguments(CaseSettingsPutSchema)
    @blp.response(200, CaseSettingsSchema)
    @blp.problem(422, "字段无效或缺少理由 / Invalid field or reason missing")
    @blp.problem(404, "不存在 / Not found")
    def put(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Set a jurisdiction's case settings (admins; no statute fixes them; reason required; audited)."""
        jurisdiction, row = put_case_settings(current_session(), current_principal(), code, data)
        body = present_case_settings(jurisdiction, row, effective_case_settings(current_session(), jurisdiction.path))
        db.session.commit()
        return body


@tasks_blp.route("")
class Tasks(MethodView):
    @tasks_blp.auth()
    @tasks_blp.response(200, TaskListSchema)
    def get(self) -> dict[str, Any]:
        """Re-inspection tasks: orders to correct past their deadline at sites in the caller's jurisdictions."""
        return {"items": [present_task(t) for t in due_tasks(current_session(), current_principal())]}


@fiscal_blp.route("")
class FiscalDeductions(MethodView):
    @fiscal_blp.auth(*_SUPERVISING)
    @fiscal_blp.arguments(FiscalListArgsSchema, location="query")
    @fiscal_blp.response(200, FiscalDeductionListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Fiscal deductions charged to sub-districts in the caller's jurisdictions."""
        rows = list_fiscal_deductions(current_session(), current_principal(), args.get("status"))
        return {"items": [present_fiscal_deduction(r) for r in rows]}


@fiscal_blp.route("/<int:deduction_id>")
class FiscalDeductionById(MethodView):
    @fiscal_blp.auth(*_SUPERVISING)
    @fiscal_blp.response(200, FiscalDeductionSchema, **_ETAG_DOC)
    @fiscal_blp.problem(404, "不存在 / Not found")
    def get(self, deduction_id: int) -> Any:
        """One fiscal deduction; ETag = its version."""
        row = get_fiscal_deduction(current_session(), current_principal(), deduction_id)
        return present_fiscal_deduction(row), 200, {"ETag": row.etag}


def _step(step: str, deduction_id: int, data: dict[str, Any]) -> Any:
    row = step_fiscal_deduction(
        current_session(), current_principal(), deduction_id, step, data.get("on_date"), request.headers.get("If-Match")
    )
    db.session.commit()
    return present_fiscal_deduction(row), 200, {"ETag": row.etag}


@fiscal_blp.route("/<int:deduction_id>/notify")
class FiscalDeductionNotify(MethodView):
    @fiscal_blp.auth(*_SUPERVISING)
    @fiscal_blp.arguments(FiscalStepSchema)
    @fiscal_blp.response(200, FiscalDeductionSchema, **_ETAG_DOC)
    @fiscal_blp.problem(409, "状态不符 / Wrong state")
    @fiscal_blp.problem(412, "版本过期 / Stale If-Match")
    @fiscal_blp.problem(428, "缺少 If-Match / If-Match required")
    @fiscal_blp.problem(404, "不存在 / Not found")
    def post(self, data: dict[str, Any], deduction_id: int) -> Any:
        """The deduction notice was sent to the sub-district (open → notified)."""
        return _step("notify", deduction_id, data)


@fiscal_blp.route("/<int:deduction_id>/settle")
class FiscalDeductionSettle(MethodView):
    @fiscal_blp.auth(*_SUPERVISING)
    @fiscal_blp.arguments(FiscalStepSchema)
    @fiscal_blp.response(200, FiscalDeductionSchema, **_ETAG_DOC)
    @fiscal_blp.problem(409, "状态不符 / Wrong state")
    @fiscal_blp.problem(412, "版本过期 / Stale If-Match")
    @fiscal_blp.problem(428, "缺少 If-Match / If-Match required")
    @fiscal_blp.problem(404, "不存在 / Not found")
    def post(self, data: dict[str, Any], deduction_id: int) -> Any:
        """The deduction was settled by the finance bureau (notified → settled)."""
        return _step("settle", deduction_id, data)
