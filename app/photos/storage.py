"""Photo storage behind a small interface (issue 5 §8). No Flask, no SQLAlchemy, no PIL.

Originals are evidence: content-addressed by SHA-256, written once, never modified
(issue 5 §6 "keep the original bytes untouched"). Derivatives may be regenerated.

``FilesystemPhotoStore`` layout under ``root`` (the data folder, e.g. ``var/photos``)::

    originals/ab/cd/<sha256>              read-only (0o444), write-once
    derivatives/ab/cd/<sha256>/<name>     e.g. display.jpg, thumb.jpg, watermarked.jpg
    partials/<upload_id>                  resumable uploads in progress
    any dir: .tmp-*                       temp files; a crash leaves them, gc removes them

Durability recipe (so "file and row never disagree after a crash", issue 5 §8): write a
temp file in the destination directory, fsync it, publish it under its final name, fsync
the directory — and only then let the caller commit its row. Originals are published with
``os.link`` (fails if the name exists: no overwrite even under a race between two identical
uploads) followed by unlinking the temp name; derivatives with ``os.replace``.

A crash before the publish leaves only a ``.tmp-*`` file (``iter_temp_leftovers``); a crash
after the publish but before the DB commit leaves an original without a row, which
``iter_originals`` lets ``flask photos gc`` find.

``S3PhotoStore`` (``app/photos/s3.py``) implements the same protocol on an S3-compatible
bucket; it receives and verifies uploads through ``receive_verified`` into a local temp file
first and keeps resumable partials on local disk (a ``FilesystemPhotoStore`` under the data folder).
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, BinaryIO, Iterator, Protocol, Union

from app.errors import ValidationFailed
from app.photos.errors import ChecksumMismatch, PayloadTooLarge, StoredOriginalCorrupt, UploadOffsetMismatch

__all__ = [
    "CHUNK_SIZE",
    "FilesystemPhotoStore",
    "PhotoStore",
    "StoredOriginal",
    "receive_verified",
    "sha256_of",
]

CHUNK_SIZE = 1 << 20
TEMP_PREFIX = ".tmp-"
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_UPLOAD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

Readable = Union[bytes, bytearray, memoryview, BinaryIO]


@dataclass(frozen=True)
class StoredOriginal:
    sha256: str
    size: int
    created: bool  # False when the same bytes were already stored (idempotent retry)


class PhotoStore(Protocol):
    """What services need from photo storage."""

    def store_stream(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> StoredOriginal: ...

    def put_original(self, sha256: str, data: Readable) -> StoredOriginal: ...

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

    # Crash leftovers and resumable uploads (both stores keep these on local disk).
    def iter_temp_leftovers(self, older_than: timedelta = ...) -> Iterator[Path]: ...

    def partial_offset(self, upload_id: str) -> int: ...

    def append_partial(self, upload_id: str, offset: int, chunk: bytes, max_bytes: int | None) -> int: ...

    def complete_partial(self, upload_id: str, expected_sha256: str, max_bytes: int | None) -> StoredOriginal: ...

    def abort_partial(self, upload_id: str) -> None: ...

    def iter_partials(self, older_than: timedelta = ...) -> Iterator[tuple[str, int]]: ...


def sha256_of(data: Readable) -> str:
    """Hex SHA-256 of bytes or of a binary stream (read in chunks)."""
    h = hashlib.sha256()
    if isinstance(data, (bytes, bytearray, memoryview)):
        h.update(data)
    else:
        for chunk in iter(lambda: data.read(CHUNK_SIZE), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_sha(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA_RE.match(sha256):
        raise ValidationFailed(
            "SHA-256 必须是 64 位小写十六进制", "SHA-256 must be 64 lowercase hex digits", extra={"field": "sha256"}
        )
    return sha256


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise ValueError(f"invalid derivative name {name!r}")
    return name


def _check_upload_id(upload_id: str) -> str:
    if not isinstance(upload_id, str) or not _UPLOAD_ID_RE.match(upload_id):
        raise ValidationFailed("上传编号格式无效", "Invalid upload id", extra={"field": "upload_id"})
    return upload_id


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"上传内容超过 {max_bytes} 字节上限", f"Upload exceeds the limit of {max_bytes} bytes", extra={"max_bytes": max_bytes}
    )


def _mismatch(expected: str, actual: str) -> ChecksumMismatch:
    return ChecksumMismatch(
        "上传内容的 SHA-256 与声明值不符，请重新上传",
        "The SHA-256 of the uploaded bytes differs from the declared one; upload again",
        extra={"expected_sha256": expected, "actual_sha256": actual},
    )


def receive_verified(stream: IO[bytes], tmp: Path, expected_sha256: str, max_bytes: int | None,
                     *, fsync: bool = True) -> int:
    """Copy ``stream`` into the new file ``tmp`` while hashing and counting → bytes written.
    Over ``max_bytes`` → ``payload_too_large``, hash ≠ ``expected_sha256`` → ``checksum_mismatch``;
    the caller removes ``tmp`` in every case (it holds refused bytes on error). Shared by every
    store, so refused or mismatched bytes never get past a local temp file."""
    h = hashlib.sha256()
    size = 0
    with open(tmp, "xb") as out:
        while True:
            chunk = stream.read(CHUNK_SIZE)
            if not chunk:
                break
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise _too_large(max_bytes)
            h.update(chunk)
            out.write(chunk)
        out.flush()
        if fsync:
            os.fsync(out.fileno())
    actual = h.hexdigest()
    if actual != expected_sha256:
        raise _mismatch(expected_sha256, actual)
    return size


class FilesystemPhotoStore:
    """Local-disk ``PhotoStore``; see the module docstring for layout and guarantees."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._originals = self.root / "originals"
        self._derivatives = self.root / "derivatives"
        self._partials = self.root / "partials"

    # ------------------------------------------------------------------ paths

    def original_path(self, sha256: str) -> Path:
        """Where the original lives (filesystem only; processing can read it by path)."""
        sha = _check_sha(sha256)
        return self._originals / sha[:2] / sha[2:4] / sha

    def derivative_path(self, sha256: str, name: str) -> Path:
        sha = _check_sha(sha256)
        return self._derivatives / sha[:2] / sha[2:4] / sha / _check_name(name)

    def _ensure_dir(self, path: Path) -> None:
        """mkdir -p, fsyncing each parent that gained an entry (new dirs must be durable too)."""
        missing: list[Path] = []
        p = path
        while not p.exists():
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            _fsync_dir(d.parent)

    def _temp_path(self, directory: Path) -> Path:
        return directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}"

    # ------------------------------------------------------------------ originals

    def store_stream(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> StoredOriginal:
        """Stream an upload to a temp file while hashing and counting; publish it under its
        hash only when the hash matches. Over ``max_bytes`` → ``payload_too_large`` (413),
        wrong hash → ``checksum_mismatch`` (422); in both cases nothing is left behind.
        The same bytes again → ``created=False`` (retries never produce a second copy)."""
        expected = _check_sha(expected_sha256)
        final = self.original_path(expected)
        self._ensure_dir(final.parent)
        tmp = self._temp_path(final.parent)
        try:
            size = receive_verified(stream, tmp, expected, max_bytes)
            created = self._publish_original(tmp, final, expected)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredOriginal(expected, size, created)

    def put_original(self, sha256: str, data: Readable) -> StoredOriginal:
        """Write-once put: bytes must hash to ``sha256``; existing identical bytes → no-op."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        return self.store_stream(data, sha256, None)

    def _publish_original(self, tmp: Path, final: Path, sha256: str) -> bool:
        os.chmod(tmp, 0o444)
        try:
            os.link(tmp, final)  # atomic, and refuses to replace an existing name
        except FileExistsError:
            self._verify_existing(final, sha256)
            return False
        _fsync_dir(final.parent)
        return True

    def _verify_existing(self, final: Path, sha256: str) -> None:
        with open(final, "rb") as fh:
            actual = sha256_of(fh)
        if actual != sha256:
            # Never overwrite evidence, not even with the "right" bytes: an operator must look.
            raise StoredOriginalCorrupt(
                "存储中的原始照片与其哈希值不符", "A stored original does not match its hash",
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
        _fsync_dir(path.parent)

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
                    if _SHA_RE.match(f.name) and f.is_file():
                        yield f.name

    # ------------------------------------------------------------------ derivatives

    def put_derivative(self, sha256: str, name: str, data: bytes) -> None:
        """Atomically create or replace a derivative (temp → fsync → rename → fsync dir)."""
        final = self.derivative_path(sha256, name)
        self._ensure_dir(final.parent)
        tmp = self._temp_path(final.parent)
        try:
            with open(tmp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(final.parent)

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
        _fsync_dir(path.parent)

    def iter_derivatives(self) -> Iterator[tuple[str, str]]:
        if not self._derivatives.is_dir():
            return
        for sha_dir in sorted(self._derivatives.glob("*/*/*")):
            if sha_dir.is_dir() and _SHA_RE.match(sha_dir.name):
                for f in sorted(sha_dir.iterdir()):
                    if f.is_file() and not f.name.startswith(TEMP_PREFIX):
                        yield sha_dir.name, f.name

    # ------------------------------------------------------------------ crash leftovers

    def iter_temp_leftovers(self, older_than: timedelta = timedelta(hours=1)) -> Iterator[Path]:
        """Temp files left by a crash (or by a write still in progress if younger than
        ``older_than`` — hence the age filter)."""
        cutoff = time.time() - older_than.total_seconds()
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob(f"{TEMP_PREFIX}*")):
            try:
                if path.is_file() and path.stat().st_mtime <= cutoff:
                    yield path
            except FileNotFoundError:
                continue

    def remove_temp_leftovers(self, older_than: timedelta = timedelta(hours=1)) -> list[Path]:
        removed = []
        for path in list(self.iter_temp_leftovers(older_than)):
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    # ------------------------------------------------------------------ resumable uploads

    def _partial_path(self, upload_id: str) -> Path:
        return self._partials / _check_upload_id(upload_id)

    def partial_offset(self, upload_id: str) -> int:
        """Bytes durably received so far for ``upload_id`` (0 when unknown)."""
        try:
            return self._partial_path(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    def append_partial(self, upload_id: str, offset: int, chunk: bytes, max_bytes: int | None) -> int:
        """Append ``chunk`` at ``offset`` (must equal the bytes received so far, else
        ``upload_offset_mismatch`` 409 with ``current_offset``); fsynced before returning
        the new offset, so an acknowledged offset survives a crash."""
        path = self._partial_path(upload_id)
        self._ensure_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        created = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # parallel retries of the same chunk serialise here
            current = os.fstat(fd).st_size
            created = current == 0
            if offset != current:
                raise UploadOffsetMismatch(
                    f"服务器已接收 {current} 字节，请从该偏移继续", f"Server has {current} bytes; resume from there",
                    extra={"current_offset": current},
                )
            if max_bytes is not None and current + len(chunk) > max_bytes:
                raise _too_large(max_bytes)
            view = memoryview(chunk)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            new_size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if created:
            _fsync_dir(path.parent)
        return new_size

    def complete_partial(self, upload_id: str, expected_sha256: str, max_bytes: int | None) -> StoredOriginal:
        """Verify the assembled upload's hash and publish it as an original (no second
        copy: the partial is hard-linked into place). Mismatch → ``checksum_mismatch``
        and the partial is discarded so the phone starts over."""
        expected = _check_sha(expected_sha256)
        path = self._partial_path(upload_id)
        if not path.is_file():
            raise UploadOffsetMismatch(
                "没有找到该分段上传", "No such partial upload", extra={"current_offset": 0}
            )
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            path.unlink(missing_ok=True)
            raise _too_large(max_bytes)
        with open(path, "rb") as fh:
            actual = sha256_of(fh)
        if actual != expected:
            path.unlink(missing_ok=True)
            raise _mismatch(expected, actual)
        final = self.original_path(expected)
        self._ensure_dir(final.parent)
        created = self._publish_original(path, final, expected)
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return StoredOriginal(expected, size, created)

    def abort_partial(self, upload_id: str) -> None:
        self._partial_path(upload_id).unlink(missing_ok=True)

    def iter_partials(self, older_than: timedelta = timedelta(days=7)) -> Iterator[tuple[str, int]]:
        """Abandoned resumable uploads (upload_id, bytes) for gc."""
        cutoff = time.time() - older_than.total_seconds()
        if not self._partials.is_dir():
            return
        for path in sorted(self._partials.iterdir()):
            st = path.stat()
            if path.is_file() and _UPLOAD_ID_RE.match(path.name) and st.st_mtime <= cutoff:
                yield path.name, st.st_size

