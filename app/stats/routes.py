"""Statistics for supervisors and bureau heads (supervisor, admin), within the caller's jurisdictions."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session
from app.stats.answer_cache import cached_answer
from app.stats.by_dimension import inspection_statistics
from app.stats.cases import case_statistics
from app.stats.envelope import StatsRequest
from app.stats.inspectors import inspector_statistics
from app.stats.items import item_statistics
from app.stats.paging import RowPage
from app.stats.repeat_sites import repeat_sites, rollup_only
from app.stats.schemas import (
    CaseStatsArgsSchema,
    CaseStatsSchema,
    InspectionStatsSchema,
    InspectorStatsArgsSchema,
    InspectorStatsSchema,
    ItemStatsArgsSchema,
    ItemStatsSchema,
    RepeatSitesArgsSchema,
    RepeatSitesSchema,
    StatsArgsSchema,
)

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="统计 / Statistics")

_NOT_FOUND = "行政区划不存在或不在辖区内 / Jurisdiction not found in your scope"
_NOT_MODIFIED = "未改变 / Not modified (If-None-Match: the figures, scope and query are unchanged)"


def _page(args: dict[str, Any]) -> RowPage:
    keys = args.get("keys")
    return RowPage(
        sort=args["sort"], offset=args["offset"], limit=args["limit"], keys=None if keys is None else frozenset(keys)
    )


def _request(args: dict[str, Any]) -> StatsRequest:
    return StatsRequest(
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
        jurisdiction=args.get("jurisdiction"),
        checklist=args.get("checklist"),
        site_kind=args.get("site_kind"),
    )


@blp.route("/inspections")
class InspectionStats(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(StatsArgsSchema, location="query")
    @blp.response(200, InspectionStatsSchema)
    @blp.alt_response(304, description=_NOT_MODIFIED)
    @blp.problem(404, _NOT_FOUND)
    def get(self, args: dict[str, Any]) -> Response:
        """Inspections, pass rate, findings, deductions and fines by jurisdiction, checklist, kind, month or week:
        a page of the rows (``sort``, ``offset``, ``limit``, ``keys``), the totals of all of them."""
        return cached_answer(
            "inspections",
            args,
            InspectionStatsSchema(),
            lambda: inspection_statistics(
                current_session(),
                current_principal(),
                _request(args),
                by=args["by"],
                level=args["level"],
                page=_page(args),
            ),
        )


@blp.route("/items")
class ItemStats(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(ItemStatsArgsSchema, location="query")
    @blp.response(200, ItemStatsSchema)
    @blp.alt_response(304, description=_NOT_MODIFIED)
    @blp.problem(404, _NOT_FOUND)
    def get(self, args: dict[str, Any]) -> Response:
        """Findings per checklist item, most failures first."""
        return cached_answer(
            "items",
            args,
            ItemStatsSchema(),
            lambda: item_statistics(current_session(), current_principal(), _request(args), limit=args["limit"]),
        )


@blp.route("/inspectors")
class InspectorStats(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(InspectorStatsArgsSchema, location="query")
    @blp.response(200, InspectorStatsSchema)
    @blp.alt_response(304, description=_NOT_MODIFIED)
    @blp.problem(404, _NOT_FOUND)
    def get(self, args: dict[str, Any]) -> Response:
        """Figures per inspector (creator of the inspection), most inspections first."""
        return cached_answer(
            "inspectors",
            args,
            InspectorStatsSchema(),
            lambda: inspector_statistics(current_session(), current_principal(), _request(args), limit=args["limit"]),
        )


@blp.route("/repeat-sites")
class RepeatSites(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(RepeatSitesArgsSchema, location="query")
    @blp.response(200, RepeatSitesSchema)
    @blp.alt_response(304, description=_NOT_MODIFIED)
    @blp.problem(404, _NOT_FOUND)
    def get(self, args: dict[str, Any]) -> Response | dict[str, Any]:
        """Sites found failing most often (top N)."""

        def compute() -> dict[str, Any]:
            return repeat_sites(
                current_session(),
                current_principal(),
                date_from=args.get("date_from"),
                date_to=args.get("date_to"),
                jurisdiction=args.get("jurisdiction"),
                min_failed=args["min_failed"],
                limit=args["limit"],
            )

        # Days of a partial month are read live: such an answer is not kept (it changes without a refresh).
        if rollup_only(args.get("date_from"), args.get("date_to")):
            return cached_answer("repeat-sites", args, RepeatSitesSchema(), compute)
        return compute()


@blp.route("/cases")
class CaseStats(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(CaseStatsArgsSchema, location="query")
    @blp.response(200, CaseStatsSchema)
    @blp.alt_response(304, description=_NOT_MODIFIED)
    @blp.problem(404, _NOT_FOUND)
    def get(self, args: dict[str, Any]) -> Response:
        """Enforcement cases: open by stage, closed, fines proposed/decided/paid, fiscal deductions, overdue orders."""
        req = StatsRequest(date_from=args.get("date_from"), date_to=args.get("date_to"),
                           jurisdiction=args.get("jurisdiction"))  # fmt: skip
        return cached_answer(
            "cases",
            args,
            CaseStatsSchema(),
            lambda: case_statistics(
                current_session(), current_principal(), req, by=args["by"], level=args["level"], page=_page(args)
            ),
        )
