"""Inspections API: idempotent capture (PUT), submission, review (return, approve, reject, amendments), review
settings, sync feed."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session, db
from app.inspections.access import get_inspection
from app.inspections.amendments import AmendmentRequest, amend_inspection
from app.inspections.capture import put_inspection
from app.inspections.feed import inspection_feed
from app.inspections.feed_presenter import feed_columns, present_feed_rows, present_inspection_rows
from app.inspections.models import Inspection
from app.inspections.presenter import (
    current_state_for,
    present_amendment_result,
    present_inspection,
    present_review_settings,
)
from app.inspections.put_and_submit import put_and_submit
from app.inspections.review import approve_inspection, reject_inspection, return_inspection
from app.inspections.review_settings import get_review_settings, put_review_settings
from app.inspections.schemas import (
    AmendmentPostSchema,
    AmendmentResultSchema,
    ApproveSchema,
    FeedArgsSchema,
    FeedSchema,
    InspectionPutSchema,
    InspectionSchema,
    RejectSchema,
    ReturnSchema,
    ReviewSettingsPutSchema,
    ReviewSettingsSchema,
)
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
    def get(self, args: dict[str, Any]) -> Any:
        """Sync feed: inspections changed after the cursor (updated_since), oldest change first."""
        page = inspection_feed(
            current_session(),
            current_principal(),
            args["updated_since"],
            args["limit"],
            wiring().inspection_settings,
            feed_columns(),
        )
        # Already in FeedSchema's shape (feed_presenter: Core rows, no per-object dump); flask-smorest passes a
        # Response through, and the schema still documents it.
        return current_app.json.response(present_feed_rows(current_session(), page, current_principal()))


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
    @blp.problem(403, "审核人员请用 amendments 修改已提交的检查（amend_instead）/ Reviewers amend instead")
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
            wiring().checklist_versions,
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
            wiring().reference_cache,
        )
        db.session.commit()
        return _with_etag(inspection)


@blp.route("/<uuid:inspection_id>/submission")
class InspectionPutAndSubmit(MethodView):
    @blp.auth()
    @blp.arguments(InspectionPutSchema)
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.alt_response(201, schema=InspectionSchema, description="已创建并提交 / Created and submitted")
    @blp.problem(422, "不完整：errors 列出每一处，什么也没有保存 / Incomplete: every problem listed, nothing saved")
    @blp.problem(409, "状态不允许修改或提交 / Not editable or submittable in this state")
    @blp.problem(412, "版本过期，body.current 为当前状态 / Stale If-Match")
    @blp.problem(428, "更新已有记录需要 If-Match / If-Match required to update")
    @blp.problem(404, "不存在（检查记录，或所链接的照片不可见）/ Not found (the inspection, or a linked photo)")
    def post(self, payload: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Create (or update, with If-Match) and submit in one request: the PUT's body, all or nothing.

        For a phone with a good connection; a retry with the same body answers the same submitted inspection."""
        result = put_and_submit(
            current_session(),
            current_principal(),
            inspection_id,
            payload,
            request.headers.get("If-Match"),
            wiring().inspection_settings,
            current_state_for(current_session(), current_principal()),
            wiring().photo_evidence,
            wiring().reference_cache,
            wiring().checklist_versions,
        )
        db.session.commit()
        # Read back from Core rows (feed_presenter): the commit expired the ORM object, and its reload took six
        # statements and a marshmallow pass. Already InspectionSchema's shape.
        body = present_inspection_rows(
            current_session(),
            inspection_id,
            current_principal(),
            created_without_photos=result.created_without_photos,
        )
        response = current_app.json.response(body)
        response.status_code = 201 if result.created else 200
        response.headers["ETag"] = body["etag"]
        return response


@blp.route("/<uuid:inspection_id>/return")
class InspectionReturn(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(ReturnSchema)
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.problem(422, "缺少意见，或逐项意见指向不存在的检查项 / Comment missing, or an unknown item")
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
            payload["item_comments"],
        )
        db.session.commit()
        return _with_etag(inspection)


