"""app.photos.storage.FilesystemPhotoStore and its LocalSpool: write-once, atomic, verified."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from app.errors import ValidationFailed
from app.photos.errors import ChecksumMismatch, PayloadTooLarge, StoredOriginalCorrupt, UploadOffsetMismatch
from app.photos.files import CHUNK_SIZE, BackgroundFsync
from app.photos.storage import FilesystemPhotoStore, PhotoStore, complete_partial
from tests.photo_samples import photo_bytes, photo_path

REPO = Path(__file__).resolve().parents[2]
PHOTO_NAME = "derived__gps_fractional_seconds.jpg"
PHOTO = photo_bytes(PHOTO_NAME)
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def store(tmp_path) -> FilesystemPhotoStore:
    return FilesystemPhotoStore(tmp_path / "photos")


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_filesystem_store_satisfies_the_protocol(store):
    protocol_methods = [m for m in vars(PhotoStore) if not m.startswith("_")]
    assert all(callable(getattr(store, m)) for m in protocol_methods)


def test_streamed_original_is_stored_byte_identical_and_readable_by_the_service_user_only(store):
    result = store.store_stream(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=20_000_000)
    assert (result.sha256, result.size, result.created) == (PHOTO_SHA, len(PHOTO), True)
    assert store.read_original(PHOTO_SHA) == PHOTO
    assert stat.S_IMODE(store.original_path(PHOTO_SHA).stat().st_mode) == 0o400
    assert list(store.iter_originals()) == [PHOTO_SHA]


def test_same_upload_five_times_stores_one_copy(store):
    results = [store.store_stream(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=None) for _ in range(5)]
    assert [r.created for r in results] == [True, False, False, False, False]
    assert all_files(store.root) == [store.original_path(PHOTO_SHA)]


def test_parallel_identical_uploads_store_one_copy_and_one_creation(store):
    results, errors = [], []

    def upload():
        try:
            results.append(store.store_stream(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=None))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert all_files(store.root) == [store.original_path(PHOTO_SHA)]


def test_a_received_upload_is_readable_unpublished_and_leaves_nothing_unless_published(store):
    with store.receive(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=None) as received:
        assert (received.sha256, received.size) == (PHOTO_SHA, len(PHOTO))
        assert received.path.read_bytes() == PHOTO  # the caller inspects it while it goes to disk
        assert not store.original_exists(PHOTO_SHA)
    assert all_files(store.root) == [] and not store.original_exists(PHOTO_SHA)

    with store.receive(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=None) as received:
        stored = received.publish()
    assert (stored.sha256, stored.size, stored.created) == (PHOTO_SHA, len(PHOTO), True)
    assert all_files(store.root) == [store.original_path(PHOTO_SHA)] and store.read_original(PHOTO_SHA) == PHOTO


def test_a_background_fsync_that_fails_fails_the_wait_not_the_join(tmp_path):
    flushing = BackgroundFsync(tmp_path / "vanished")
    flushing.join()
    with pytest.raises(FileNotFoundError):
        flushing.wait()


def test_hash_mismatch_is_rejected_and_leaves_nothing(store):
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumMismatch) as exc:
        store.store_stream(io.BytesIO(PHOTO), wrong, max_bytes=None)
    assert exc.value.code == "checksum_mismatch" and exc.value.status == 422
    assert exc.value.extra["actual_sha256"] == PHOTO_SHA
    assert all_files(store.root) == []


def test_a_body_of_several_chunks_is_hashed_and_written_in_order(store):
    data = bytes(range(256)) * (CHUNK_SIZE * 3 // 256) + b"tail"  # three chunks and a bit, hashed off-thread
    sha = hashlib.sha256(data).hexdigest()
    assert store.store_stream(io.BytesIO(data), sha, max_bytes=None).size == len(data)
    assert store.read_original(sha) == data


def test_a_connection_lost_after_some_chunks_leaves_nothing(store):
    class LostAfterTwoChunks(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            if self.tell() >= 2 * CHUNK_SIZE:
                raise OSError("connection reset")
            return super().read(n)

    data = os.urandom(3 * CHUNK_SIZE)
    with pytest.raises(OSError, match="connection reset"):
        store.store_stream(LostAfterTwoChunks(data), hashlib.sha256(data).hexdigest(), max_bytes=None)
    assert all_files(store.root) == []


def test_oversized_upload_is_413_and_leaves_nothing(store):
    with pytest.raises(PayloadTooLarge) as exc:
        store.store_stream(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=len(PHOTO) - 1)
    assert exc.value.code == "payload_too_large" and exc.value.status == 413
    assert all_files(store.root) == []


def test_upload_exactly_at_the_byte_limit_is_accepted(store):
    assert store.store_stream(io.BytesIO(PHOTO), PHOTO_SHA, max_bytes=len(PHOTO)).created


def test_different_bytes_at_an_existing_hash_path_are_an_integrity_error_not_overwritten(store):
    store.put_original(PHOTO_SHA, PHOTO)
    path = store.original_path(PHOTO_SHA)
    os.chmod(path, 0o644)
    path.write_bytes(b"bit rot")  # simulate corruption of the stored evidence
    with pytest.raises(StoredOriginalCorrupt) as exc:
        store.put_original(PHOTO_SHA, PHOTO)
    assert exc.value.status == 500
    assert path.read_bytes() == b"bit rot"  # never silently "repaired"
    assert all_files(store.root) == [path]


def test_put_original_verifies_the_claimed_hash(store):
    with pytest.raises(ChecksumMismatch):
        store.put_original(hashlib.sha256(b"x").hexdigest(), PHOTO)


def test_malformed_hash_is_a_validation_error(store):
    with pytest.raises(ValidationFailed):
        store.store_stream(io.BytesIO(PHOTO), "../../etc/passwd", max_bytes=None)


def test_crash_during_write_leaves_a_temp_file_that_gc_finds_and_no_final_file(tmp_path):
    root = tmp_path / "photos"
    script = textwrap.dedent(
        f"""
        import io, os, sys
        sys.path.insert(0, {str(REPO)!r})
        from app.photos.storage import FilesystemPhotoStore

        class DiesMidUpload(io.BytesIO):
            def read(self, n=-1):
                if self.tell() > 0:
                    os._exit(9)  # the process dies: no except/finally runs
                return super().read(4096)

        data = open({str(photo_path(PHOTO_NAME))!r}, "rb").read()
        FilesystemPhotoStore({str(root)!r}).store_stream(DiesMidUpload(data), {PHOTO_SHA!r}, None)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script])
    assert proc.returncode == 9
    store = FilesystemPhotoStore(root)
    assert not store.original_exists(PHOTO_SHA)
    assert list(store.iter_originals()) == []
    leftovers = list(store.spool.iter_temp_leftovers(older_than=timedelta(0)))
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".tmp-")
    assert list(store.spool.iter_temp_leftovers(older_than=timedelta(hours=1))) == []  # may still be in progress
    assert store.spool.remove_temp_leftovers(older_than=timedelta(0)) == leftovers
    assert all_files(root) == []


