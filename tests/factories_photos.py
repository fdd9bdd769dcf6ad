"""Builders for photo tests: the sample photos (tests/photo_samples.py), hashes, uploads, a per-test photo store."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.photos.storage import FilesystemPhotoStore
from app.wiring import wiring
from tests.photo_samples import ROWS, SAMPLES, photo_bytes, photo_path  # noqa: F401 - the photo tests' samples


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_id() -> str:
    return str(uuid.uuid4())


def put_photo(
    client: FlaskClient,
    headers: dict[str, str],
    photo_id: str,
    data: bytes,
    sha256: str | None = None,
    **extra_headers: str,
) -> TestResponse:
    """Raw-body PUT with X-Content-SHA256 (the hash of ``data`` unless given)."""
    return client.put(
        f"/api/v1/photos/{photo_id}",
        data=data,
        headers={
            **headers,
            "Content-Type": "application/octet-stream",
            "X-Content-SHA256": sha256 if sha256 is not None else sha256_hex(data),
            **extra_headers,
        },
    )


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG declaring ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@contextmanager
def temporary_photo_store(app: Flask, root: Path) -> Iterator[FilesystemPhotoStore]:
    """Point the app (routes, worker, CLI) at a fresh FilesystemPhotoStore under ``root``."""
    old_root, old_store = app.config["PHOTO_ROOT"], wiring(app).photo_store
    app.config["PHOTO_ROOT"] = str(root)
    store = FilesystemPhotoStore(root)
    wiring(app).photo_store = store
    try:
        yield store
    finally:
        app.config["PHOTO_ROOT"] = old_root
        wiring(app).photo_store = old_store


def stored_originals(store: FilesystemPhotoStore) -> list[str]:
    return list(store.iter_originals())


def drain_worker(app: Flask, store: Any) -> int:
    """Run the derivative worker in-process until the queue is empty."""
    from app.extensions import db
    from app.photos.worker import drain_pending

    with app.app_context():
        try:
            return drain_pending(db.session, store, max_pixels=int(app.config["MAX_IMAGE_PIXELS"]))
        finally:
            db.session.remove()
