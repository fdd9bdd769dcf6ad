"""Photo endpoints: idempotent upload, metadata, original bytes and derivatives."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import uuid
from typing import Any

from flask import Response, current_app, request, send_file
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.errors import FieldError, ValidationFailed
from app.extensions import current_session, db
from app.photos.access import get_visible_photo
from app.photos.derivatives import DISPLAY, THUMBNAIL, open_derivative
from app.photos.evidence_links import EvidenceLinks
from app.photos.models import Photo
from app.photos.notice import render_watermarked
from app.photos.schemas import PhotoOut, PhotoSchema, PhotoUploadFormSchema, UploadStatusSchema
from app.photos.storage import LocalPathStore, PhotoStore
from app.photos.upload import PartialQuota, append_photo_chunk, put_photo, resumable_offset
from app.photos.view import evidence_flags_for_viewer
from app.wiring import wiring

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos", description="现场照片证据 / Photo evidence")

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_DIGEST_ITEM = re.compile(r"^\s*sha-256\s*=\s*:?([A-Za-z0-9+/=]+):?\s*$", re.IGNORECASE)
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
# What an original is served as: the type read from its bytes at upload (processing._mime).
ORIGINAL_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
_UPLOAD_HEADERS = {
    "Upload-Offset": {"description": "Bytes received so far", "schema": {"type": "integer"}},
    "Location": {"description": "This upload's URL", "schema": {"type": "string"}},
}


def _store() -> PhotoStore:
    return wiring().photo_store


def _links() -> EvidenceLinks:
    return wiring().photo_evidence


def _max_pixels() -> int:
    return int(current_app.config["MAX_IMAGE_PIXELS"])


def _partial_quota() -> PartialQuota:
    return PartialQuota(
        int(current_app.config["PHOTO_PARTIALS_MAX_PER_USER"]),
        int(current_app.config["PHOTO_PARTIALS_MAX_BYTES_PER_USER"]),
    )


def _out(photo: Photo) -> PhotoOut:
    """The photo with the evidence flags the caller may see, for ``PhotoSchema``."""
    return PhotoOut(photo, evidence_flags_for_viewer(current_session(), current_principal(), photo, _links()))


def _bad_checksum_field(path: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(zh, en, errors=[FieldError(path, "invalid", zh, en)])


def _sha_from_digest_headers() -> str | None:
    """``Repr-Digest``/``Content-Digest: sha-256=:<base64>:`` (RFC 9530) or legacy
    ``Digest: sha-256=<base64>`` (RFC 3230) → hex."""
    for header in ("Repr-Digest", "Content-Digest", "Digest"):
        value = request.headers.get(header)
        if not value:
            continue
        for item in value.split(","):
            m = _DIGEST_ITEM.match(item)
            if not m:
                continue
            try:
                raw = base64.b64decode(m.group(1), validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise _bad_checksum_field(
                    header,
                    f"{header} 中的 sha-256 不是有效的 Base64 摘要",
                    f"The sha-256 in {header} is not a valid base64 digest",
                )
            return raw.hex()
    return None


def _declared_sha256(form_value: str | None = None) -> str:
    value = form_value or request.headers.get("X-Content-SHA256")
    if value:
        value = value.strip()
        if not _HEX64.match(value):
            raise _bad_checksum_field(
                "X-Content-SHA256", "SHA-256 必须是 64 位十六进制", "SHA-256 must be 64 hexadecimal digits"
            )
        return value.lower()
    from_digest = _sha_from_digest_headers()
    if from_digest:
        return from_digest
    raise ValidationFailed(
        "缺少照片的 SHA-256：请在 X-Content-SHA256 头（或 multipart 的 sha256 字段）中提供",
        "The photo's SHA-256 is missing: send it in X-Content-SHA256 (or the multipart sha256 field)",
        errors=[FieldError("X-Content-SHA256", "required", "缺少 SHA-256", "SHA-256 is required")],
    )


def _cache_headers(resp: Response) -> Response:
    """Photos are evidence behind authorisation: a browser may keep them a while (ETag revalidates after),
    a shared cache never, and not for long, so revoked access does not leave them in a browser for a year."""
    resp.headers["Cache-Control"] = f"private, max-age={int(current_app.config['PHOTO_CACHE_MAX_AGE_SECONDS'])}"
    return resp


def _send_bytes(data: bytes, photo: Photo, suffix: str) -> Response:
    resp = send_file(
        io.BytesIO(data),
        mimetype="image/jpeg",
        etag=hashlib.sha256(data).hexdigest()[:40],
        conditional=True,
        download_name=f"{photo.id}-{suffix}.jpg",
        max_age=None,
    )
    resp.headers["Content-Disposition"] = f'inline; filename="{photo.id}-{suffix}.jpg"'
    return _cache_headers(resp)


@blp.route("/<uuid:photo_id>")
class PhotoById(MethodView):
    @blp.auth()
    @blp.doc(
        requestBody={
            "description": "原始图片字节（JPEG/PNG/WebP/HEIC），或 multipart 的 file + sha256 / Raw image bytes, or multipart",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "image/*": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {"schema": PhotoUploadFormSchema},
            },
        },
        parameters=[
            {
                "in": "header",
                "name": "X-Content-SHA256",
                "schema": {"type": "string"},
                "description": "SHA-256 (hex) of the bytes; or Repr-Digest/Content-Digest: sha-256=:base64:",
            },
        ],
    )
    @blp.response(200, PhotoSchema, description="同一照片已存在（重复上传）/ Already uploaded (idempotent repeat)")
    @blp.alt_response(201, schema=PhotoSchema, description="已创建 / Created")
    @blp.problem(409, "编号已用于其他内容 / Id holds other bytes")
    @blp.problem(413, "超过大小上限 / Too large")
    @blp.problem(
        422,
        "checksum_mismatch | unsupported_image_format | image_too_many_pixels | "
        "image_undecodable | image_truncated | validation_failed",
    )
    def put(self, photo_id: uuid.UUID) -> Any:
        """Upload a photo under the phone's UUID (idempotent; the original is kept byte for byte)."""
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise ValidationFailed(
                    "缺少 file 部分",
                    "The multipart body has no 'file' part",
                    errors=[FieldError("file", "required", "缺少文件", "file is required")],
                )
            sha256, stream = _declared_sha256(request.form.get("sha256")), upload.stream
        else:
            sha256, stream = _declared_sha256(), request.stream
        result = put_photo(
            current_session(),
            _store(),
            current_principal(),
            photo_id,
            stream,
            sha256,
            max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]),
            max_pixels=_max_pixels(),
            links=_links(),
        )
        # The answer is read in this transaction: the row as its INSERT returned it and the evidence flags the
        # arrival hook just set (none to read when no evidence names the new photo). Detached, the commit does
        # not expire it, so nothing is read again after the commit (that was a new transaction with two
        # SELECTs per upload).
        out = _out(result.photo) if result.linked else PhotoOut(result.photo, [])
        db.session.expunge(result.photo)
        db.session.commit()
        headers = {"Location": f"/api/v1/photos/{photo_id}", "ETag": f'"{result.photo.sha256}"'}
        return out, (201 if result.created else 200), headers

    @blp.auth()
    @blp.response(200, PhotoSchema)
    @blp.problem(404, "不存在或不在辖区内 / Not found")
    def get(self, photo_id: uuid.UUID) -> PhotoOut:
        """A photo's metadata: EXIF time and GPS, derivative state, evidence flags."""
        return _out(get_visible_photo(current_session(), current_principal(), photo_id, _links()))


