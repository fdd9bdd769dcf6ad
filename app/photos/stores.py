"""The configured photo store, built once by ``create_app``."""

from __future__ import annotations

from typing import Any

from app.photos.s3 import S3PhotoStore, s3_client
from app.photos.storage import FilesystemPhotoStore, PhotoStore

__all__ = ["photo_store_from_config"]


def photo_store_from_config(config: Any) -> PhotoStore:
    """The configured store: ``PHOTO_STORAGE=filesystem`` under PHOTO_ROOT, or ``s3`` in
    PHOTO_S3_BUCKET (PHOTO_S3_PREFIX, PHOTO_S3_ENDPOINT_URL, …; the spool — temp files and resumable
    partials — then stays under PHOTO_ROOT). Credentials: boto3's own chain."""
    kind = config.get("PHOTO_STORAGE", "filesystem")
    if kind == "filesystem":
        return FilesystemPhotoStore(config["PHOTO_ROOT"])
    if kind == "s3":
        client = s3_client(
            endpoint_url=config.get("PHOTO_S3_ENDPOINT_URL"),
            addressing_style=config.get("PHOTO_S3_ADDRESSING_STYLE") or "auto",
            region_name=config.get("PHOTO_S3_REGION"),
        )
        return S3PhotoStore(
            client,
            config.get("PHOTO_S3_BUCKET") or "",
            prefix=config.get("PHOTO_S3_PREFIX") or "",
            local_root=config["PHOTO_ROOT"],
            conditional_put=bool(config.get("PHOTO_S3_CONDITIONAL_PUT", True)),
        )
    raise RuntimeError(f"PHOTO_STORAGE={kind!r} is not supported ('filesystem' or 's3')")
