"""Builders for photo tests: the sample photos (tests/photo_samples.py), hashes, uploads, a per-test photo store."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageOps
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


def resized_copy(name: str, factor: float = 0.4, quality: int = 60) -> bytes:
    """A sample photo as another phone or an editor would re-save it: upright, smaller, re-encoded, no metadata."""
    with Image.open(io.BytesIO(photo_bytes(name))) as raw:
        im = ImageOps.exif_transpose(raw).convert("RGB")
        small = im.resize((max(1, int(im.width * factor)), max(1, int(im.height * factor))))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return out.getvalue()


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


def finished_derivative_jobs(app: Flask) -> int:
    """``make_derivatives`` jobs that ended (succeeded or failed for good)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        try:
            return int(
                db.session.scalar(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'make_derivatives'"
                        " AND status IN ('succeeded', 'failed')"
                    )
                )
            )
        finally:
            db.session.remove()


def drain_worker(app: Flask, store: Any = None) -> int:
    """Run a job worker in-process until no job is ready (``flask jobs worker --once``) → how many
    ``make_derivatives`` jobs it ended. The app's photo store is the one used (``store`` is for readability)."""
    from app.jobs.worker import run_worker

    before = finished_derivative_jobs(app)
    run_worker(app, once=True, concurrency=1)
    return finished_derivative_jobs(app) - before
