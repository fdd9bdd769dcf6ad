"""Exports (supervisor, admin): CSV with a BOM or XLSX, Chinese headers, no row cap, streamed, audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context
from flask.views import MethodView
from sqlalchemy.orm import Session

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.exports.export import MIME, export_chunks, plan_export
from app.exports.schemas import ExportArgsSchema
from app.extensions import current_session, db
from app.review.filters import queue_filter

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="导出 / Exports")


def _ending_session(session: Session, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, then the read transaction ended: the request's teardown ran before the stream began, so a
    session left open here would hold its connection idle in transaction (and its locks) under a real server."""
    try:
        yield from chunks
    finally:
        session.close()


@blp.route("/<kind>.<fmt>")
class Export(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.binary_content(200, tuple(MIME.values()), "The export file (X-Export-Rows: its row count)")
    @blp.problem(404, "没有这种导出，或行政区划不在辖区内 / No such export, or jurisdiction outside your scope")
    def get(self, args: dict[str, Any], kind: str, fmt: str) -> Response:
        """Inspections, findings or penalty lines matching the review queue's filters, as CSV or XLSX."""
        session = current_session()
        plan = plan_export(
            session, current_principal(), kind, fmt, queue_filter(args), jurisdiction_code=args.get("jurisdiction")
        )
        db.session.commit()  # the audit entry is written before the first byte leaves
        return Response(
            stream_with_context(_ending_session(session, export_chunks(session, plan))),
            content_type=plan.mimetype,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(plan.filename)}",
                "X-Export-Rows": str(plan.rows),
                "X-Export-Id": str(plan.export_id),
            },
        )
