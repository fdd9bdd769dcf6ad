"""Inspections API: idempotent capture (PUT), submission, return, sync feed."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session, db
from app.inspections.access import get_inspection
from app.inspections.capture import put_inspection
from app.inspections.feed import inspection_feed
from app.inspections.models import Inspection
from app.inspections.presenter import current_state_for, present_feed, present_inspection
from app.inspections.review import return_inspection
from app.inspections.schemas import FeedArgsSchema, FeedSchema, InspectionPutSchema, InspectionSchema, ReturnSchema
from app.inspections.submission import submit_inspection
from app.wiring import wiring

blp = Blueprint(
    "inspections", __name__, url_prefix="/api/v1/inspections", description="现场检查记录 / Field inspections"
)

_ETAG_DOC = {"headers": {"ETag": {"description": "版本 / inspection version", "schema": {"type": "string"}}}}


def _with_etag(inspection: Inspection, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = present_inspection(current_session(), inspection, current_principal())
    return body, status, {"ETag": inspection.etag}


@blp.route("")
class InspectionFeed(MethodView):
    @blp.auth()
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, FeedSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Sync feed: inspections changed after the cursor (updated_since), oldest change first."""
        page = inspection_feed(
            current_session(), current_principal(), args["updated_since"], args["limit"], wiring().inspection_settings
        )
        return present_feed(current_session(), page, current_principal())


@blp.route("/<uuid:inspection_id>")
class InspectionById(MethodView):
    @blp.auth()
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.problem(404, "不存在 / Not found")
    def get(self, inspection_id: uuid.UUID) -> Any:
        """One inspection with answers, photos, findings and state; ETag = its version."""
        return _with_etag(get_inspection(current_session(), current_principal(), inspection_id))

    @blp.auth()
    @blp.arguments(InspectionPutSchema)
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.alt_response(201, schema=InspectionSchema, description="已创建 / Created")
    @blp.problem(409, "状态不允许修改 / Not editable in this state")
    @blp.problem(412, "版本过期，body.current 为当前状态 / Stale If-Match")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在（检查记录，或所链接的照片不可见）/ Not found (the inspection, or a linked photo)")
    def put(self, payload: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Create or update a draft inspection (idempotent; updates need If-Match)."""
        result = put_inspection(
            current_session(),
            current_principal(),
            inspection_id,
            payload,
            request.headers.get("If-Match"),
            wiring().inspection_settings,
            current_state_for(current_session(), current_principal()),
            wiring().photo_evidence,
        )
        db.session.commit()
        return _with_etag(result.inspection, 201 if result.created else 200)


@blp.route("/<uuid:inspection_id>/submit")
class InspectionSubmit(MethodView):
    @blp.auth()
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.problem(422, "不完整：errors 列出每一处 / Incomplete: every problem listed")
    @blp.problem(409, "状态不允许提交 / Not submittable in this state")
    @blp.problem(412, "版本过期 / Stale If-Match")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def post(self, inspection_id: uuid.UUID) -> Any:
        """Submit: validate against the resolved checklist, re-evaluate on the server, create findings."""
        inspection = submit_inspection(
            current_session(),
            current_principal(),
            inspection_id,
            request.headers.get("If-Match"),
            wiring().inspection_settings,
            current_state_for(current_session(), current_principal()),
        )
        db.session.commit()
        return _with_etag(inspection)


@blp.route("/<uuid:inspection_id>/return")
class InspectionReturn(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(ReturnSchema)
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.problem(409, "状态不允许退回 / Not returnable in this state")
    @blp.problem(412, "版本过期 / Stale If-Match")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def post(self, payload: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Return a submitted inspection to the inspector with comments (supervisors)."""
        inspection = return_inspection(
            current_session(),
            current_principal(),
            inspection_id,
            payload["comment"],
            request.headers.get("If-Match"),
            current_state_for(current_session(), current_principal()),
        )
        db.session.commit()
        return _with_etag(inspection)