@blp.route("/<uuid:photo_id>/original")
class PhotoOriginal(MethodView):
    @blp.auth()
    @blp.response(200, description="原始字节（与上传完全一致）/ The exact bytes uploaded")
    @blp.binary_content(
        200, ORIGINAL_TYPES, "原始字节（与上传完全一致）/ The exact bytes uploaded, as their image type"
    )
    @blp.problem(404, "不存在或不在辖区内 / Not found")
    def get(self, photo_id: uuid.UUID) -> Response:
        """The original bytes, exactly as uploaded (ETag = SHA-256)."""
        photo = get_visible_photo(current_session(), current_principal(), photo_id, _links())
        store = _store()
        name = f"{photo.id}.{_EXT.get(photo.format, 'bin')}"
        source: Any = (
            store.original_path(photo.sha256)
            if isinstance(store, LocalPathStore)
            else io.BytesIO(store.read_original(photo.sha256))
        )
        resp = send_file(
            source, mimetype=photo.mime, etag=photo.sha256, conditional=True, download_name=name, max_age=None
        )
        resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
        resp.headers["Repr-Digest"] = "sha-256=:" + base64.b64encode(bytes.fromhex(photo.sha256)).decode() + ":"
        return _cache_headers(resp)


def _derivative(photo_id: uuid.UUID, name: str, suffix: str) -> Response:
    photo = get_visible_photo(current_session(), current_principal(), photo_id, _links())
    data = open_derivative(current_session(), _store(), photo, name, max_pixels=_max_pixels())
    db.session.commit()  # on-demand generation recorded the derivative state
    return _send_bytes(data, photo, suffix)


@blp.route("/<uuid:photo_id>/display")
class PhotoDisplay(MethodView):
    @blp.auth()
    @blp.response(200, description="显示图 JPEG / Display JPEG")
    @blp.binary_content(200, "image/jpeg", "显示图 JPEG / Display JPEG")
    @blp.problem(404, "不存在或不在辖区内 / Not found")
    @blp.problem(422, "derivative_unavailable")
    def get(self, photo_id: uuid.UUID) -> Response:
        """Orientation-corrected display JPEG (≤ 2048 px, no EXIF/GPS); made now if still pending."""
        return _derivative(photo_id, DISPLAY, "display")