def test_original_published_but_never_committed_is_visible_to_gc(store):
    # crash after the file is durable but before the DB commit: gc compares this with the rows
    store.put_original(PHOTO_SHA, PHOTO)
    referenced_by_rows: set[str] = set()
    assert set(store.iter_originals()) - referenced_by_rows == {PHOTO_SHA}
    store.delete_original(PHOTO_SHA)
    assert not store.original_exists(PHOTO_SHA)


def test_derivatives_are_replaced_atomically_listed_and_deleted(store):
    store.put_derivative(PHOTO_SHA, "thumb.jpg", b"one")
    store.put_derivative(PHOTO_SHA, "thumb.jpg", b"two")
    store.put_derivative(PHOTO_SHA, "display.jpg", b"big")
    assert store.read_derivative(PHOTO_SHA, "thumb.jpg") == b"two"
    assert list(store.iter_derivatives()) == [(PHOTO_SHA, "display.jpg"), (PHOTO_SHA, "thumb.jpg")]
    store.delete_derivative(PHOTO_SHA, "thumb.jpg")
    assert not store.derivative_exists(PHOTO_SHA, "thumb.jpg")
    assert list(store.spool.iter_temp_leftovers(older_than=timedelta(0))) == []


def test_derivative_names_cannot_escape_the_store(store):
    with pytest.raises(ValueError):
        store.put_derivative(PHOTO_SHA, "../../evil", b"x")


# --------------------------------------------------------------------------- resumable uploads


def test_resumable_upload_in_chunks_becomes_an_original_without_a_second_copy(store):
    upload_id = "4f9b2c1e-0d6a-4c1b-9a55-1f2e3d4c5b6a"
    offset = 0
    for start in range(0, len(PHOTO), 50_000):
        offset = store.spool.append_partial(upload_id, offset, PHOTO[start : start + 50_000], max_bytes=20_000_000)
    assert offset == len(PHOTO) == store.spool.partial_offset(upload_id)
    result = complete_partial(store, upload_id, PHOTO_SHA, max_bytes=20_000_000)
    assert result.created and store.read_original(PHOTO_SHA) == PHOTO
    assert all_files(store.root) == [store.original_path(PHOTO_SHA)]
    assert stat.S_IMODE(store.original_path(PHOTO_SHA).stat().st_mode) == 0o400


def test_chunk_resent_after_a_lost_response_gets_409_with_the_current_offset(store):
    upload_id = "upload-0001"
    store.spool.append_partial(upload_id, 0, PHOTO[:1000], max_bytes=None)
    with pytest.raises(UploadOffsetMismatch) as exc:
        store.spool.append_partial(upload_id, 0, PHOTO[:1000], max_bytes=None)
    assert exc.value.status == 409 and exc.value.extra["current_offset"] == 1000
    assert store.spool.partial_offset(upload_id) == 1000


def test_resumable_upload_over_the_byte_limit_is_413(store):
    with pytest.raises(PayloadTooLarge):
        store.spool.append_partial("upload-0002", 0, PHOTO, max_bytes=len(PHOTO) - 1)


def test_completed_upload_with_the_wrong_hash_is_discarded(store):
    store.spool.append_partial("upload-0003", 0, PHOTO[:-1], max_bytes=None)
    with pytest.raises(ChecksumMismatch):
        complete_partial(store, "upload-0003", PHOTO_SHA, max_bytes=None)
    assert store.spool.partial_offset("upload-0003") == 0
    assert all_files(store.root) == []


def test_upload_id_cannot_escape_the_store(store):
    with pytest.raises(ValidationFailed):
        store.spool.append_partial("../../../tmp/x", 0, b"x", max_bytes=None)


def test_abandoned_partials_are_listed_for_gc(store):
    store.spool.append_partial("upload-0004", 0, b"abc", max_bytes=None)
    assert list(store.spool.iter_partials(older_than=timedelta(0))) == [("upload-0004", 3)]
