"""Photo shapes at the HTTP edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import marshmallow as ma

if TYPE_CHECKING:
    from app.photos.models import Photo

API_PREFIX = "/api/v1/photos"


class PhotoUploadFormSchema(ma.Schema):
    """Multipart alternative to the raw-body PUT (documentation; the route reads the stream)."""

    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    sha256 = ma.fields.String(required=True, metadata={"description": "SHA-256 of the file, 64 hex digits"})


class GpsSchema(ma.Schema):
    lon = ma.fields.Float()
    lat = ma.fields.Float()
    crs = ma.fields.Constant("WGS84")
    accuracy_m = ma.fields.Float(allow_none=True)
    time_utc = ma.fields.DateTime(allow_none=True)


class DerivativesSchema(ma.Schema):
    state = ma.fields.String(metadata={"description": "pending | ready | failed"})
    error_code = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer()
    updated_at = ma.fields.DateTime(allow_none=True)
    display_width = ma.fields.Integer(allow_none=True)
    display_height = ma.fields.Integer(allow_none=True)
    display_url = ma.fields.String()
    thumbnail_url = ma.fields.String()
    watermarked_url = ma.fields.String()


class FlagSchema(ma.Schema):
    code = ma.fields.String()
    message_zh = ma.fields.String()
    message_en = ma.fields.String()
    details = ma.fields.Dict()


@dataclass(frozen=True)
class PhotoOut:
    """What ``PhotoSchema`` dumps: a photo row and the evidence flags its viewer may see (routes build it)."""

    photo: Photo
    flags: list[dict[str, Any]] = field(default_factory=list)


class PhotoSchema(ma.Schema):
    """A photo's metadata (the original's bytes are at ``original_url``); dumps a ``PhotoOut``."""

    id = ma.fields.UUID()
    sha256 = ma.fields.String()
    uploader_id = ma.fields.Integer()
    size_bytes = ma.fields.Integer()
    format = ma.fields.String()
    mime = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    orientation = ma.fields.Integer(allow_none=True)
    taken_at = ma.fields.Method("_taken_at", metadata={"description": "EXIF capture time; no offset = camera-local"})
    taken_at_has_offset = ma.fields.Method("_taken_at_has_offset")
    taken_at_source = ma.fields.String(allow_none=True)
    modified_at = ma.fields.Method("_modified_at")
    gps = ma.fields.Method("_gps", metadata={"description": "WGS-84 position from EXIF, or null"})
    gps_problem = ma.fields.String(allow_none=True)
    make = ma.fields.String(allow_none=True)
    model = ma.fields.String(allow_none=True)
    software = ma.fields.String(allow_none=True)
    exif_problem = ma.fields.String(allow_none=True)
    derivatives = ma.fields.Method("_derivatives")
    original_url = ma.fields.Method("_original_url")
    flags = ma.fields.Method("_flags")
    created_at = ma.fields.DateTime()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        # Plain fields are columns of the photo row.
        return super().get_attribute(obj.photo, attr, default)

    def _taken_at(self, obj: PhotoOut) -> str | None:
        taken = obj.photo.taken_at
        return taken.isoformat() if taken is not None else None

    def _taken_at_has_offset(self, obj: PhotoOut) -> bool | None:
        taken = obj.photo.taken_at
        return None if taken is None else taken.tzinfo is not None

    def _modified_at(self, obj: PhotoOut) -> str | None:
        modified = obj.photo.modified_at
        return modified.isoformat() if modified is not None else None

    def _gps(self, obj: PhotoOut) -> dict[str, Any] | None:
        photo = obj.photo
        lon_lat = photo.lon_lat
        if lon_lat is None:
            return None
        return GpsSchema().dump(
            {"lon": lon_lat[0], "lat": lon_lat[1], "accuracy_m": photo.gps_accuracy_m, "time_utc": photo.gps_time_utc}
        )

    def _derivatives(self, obj: PhotoOut) -> dict[str, Any]:
        photo = obj.photo
        base = f"{API_PREFIX}/{photo.id}"
        return DerivativesSchema().dump(
            {
                "state": photo.derivatives_state,
                "error_code": photo.derivatives_error,
                "attempts": photo.derivatives_attempts,
                "updated_at": photo.derivatives_updated_at,
                "display_width": photo.display_width,
                "display_height": photo.display_height,
                "display_url": f"{base}/display",
                "thumbnail_url": f"{base}/thumbnail",
                "watermarked_url": f"{base}/watermarked",
            }
        )

    def _original_url(self, obj: PhotoOut) -> str:
        return f"{API_PREFIX}/{obj.photo.id}/original"

    def _flags(self, obj: PhotoOut) -> list[dict[str, Any]]:
        return FlagSchema(many=True).dump(obj.flags)