@blp.route("/<uuid:inspection_id>/approve")
class InspectionApprove(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(ApproveSchema)
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.problem(403, "无权限，或审核人参与了该检查（own_inspection）/ Forbidden, or own inspection")
    @blp.problem(422, "意见为空或过长 / Blank or overlong reason")
    @blp.problem(409, "仅已提交的检查可审核 / Only a submitted inspection can be approved")
    @blp.problem(412, "版本过期，body.current 为当前状态 / Stale If-Match")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def post(self, payload: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Approve a submitted inspection (supervisors; final; not by its creator or officers)."""
        inspection = approve_inspection(
            current_session(),
            current_principal(),
            inspection_id,
            payload["reason"],
            request.headers.get("If-Match"),
            current_state_for(current_session(), current_principal()),
        )
        db.session.commit()
        return _with_etag(inspection)


@blp.route("/<uuid:inspection_id>/reject")
class InspectionReject(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(RejectSchema)
    @blp.response(200, InspectionSchema, **_ETAG_DOC)
    @blp.problem(403, "无权限，或审核人参与了该检查（own_inspection）/ Forbidden, or own inspection")
    @blp.problem(422, "缺少理由，或逐项意见指向不存在的检查项 / Reason missing, or an unknown item")
    @blp.problem(409, "仅已提交的检查可驳回 / Only a submitted inspection can be rejected")
    @blp.problem(412, "版本过期，body.current 为当前状态 / Stale If-Match")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在 / Not found")
    def post(self, payload: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Reject a submitted inspection with a reason and per-item comments (supervisors; final)."""
        inspection = reject_inspection(
            current_session(),
            current_principal(),
            inspection_id,
            payload["reason"],
            payload["item_comments"],
            request.headers.get("If-Match"),
            current_state_for(current_session(), current_principal()),
        )
        db.session.commit()
        return _with_etag(inspection)


@blp.route("/<uuid:inspection_id>/amendments")
class InspectionAmendments(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(AmendmentPostSchema)
    @blp.response(200, AmendmentResultSchema, **_ETAG_DOC)
    @blp.problem(403, "无权限，或审核人参与了该检查（own_inspection）/ Forbidden, or own inspection")
    @blp.problem(
        422, "缺少理由、检查项不适用、或修改后的答案未通过校验 / Reason missing, item not applicable, invalid answer"
    )
    @blp.problem(
        409,
        "仅审核中的检查可修改；或处罚金额调整不再适用（overrides_no_longer_fit）/ Not under review, or an "
        "override no longer fits",
    )
    @blp.problem(412, "版本过期，body.current 为当前状态 / Stale If-Match")
    @blp.problem(428, "缺少 If-Match / If-Match required")
    @blp.problem(404, "不存在（检查记录，或证据照片）/ Not found (the inspection, or an evidence photo)")
    def post(self, payload: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Amend one item of a submitted inspection (supervisors; reason required; findings and penalties
        recomputed; answers with a diff; idempotent on the amendment id)."""
        outcome = amend_inspection(
            current_session(),
            current_principal(),
            inspection_id,
            AmendmentRequest(
                id=payload["id"],
                item_key=payload["item_key"],
                kind=payload["kind"],
                answer=payload["answer"],
                photo_ids=tuple(payload["photos"]),
                reason=payload["reason"],
            ),
            request.headers.get("If-Match"),
            current_state_for(current_session(), current_principal()),
            wiring().photo_evidence,
        )
        db.session.commit()
        body = present_amendment_result(current_session(), outcome, current_principal())
        return body, 200, {"ETag": outcome.inspection.etag}


@blp.route("/review-settings/<code>")
class ReviewSettingsByCode(MethodView):
    @blp.auth("admin")
    @blp.response(200, ReviewSettingsSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, code: str) -> dict[str, Any]:
        """A jurisdiction's review settings (two-person rule): its own row and what applies there."""
        return present_review_settings(get_review_settings(current_session(), current_principal(), code))

    @blp.auth("admin")
    @blp.arguments(ReviewSettingsPutSchema)
    @blp.response(200, ReviewSettingsSchema)
    @blp.problem(422, "缺少理由 / Reason required")
    @blp.problem(404, "不存在 / Not found")
    def put(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Set whether the two-person rule applies in a jurisdiction and below (admins; reason required; audited)."""
        body = present_review_settings(
            put_review_settings(current_session(), current_principal(), code, data["two_person_rule"], data["reason"])
        )
        db.session.commit()
        return body
