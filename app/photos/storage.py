"""Photo storage behind a small interface. No Flask, no SQLAlchemy, no PIL.

Originals are evidence: content-addressed by SHA-256, written once, never modified ("keep the
original bytes untouched"). Derivatives may be regenerated.

A ``PhotoStore`` keeps originals and derivatives. Uploads are staged on local disk first, in the
store's ``LocalSpool`` (``app/photos/spool.py``: temp files and resumable partials), so refused or
mismatched bytes never reach the store.

``FilesystemPhotoStore`` layout under ``root`` (the data folder, e.g. ``var/photos``; its spool shares
the root, so completed partials are hard-linked into place)::

    originals/ab/cd/<sha256>              read-only, service user only (0o400), write-once
    derivatives/ab/cd/<sha256>/<name>     e.g. display.jpg, thumb.jpg, wm-….jpg

Durability recipe (so "file and row never disagree after a crash"): write a temp file in the
destination directory, fsync it, publish it under its final name, fsync the directory — and only
then let the caller commit its row. Originals are published with ``os.link`` (fails if the name
exists: no overwrite even under a race between two identical uploads) followed by unlinking the temp
name; derivatives with ``os.replace``. An upload's temp file is fsynced on another thread while the
caller inspects it and writes its row (``receive``); ``ReceivedOriginal.publish`` waits for that fsync
before the link, and the caller publishes before it commits.

A crash before the publish leaves only a ``.tmp-*`` file (``LocalSpool.iter_temp_leftovers``); a
crash after the publish but before the DB commit leaves an original without a row, which
``iter_originals`` lets ``flask photos gc`` find.

``S3PhotoStore`` (``app/photos/s3.py``) implements the same protocol on an S3-compatible bucket.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol, runtime_checkable

from app.photos.errors import StoredOriginalCorrupt
from app.photos.files import (
    SHA_RE,
    TEMP_PREFIX,
    BackgroundFsync,
    Readable,
    check_name,
    check_sha,
    ensure_dir,
    fsync_dir,
    receive_verified,
    sha256_of,
    temp_path,
)
from app.photos.spool import LocalSpool

__all__ = [
    "TEMP_PREFIX",
    "FilesystemPhotoStore",
    "LocalPathStore",
    "PhotoStore",
    "ReceivedOriginal",
    "StoredOriginal",
    "complete_partial",
    "sha256_of",
]


@dataclass(frozen=True)
class StoredOriginal:
    sha256: str
    size: int
    created: bool  # False when the same bytes were already stored (idempotent retry)


@dataclass(frozen=True)
class ReceivedOriginal:
    """An upload received and its hash verified, on local disk but not yet in the store: ``path`` may be read
    (to inspect the image) until the block that received it ends; ``publish`` puts it in the store."""

    sha256: str
    size: int
    path: Path
    publish: Callable[[], StoredOriginal]


class PhotoStore(Protocol):
    """What services need from photo storage: originals (write-once, verified) and derivatives."""

    spool: LocalSpool  # where uploads to this store are staged (temp files, resumable partials)

    def receive(
        self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None
    ) -> AbstractContextManager[ReceivedOriginal]: ...

    def store_stream(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> StoredOriginal: ...

    def put_original(self, sha256: str, data: Readable) -> StoredOriginal: ...

    def put_verified_file(self, path: Path, sha256: str, size: int) -> StoredOriginal: ...

    def verify_original(self, sha256: str) -> None: ...

    def original_exists(self, sha256: str) -> bool: ...

    def open_original(self, sha256: str) -> BinaryIO: ...

    def read_original(self, sha256: str) -> bytes: ...

    def delete_original(self, sha256: str) -> None: ...

    def iter_originals(self) -> Iterator[str]: ...

    def original_modified_at(self, sha256: str) -> float | None: ...

    def put_derivative(self, sha256: str, name: str, data: bytes) -> None: ...

    def derivative_exists(self, sha256: str, name: str) -> bool: ...

    def read_derivative(self, sha256: str, name: str) -> bytes: ...

    def delete_derivative(self, sha256: str, name: str) -> None: ...

    def iter_derivatives(self) -> Iterator[tuple[str, str]]: ...


@runtime_checkable
class LocalPathStore(Protocol):
    """A store that can hand processing a local path instead of bytes (no copy in memory)."""

    def original_path(self, sha256: str) -> Path: ...


def complete_partial(store: PhotoStore, upload_id: str, expected_sha256: str, max_bytes: int | None) -> StoredOriginal:
    """Publish a finished resumable upload as an original: its hash is verified in the spool first
    (mismatch → ``checksum_mismatch``, partial discarded); the partial is removed only once the
    store has the original (a failed publish can be completed again)."""
    path, size = store.spool.verified_partial(upload_id, expected_sha256, max_bytes)
    stored = store.put_verified_file(path, check_sha(expected_sha256), size)
    store.spool.finish_partial(upload_id)
    return stored


class FilesystemPhotoStore:
    """Local-disk ``PhotoStore``; see the module docstring for layout and guarantees."""

    def __init__(self, root: str | os.PathLike[str], spool: LocalSpool | None = None) -> None:
        self.root = Path(root)
        # Same root by default: a completed partial is hard-linked (same filesystem), never copied.
        self.spool = spool or LocalSpool(self.root)
        self._originals = self.root / "originals"
        self._derivatives = self.root / "derivatives"

    # ------------------------------------------------------------------ paths

    def original_path(self, sha256: str) -> Path:
        """Where the original lives (filesystem only; processing can read it by path)."""
        sha = check_sha(sha256)
        return self._originals / sha[:2] / sha[2:4] / sha

    def derivative_path(self, sha256: str, name: str) -> Path:
        sha = check_sha(sha256)
        return self._derivatives / sha[:2] / sha[2:4] / sha / check_name(name)

    # ------------------------------------------------------------------ originals

    @contextmanager
    def receive(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> Iterator[ReceivedOriginal]:
        """Stream an upload to a temp file while hashing and counting. Over ``max_bytes`` →
        ``payload_too_large`` (413), wrong hash → ``checksum_mismatch`` (422). The verified file is fsynced on
        another thread while the block reads it; ``publish`` waits for that fsync, then links the file under
        its hash and fsyncs the folder. Unpublished, nothing is left behind when the block ends."""
        expected = check_sha(expected_sha256)
        final = self.original_path(expected)
        ensure_dir(final.parent)
        tmp = temp_path(final.parent)  # in the destination folder: the link below cannot cross devices
        try:
            size = receive_verified(stream, tmp, expected, max_bytes, fsync=False)
            flushing = BackgroundFsync(tmp)
            try:

                def publish() -> StoredOriginal:
                    flushing.wait()  # the bytes are durable before they get their name
                    return StoredOriginal(expected, size, self._publish_original(tmp, final, expected))

                yield ReceivedOriginal(expected, size, tmp, publish)
            finally:
                flushing.join()  # never leave the fsync running past the temp file
        finally:
            tmp.unlink(missing_ok=True)

    def store_stream(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> StoredOriginal:
        """Receive an upload (``receive``) and publish it under its hash at once. The same bytes again →
        ``created=False`` (retries never produce a second copy)."""
        with self.receive(stream, expected_sha256, max_bytes) as received:
            return received.publish()

    def put_original(self, sha256: str, data: Readable) -> StoredOriginal:
        """Write-once put: bytes must hash to ``sha256``; existing identical bytes → no-op."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        return self.store_stream(data, sha256, None)

    def put_verified_file(self, path: Path, sha256: str, size: int) -> StoredOriginal:
        """Publish a fsynced local file already verified to hash to ``sha256`` (a completed partial)
        by hard-linking it into place: no second copy. The caller removes ``path`` afterwards."""
        final = self.original_path(sha256)
        ensure_dir(final.parent)
        created = self._publish_original(path, final, sha256)
        return StoredOriginal(sha256, size, created)

    def _publish_original(self, tmp: Path, final: Path, sha256: str) -> bool:
        # Evidence: readable by the service user only, writable by nobody (write-once).
        os.chmod(tmp, 0o400)
        try:
            os.link(tmp, final)  # atomic, and refuses to replace an existing name
        except FileExistsError:
            self._verify_existing(final, sha256)
            return False
        fsync_dir(final.parent)
        return True

    def _verify_existing(self, final: Path, sha256: str) -> None:
        with open(final, "rb") as fh:
            actual = sha256_of(fh)
        if actual != sha256:
            # Never overwrite evidence, not even with the "right" bytes: an operator must look.
            raise StoredOriginalCorrupt(
                "存储中的原始照片与其哈希值不符",
                "A stored original does not match its hash",
                extra={"sha256": sha256, "actual_sha256": actual},
            )

    def original_exists(self, sha256: str) -> bool:
        return self.original_path(sha256).is_file()

    def original_modified_at(self, sha256: str) -> float | None:
        """POSIX time the original was written (gc's grace period), None when absent."""
        try:
            return self.original_path(sha256).stat().st_mtime
        except FileNotFoundError:
            return None

    def open_original(self, sha256: str) -> BinaryIO:
        return open(self.original_path(sha256), "rb")

    def read_original(self, sha256: str) -> bytes:
        return self.original_path(sha256).read_bytes()

    def verify_original(self, sha256: str) -> None:
        """Re-hash a stored original (for audits); corrupt → ``StoredOriginalCorrupt``."""
        self._verify_existing(self.original_path(sha256), sha256)

    def delete_original(self, sha256: str) -> None:
        """For ``flask photos gc`` only: remove an original that no row references."""
        path = self.original_path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(path.parent)

    def iter_originals(self) -> Iterator[str]:
        if not self._originals.is_dir():
            return
        for a in sorted(self._originals.iterdir()):
            if not a.is_dir():
                continue
            for b in sorted(a.iterdir()):
                if not b.is_dir():
                    continue
                for f in sorted(b.iterdir()):
                    if SHA_RE.match(f.name) and f.is_file():
                        yield f.name

    # ------------------------------------------------------------------ derivatives

    def put_derivative(self, sha256: str, name: str, data: bytes) -> None:
        """Atomically create or replace a derivative (temp → fsync → rename → fsync dir)."""
        final = self.derivative_path(sha256, name)
        ensure_dir(final.parent)
        tmp = temp_path(final.parent)
        try:
            with open(tmp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(final.parent)

    def derivative_exists(self, sha256: str, name: str) -> bool:
        return self.derivative_path(sha256, name).is_file()

    def open_derivative(self, sha256: str, name: str) -> BinaryIO:
        return open(self.derivative_path(sha256, name), "rb")

    def read_derivative(self, sha256: str, name: str) -> bytes:
        return self.derivative_path(sha256, name).read_bytes()

    def delete_derivative(self, sha256: str, name: str) -> None:
        path = self.derivative_path(sha256, name)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(path.parent)

    def iter_derivatives(self) -> Iterator[tuple[str, str]]:
        if not self._derivatives.is_dir():
            return
        for sha_dir in sorted(self._derivatives.glob("*/*/*")):
            if sha_dir.is_dir() and SHA_RE.match(sha_dir.name):
                for f in sorted(sha_dir.iterdir()):
                    if f.is_file() and not f.name.startswith(TEMP_PREFIX):
                        yield sha_dir.name, f.name