@blp.route("/<uuid:photo_id>/thumbnail")
class PhotoThumbnail(MethodView):
    @blp.auth()
    @blp.response(200, description="缩略图 JPEG / Thumbnail JPEG")
    @blp.binary_content(200, "image/jpeg", "缩略图 JPEG / Thumbnail JPEG")
    @blp.problem(404, "不存在或不在辖区内 / Not found")
    @blp.problem(422, "derivative_unavailable")
    def get(self, photo_id: uuid.UUID) -> Response:
        """Thumbnail JPEG (≤ 320 px, no EXIF/GPS); made now if still pending."""
        return _derivative(photo_id, THUMBNAIL, "thumbnail")


@blp.route("/<uuid:photo_id>/watermarked")
class PhotoWatermarked(MethodView):
    @blp.auth()
    @blp.response(200, description="带水印说明条的副本 / Copy with a caption band for notices")
    @blp.binary_content(200, "image/jpeg", "带水印说明条的副本 / Copy with a caption band for notices")
    @blp.problem(404, "不存在或不在辖区内 / Not found")
    @blp.problem(422, "derivative_unavailable")
    def get(self, photo_id: uuid.UUID) -> Response:
        """Copy for notices: capture time, coordinates and (when linked) site and officers below the photo."""
        photo = get_visible_photo(current_session(), current_principal(), photo_id, _links())
        data = render_watermarked(
            current_session(),
            _store(),
            photo,
            _links(),
            max_pixels=_max_pixels(),
            font_path=current_app.config.get("PHOTO_WATERMARK_FONT"),
        )
        return _send_bytes(data, photo, "watermarked")


# --------------------------------------------------------------------------- resumable uploads


def _offset_header() -> int:
    raw = request.headers.get("Upload-Offset", "")
    if not raw.isdigit():
        raise ValidationFailed(
            "缺少或无效的 Upload-Offset 头",
            "Upload-Offset header missing or invalid",
            errors=[FieldError("Upload-Offset", "required", "需要非负整数", "non-negative integer")],
        )
    return int(raw)


@blp.route("/<uuid:photo_id>/uploads")
class PhotoResumableUpload(MethodView):
    @blp.auth()
    @blp.response(
        200,
        UploadStatusSchema,
        headers=_UPLOAD_HEADERS,
        description="续传：已接收的字节数 / Resuming: bytes received so far",
    )
    @blp.alt_response(
        201,
        schema=UploadStatusSchema,
        headers=_UPLOAD_HEADERS,
        success=True,
        description="新的续传上传（偏移 0）/ New resumable upload (offset 0)",
    )
    def post(self, photo_id: uuid.UUID) -> Any:
        """Start or look up a resumable upload of this photo; answers with the offset to resume from."""
        offset = resumable_offset(_store(), current_principal(), photo_id)
        headers = {"Upload-Offset": str(offset), "Location": f"/api/v1/photos/{photo_id}/uploads"}
        return {"photo_id": photo_id, "offset": offset}, (200 if offset else 201), headers

    @blp.auth()
    @blp.doc(
        parameters=[
            {"in": "header", "name": "Upload-Offset", "required": True, "schema": {"type": "integer"}},
            {
                "in": "header",
                "name": "X-Content-SHA256",
                "required": True,
                "schema": {"type": "string"},
                "description": "SHA-256 of the WHOLE photo",
            },
            {
                "in": "header",
                "name": "Upload-Complete",
                "schema": {"type": "string", "enum": ["?0", "?1"]},
                "description": "?1 on the last chunk",
            },
        ]
    )
    @blp.response(204, description="块已保存，Upload-Offset 为新偏移 / Chunk stored; Upload-Offset is the new offset")
    @blp.alt_response(201, schema=PhotoSchema, description="最后一块：照片已创建 / Last chunk: photo created")
    @blp.problem(409, "upload_offset_mismatch (current_offset) | photo_id_conflict")
    @blp.problem(413, "超过大小上限 / Too large")
    @blp.problem(422, "checksum_mismatch | unsupported_image_format | image_truncated | …")
    @blp.problem(429, "upload_quota_exceeded (limit, max, current)")
    def patch(self, photo_id: uuid.UUID) -> Any:
        """Append a chunk at Upload-Offset; with Upload-Complete: ?1 the photo is verified and created."""
        offset, sha256 = _offset_header(), _declared_sha256()
        complete = request.headers.get("Upload-Complete", "?0").strip() == "?1"
        new_offset, result = append_photo_chunk(
            current_session(),
            _store(),
            current_principal(),
            photo_id,
            offset=offset,
            chunk=request.get_data(cache=False),
            sha256=sha256,
            complete=complete,
            max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]),
            max_pixels=_max_pixels(),
            links=_links(),
            quota=_partial_quota(),
        )
        db.session.commit()
        if result is None:
            return Response(status=204, headers={"Upload-Offset": str(new_offset)})
        headers = {"Location": f"/api/v1/photos/{photo_id}", "Upload-Offset": str(new_offset)}
        return PhotoSchema().dump(_out(result.photo)), (201 if result.created else 200), headers
