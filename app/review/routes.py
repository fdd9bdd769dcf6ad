"""The supervisor's review queue (supervisor, admin), scoped to the caller's jurisdictions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session
from app.review.filters import queue_filter
from app.review.presenter import page_output
from app.review.queue import review_queue
from app.review.schemas import ReviewQueueArgsSchema, ReviewQueueSchema
from app.wiring import wiring

blp = Blueprint("review", __name__, url_prefix="/api/v1/review", description="审核队列 / Review queue")


@blp.route("/queue")
class ReviewQueue(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(ReviewQueueArgsSchema, location="query")
    @blp.response(200, ReviewQueueSchema)
    @blp.problem(404, "行政区划不存在或不在辖区内 / Jurisdiction not found in your scope")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Inspections to review, riskiest first (score explained), with counts per state; cursor pages."""
        page = review_queue(
            current_session(),
            current_principal(),
            queue_filter(args),
            wiring().risk_settings,
            jurisdiction_code=args.get("jurisdiction"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )
        return page_output(page)
