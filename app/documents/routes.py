"""Document endpoints: issue, preview, read, download, void, settings (supervisors and admins, scoped by
jurisdiction) — and the public verification endpoints (no login)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.documents import access, issue, presenter, settings, signatures, verify, void
from app.documents.models import Document, PartySignature
from app.documents.render import verification_page
from app.documents.rendering import render_preview
from app.documents.schemas import (
    DocumentSchema,
    IssueSchema,
    ListArgsSchema,
    PreviewSchema,
    PublicViewSchema,
    SettingsPutSchema,
    SettingsSchema,
    SignatureOutSchema,
    SignatureSchema,
    UploadVerdictSchema,
    VoidSchema,
)
from app.documents.tasks import render_env
from app.errors import Conflict, FieldError, ValidationFailed
from app.extensions import current_session, db
from app.wiring import wiring

blp = Blueprint("documents", __name__, url_prefix="/api/v1/documents", description="执法文书 / Enforcement documents")
verify_blp = Blueprint(
    "verify", __name__, url_prefix="/verify", description="文书核验（公开）/ Document verification (public)"
)

SUPERVISING = ("supervisor", "admin")


def _pdf(data: bytes, name: str, fallback: str = "document") -> Response:
    """A PDF answer named ``name``. A 文号 is Chinese and an HTTP header is Latin-1 (gunicorn refuses anything
    else with a 500): the name travels percent-encoded in ``filename*`` (RFC 6266, RFC 8187), and ``filename``
    carries an ASCII ``fallback`` for clients that do not read it."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"{fallback}.pdf\"; filename*=UTF-8''{quote(name + '.pdf', safe='')}"
    )
    return response


@blp.route("")
class Documents(MethodView):
    @blp.auth(*SUPERVISING)
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, DocumentSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Documents in your jurisdictions (of one inspection, case or kind when given), newest first."""
        return [
            presenter.document_view(d) for d in access.list_documents(current_session(), current_principal(), **args)
        ]

    @blp.auth(*SUPERVISING)
    @blp.arguments(IssueSchema)
    @blp.response(201, DocumentSchema)
    @blp.alt_response(200, schema=DocumentSchema, description="重试：同一文书 / Retried: the same document")
    @blp.problem(404, "检查或文书不存在 / Not found")
    @blp.problem(409, "document_id_taken | document_number_taken | already_reissued")
    @blp.problem(422, "document_blocked (reasons listed) | validation_failed")
    def post(self, data: dict[str, Any]) -> Any:
        """Issue a document: take its number, freeze its facts, render it in the background (state
        ``rendering`` → ``issued``). Refused with every reason while anything it carries is blocked."""
        document, created = issue.issue_document(current_session(), current_principal(), data)
        body = presenter.document_view(document)
        db.session.commit()
        return body, (201 if created else 200)


@blp.route("/preview")
class Preview(MethodView):
    @blp.auth(*SUPERVISING)
    @blp.arguments(PreviewSchema)
    @blp.binary_content(200, "application/pdf", "样稿 PDF（无文号）/ Draft PDF (no number)")
    @blp.problem(404, "检查不存在 / Not found")
    def post(self, data: dict[str, Any]) -> Response:
        """A draft of any document (样稿/DRAFT on every page, gaps marked, no number taken, nothing stored);
        header ``X-Document-Blockers`` lists what still blocks issuing."""
        prepared = issue.prepare(current_session(), current_principal(), data)
        env = render_env(current_app._get_current_object())  # type: ignore[attr-defined]
        pdf = render_preview(current_session(), env, prepared.facts, data["language"])
        db.session.rollback()
        response = _pdf(pdf, f"draft-{data['kind']}", f"draft-{data['kind']}")
        response.headers["X-Document-Blockers"] = ",".join(b.code for b in prepared.blockers)
        return response


@blp.route("/signatures/<uuid:inspection_id>")
class PartySignatures(MethodView):
    @blp.auth()
    @blp.arguments(SignatureSchema)
    @blp.response(201, SignatureOutSchema)
    @blp.problem(404, "检查或照片不存在 / Not found")
    @blp.alt_response(200, schema=SignatureOutSchema, description="重试：已记录 / A retry: already recorded")
    @blp.problem(409, "signature_photo_taken")
    @blp.problem(422, "refusal_unwitnessed | validation_failed")
    def post(self, data: dict[str, Any], inspection_id: uuid.UUID) -> tuple[PartySignature, int]:
        """Record the party's signature image (or a photo of a witnessed refusal), uploaded first as a photo,
        for the inspection's on-site record; its SHA-256 joins the evidence (audited)."""
        row, created = signatures.record_signature(
            current_session(), current_principal(), inspection_id, data, wiring().photo_evidence
        )
        db.session.commit()
        return row, 201 if created else 200


