"""Jobs for the jobs API and the console's jobs page: a photo whose derivatives fail for good, deterministically
(a truncated JPEG original stored before the upload checks existed: the worker ends its job ``failed`` at the
first attempt), and a queued job of no jurisdiction."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.jobs.queue import defer_in
from app.photos.models import Photo
from app.photos.storage import PhotoStore
from app.photos.tasks import EXPIRE_STALE_PARTIALS, defer_derivatives
from tests.factories_photos import photo_bytes, sha256_hex

TRUNCATED_JPEG = "pillow__Tests__images__truncated_jpeg.jpg"


def undecodable_photo_job(session: Session, store: PhotoStore, uploader: str, scope_path: str) -> tuple[int, uuid.UUID]:
    """A photo (seen in ``scope_path``) whose derivative job will fail for good → (job id, photo id); committed."""
    data = photo_bytes(TRUNCATED_JPEG)
    sha = sha256_hex(data)
    store.put_original(sha, data)
    photo = Photo(
        id=uuid.uuid4(),
        sha256=sha,
        uploader_id=session.scalar(text("SELECT id FROM users WHERE username = :u"), {"u": uploader}),
        scope_paths=[scope_path],
        size_bytes=len(data),
        format="JPEG",
        mime="image/jpeg",
        width=100,
        height=100,
    )
    session.add(photo)
    session.flush()
    job_id = defer_derivatives(session, photo.id)
    session.commit()
    return job_id, photo.id


def system_job(session: Session) -> int:
    """A queued upkeep job (no jurisdiction), due in an hour so no worker takes it meanwhile; committed."""
    job_id = defer_in(session, EXPIRE_STALE_PARTIALS, timestamp=0)
    session.execute(
        text("UPDATE procrastinate_jobs SET scheduled_at = now() + interval '1 hour' WHERE id = :id"), {"id": job_id}
    )
    session.commit()
    return job_id


def job_status(session: Session, job_id: int) -> str:
    session.rollback()
    return str(session.scalar(text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}))
