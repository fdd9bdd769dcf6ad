"""Files and rows never disagree silently: gc finds orphans both ways; evidence rows are immutable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.auth.principal import Principal
from app.photos import access, derivatives, gc, upload
from app.photos.evidence_links import NO_EVIDENCE_LINKS
from app.photos.models import Photo
from app.photos.storage import TEMP_PREFIX
from tests.factories import make_user
from tests.factories_photos import (
    drain_worker,
    photo_bytes,
    sha256_hex,
    temporary_photo_store,
)

GPS_JPEG = "derived__gps_fractional_seconds.jpg"


@pytest.fixture()
def store(app, tmp_path):
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def uploader(session, tree) -> Principal:
    user = make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    return Principal(user.id, user.username, user.role, ("/410000/410800/410811/",))


def _upload(session, store, principal, name: str = GPS_JPEG) -> Photo:
    import io

    data = photo_bytes(name)
    result = upload.put_photo(
        session,
        store,
        principal,
        uuid.uuid4(),
        io.BytesIO(data),
        sha256_hex(data),
        max_bytes=None,
        max_pixels=50_000_000,
        links=NO_EVIDENCE_LINKS,
    )
    session.commit()
    return result.photo


def _gc(app, *args: str):
    return app.test_cli_runner().invoke(args=["photos", "gc", "--min-age-minutes", "0", *args])


def test_crash_between_file_write_and_commit_leaves_an_orphan_gc_lists(app, session, store, uploader):
    import io

    data = photo_bytes(GPS_JPEG)
    upload.put_photo(
        session,
        store,
        uploader,
        uuid.uuid4(),
        io.BytesIO(data),
        sha256_hex(data),
        max_bytes=None,
        max_pixels=50_000_000,
        links=NO_EVIDENCE_LINKS,
    )
    session.rollback()  # the process "died" before COMMIT: the file is durable, the row is not
    assert session.scalar(select(Photo.id)) is None

    report = gc.find_orphans(session, store, min_age=timedelta(0))
    assert report.originals_without_rows == [sha256_hex(data)]

    result = _gc(app)
    assert result.exit_code == 0, result.output
    assert f"orphan original {sha256_hex(data)}" in result.output
    assert store.original_exists(sha256_hex(data))  # dry run by default


def test_gc_delete_removes_orphan_files_but_keeps_referenced_ones(app, session, store, uploader):
    kept = _upload(session, store, uploader)
    orphan = photo_bytes("drew__jpg__HTC_Desire.jpg")
    store.put_original(sha256_hex(orphan), orphan)
    result = _gc(app, "--delete")
    assert result.exit_code == 0, result.output
    assert not store.original_exists(sha256_hex(orphan))
    assert store.original_exists(kept.sha256)
    assert _gc(app).output.startswith("originals without a row: 0")


def test_gc_ignores_young_originals_of_uploads_in_flight(session, store, uploader):
    orphan = photo_bytes("drew__jpg__HTC_Desire.jpg")
    store.put_original(sha256_hex(orphan), orphan)
    assert gc.find_orphans(session, store).originals_without_rows == []  # default grace: one hour


def test_row_whose_original_vanished_is_reported_and_never_deleted(app, session, store, uploader):
    photo = _upload(session, store, uploader)
    store.delete_original(photo.sha256)
    result = _gc(app, "--delete")
    assert result.exit_code == 2
    assert f"photo {photo.id} expects {photo.sha256}" in result.output
    session.expire_all()
    assert session.get(Photo, photo.id) is not None


def test_gc_lists_temp_leftovers_and_orphan_derivatives(app, session, store, uploader):
    (store.root / "originals").mkdir(parents=True, exist_ok=True)
    leftover = store.root / "originals" / f"{TEMP_PREFIX}crashed"
    leftover.write_bytes(b"half")
    store.put_derivative("a" * 64, "display.jpg", b"x")
    report = gc.find_orphans(session, store, min_age=timedelta(0))
    assert report.temp_leftovers == [str(leftover)]
    assert report.derivatives_without_rows == [("a" * 64, "display.jpg")]
    assert _gc(app, "--delete").exit_code == 0
    assert not leftover.exists() and not store.derivative_exists("a" * 64, "display.jpg")


def test_evidence_columns_cannot_be_updated(session, store, uploader):
    photo = _upload(session, store, uploader)
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text("UPDATE photos SET sha256 = :s WHERE id = :id"), {"s": "b" * 64, "id": photo.id})
    session.rollback()


def test_photo_rows_cannot_be_deleted(session, store, uploader):
    photo = _upload(session, store, uploader)
    with pytest.raises(DBAPIError, match="DELETE refused"):
        session.execute(text("DELETE FROM photos WHERE id = :id"), {"id": photo.id})
    session.rollback()


def test_derivative_state_and_scope_may_change(session, store, uploader):
    photo = _upload(session, store, uploader)
    access.set_photo_scope(session, photo, ["/410000/410800/410811/410811001/"])
    photo.derivatives_state = "ready"
    session.commit()
    session.expire_all()
    assert session.get(Photo, photo.id).scope_paths == ["/410000/410800/410811/410811001/"]


# --------------------------------------------------------------------------- worker


def test_worker_marks_undecodable_originals_failed_and_the_api_says_so(app, session, store, uploader):
    # An original stored before a stricter upload check existed: insert the row directly.
    data = photo_bytes("pillow__Tests__images__truncated_jpeg.jpg")
    sha = sha256_hex(data)
    store.put_original(sha, data)
    photo = Photo(
        id=uuid.uuid4(),
        sha256=sha,
        uploader_id=uploader.user_id,
        scope_paths=list(uploader.jurisdiction_paths),
        size_bytes=len(data),
        format="JPEG",
        mime="image/jpeg",
        width=100,
        height=100,
    )
    session.add(photo)
    session.commit()
    assert drain_worker(app, store) == 1
    session.expire_all()
    failed = session.get(Photo, photo.id)
    assert (failed.derivatives_state, failed.derivatives_error) == ("failed", "image_undecodable")
    with pytest.raises(derivatives.DerivativeUnavailable) as exc:
        derivatives.ensure_derivatives(session, store, failed, max_pixels=50_000_000)
    assert exc.value.extra["error_code"] == "image_undecodable"


def test_identical_bytes_under_two_ids_are_decoded_once(app, session, store, uploader):
    first = _upload(session, store, uploader)
    assert drain_worker(app, store) == 1
    mtime = store.derivative_path(first.sha256, derivatives.DISPLAY).stat().st_mtime_ns
    second = _upload(session, store, uploader)
    assert drain_worker(app, store) == 1
    session.expire_all()
    done = session.get(Photo, second.id)
    assert done.derivatives_state == "ready"
    assert (done.display_width, done.display_height) == (640, 480)
    assert store.derivative_path(first.sha256, derivatives.DISPLAY).stat().st_mtime_ns == mtime  # not re-made


def test_two_workers_never_take_the_same_photo(app, session, store, uploader):
    from app.extensions import db

    _upload(session, store, uploader)
    _upload(session, store, uploader, "drew__jpg__HTC_Desire.jpg")
    # Worker A locks the oldest pending photo and holds its transaction open …
    with app.app_context():
        locked = db.session.scalars(
            select(Photo)
            .where(Photo.derivatives_state == "pending")
            .order_by(Photo.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).one()
        # … while worker B (another connection) skips it and takes the other one.
        with app.app_context():
            taken = derivatives.process_next_pending(db.session, store, max_pixels=50_000_000)
            assert taken is not None and taken.id != locked.id
            db.session.commit()
            assert derivatives.process_next_pending(db.session, store, max_pixels=50_000_000) is None
            db.session.commit()
        db.session.rollback()


def test_worker_cli_once_processes_the_queue(app, session, store, uploader):
    photo = _upload(session, store, uploader)
    result = app.test_cli_runner().invoke(args=["photos", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 photo(s) processed" in result.output
    session.expire_all()
    assert session.get(Photo, photo.id).derivatives_state == "ready"


def test_worker_pass_expires_stale_partial_uploads_and_keeps_fresh_ones(app, session, store, uploader, monkeypatch):
    import os
    import time

    monkeypatch.setitem(app.config, "PHOTO_PARTIAL_MAX_AGE_HOURS", 1)
    stale, fresh = f"u{uploader.user_id}-{uuid.uuid4().hex}", f"u{uploader.user_id}-{uuid.uuid4().hex}"
    store.spool.append_partial(stale, 0, b"x" * 1000, None)
    store.spool.append_partial(fresh, 0, b"y" * 1000, None)
    two_hours_ago = time.time() - 2 * 3600
    os.utime(store.spool.partial_path(stale), (two_hours_ago, two_hours_ago))
    result = app.test_cli_runner().invoke(args=["photos", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert store.spool.partial_offset(stale) == 0 and not store.spool.partial_path(stale).exists()
    assert store.spool.partial_offset(fresh) == 1000
    assert store.spool.partials_usage(f"u{uploader.user_id}-") == (1, 1000)