@blp.route("/<uuid:document_id>")
class DocumentItem(MethodView):
    @blp.auth(*SUPERVISING)
    @blp.response(200, DocumentSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, document_id: uuid.UUID) -> dict[str, Any]:
        """One document: state (rendering, issued, failed, voided), number, hashes, who and when."""
        return presenter.document_view(access.get_document(current_session(), current_principal(), document_id))


@blp.route("/<uuid:document_id>/pdf")
class DocumentPdf(MethodView):
    @blp.auth(*SUPERVISING)
    @blp.binary_content(200, "application/pdf", "签发的 PDF / The issued PDF")
    @blp.problem(404, "不存在 / Not found")
    @blp.problem(409, "document_not_rendered")
    def get(self, document_id: uuid.UUID) -> Response:
        """The issued bytes, exactly as stored (voided documents stay retrievable)."""
        document = access.get_document(current_session(), current_principal(), document_id)
        pdf = current_session().scalar(db.select(Document.pdf).where(Document.id == document.id))
        if pdf is None:
            raise Conflict("文书尚未生成", "The document is not rendered yet", code="document_not_rendered")
        return _pdf(pdf, document.number or str(document.id), str(document.id))


@blp.route("/<uuid:document_id>/void")
class VoidDocument(MethodView):
    @blp.auth(*SUPERVISING)
    @blp.arguments(VoidSchema)
    @blp.response(200, DocumentSchema)
    @blp.problem(404, "不存在 / Not found")
    @blp.problem(409, "document_not_voidable")
    def post(self, data: dict[str, Any], document_id: uuid.UUID) -> dict[str, Any]:
        """Void a document with a reason (audited); its number stays taken and visibly voided."""
        document = void.void_document(current_session(), current_principal(), document_id, data["reason"])
        body = presenter.document_view(document)
        db.session.commit()
        return body


@blp.route("/settings/<code>")
class DocumentSettingsItem(MethodView):
    @blp.auth("admin")
    @blp.response(200, SettingsSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, code: str) -> dict[str, Any]:
        """A jurisdiction's document settings (own and what applies after inheritance)."""
        return presenter.settings_view(settings.get_document_settings(current_session(), current_principal(), code))

    @blp.auth("admin")
    @blp.arguments(SettingsPutSchema)
    @blp.response(200, SettingsSchema)
    @blp.problem(404, "不存在 / Not found")
    @blp.problem(422, "document_settings_invalid")
    def put(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Replace a jurisdiction's document settings (audited)."""
        result = settings.put_document_settings(current_session(), current_principal(), code, data["settings"])
        body = presenter.settings_view(result)
        db.session.commit()
        return body


@verify_blp.route("/<token>")
class VerifyToken(MethodView):
    @verify_blp.response(200, PublicViewSchema)
    @verify_blp.problem(404, "document_unknown")
    def get(self, token: str) -> Any:
        """Public: the number, kind, authority, date, amount and file hash of the document with this QR token
        (an HTML page for a browser that asks for one, as a phone scanning the QR code does)."""
        view = verify.verify_token(current_session(), token)
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return Response(verification_page(view), mimetype="text/html")
        return presenter.public_view_dict(view)


@verify_blp.route("")
class VerifyUpload(MethodView):
    @verify_blp.binary_content(200, "application/pdf", "上传的 PDF / The PDF to check")
    @verify_blp.response(200, UploadVerdictSchema)
    @verify_blp.problem(422, "file_missing")
    def post(self) -> dict[str, Any]:
        """Public: whether an uploaded PDF (body, or multipart ``file``) is byte for byte an issued document."""
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            data = upload.read() if upload is not None else b""
        else:
            data = request.get_data(cache=False)
        if not data:
            raise ValidationFailed(
                "缺少文件",
                "No file uploaded",
                code="file_missing",
                errors=[FieldError("file", "required", "请上传 PDF", "upload the PDF")],
            )
        return presenter.public_view_dict(verify.verify_bytes(current_session(), data))
