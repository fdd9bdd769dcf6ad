"""``LocalSpool``: the local folder where uploads are staged, whatever store keeps the originals.
No Flask, no SQLAlchemy, no PIL.

Layout under ``root`` (the data folder, PHOTO_ROOT)::

    partials/<upload_id>     resumable uploads in progress (appended, fsynced, offset = file size)
    spool/.tmp-*             upload temp files of stores that do not write in place (S3)
    any dir: .tmp-*          temp files; a crash leaves them, gc removes them

The filesystem store keeps its originals under the same root, so a completed partial is hard-linked
into place (no second copy). Behind several app servers the chunks of one resumable upload must reach
the same server (sticky routing) or share the data folder; the one-shot PUT has no such constraint.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO

from app.errors import ValidationFailed
from app.photos.errors import UploadOffsetMismatch
from app.photos.files import (
    TEMP_PREFIX,
    check_sha,
    checksum_mismatch,
    ensure_dir,
    fsync_dir,
    receive_verified,
    sha256_of,
    temp_path,
    too_large,
)

__all__ = ["LocalSpool"]

_UPLOAD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _check_upload_id(upload_id: str) -> str:
    if not isinstance(upload_id, str) or not _UPLOAD_ID_RE.match(upload_id):
        raise ValidationFailed("上传编号格式无效", "Invalid upload id", extra={"field": "upload_id"})
    return upload_id


class LocalSpool:
    """Temp files and resumable partials on local disk under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._partials = self.root / "partials"
        self._spool = self.root / "spool"

    # ------------------------------------------------------------------ temp files

    @contextmanager
    def received(
        self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None, *, fsync: bool = True
    ) -> Iterator[tuple[Path, int]]:
        """Receive ``stream`` into a spool temp file while hashing (413 / 422 ``checksum_mismatch``
        there) → (path, size) of the verified file, removed when the block ends."""
        expected = check_sha(expected_sha256)
        ensure_dir(self._spool)
        tmp = temp_path(self._spool)
        try:
            size = receive_verified(stream, tmp, expected, max_bytes, fsync=fsync)
            yield tmp, size
        finally:
            tmp.unlink(missing_ok=True)

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

    def partial_path(self, upload_id: str) -> Path:
        return self._partials / _check_upload_id(upload_id)

    def partial_offset(self, upload_id: str) -> int:
        """Bytes durably received so far for ``upload_id`` (0 when unknown)."""
        try:
            return self.partial_path(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    def append_partial(self, upload_id: str, offset: int, chunk: bytes, max_bytes: int | None) -> int:
        """Append ``chunk`` at ``offset`` (must equal the bytes received so far, else
        ``upload_offset_mismatch`` 409 with ``current_offset``); fsynced before returning
        the new offset, so an acknowledged offset survives a crash."""
        path = self.partial_path(upload_id)
        ensure_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        created = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # parallel retries of the same chunk serialise here
            current = os.fstat(fd).st_size
            created = current == 0
            if offset != current:
                raise UploadOffsetMismatch(
                    f"服务器已接收 {current} 字节，请从该偏移继续",
                    f"Server has {current} bytes; resume from there",
                    extra={"current_offset": current},
                )
            if max_bytes is not None and current + len(chunk) > max_bytes:
                raise too_large(max_bytes)
            view = memoryview(chunk)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            new_size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if created:
            fsync_dir(path.parent)
        return new_size

    def verified_partial(self, upload_id: str, expected_sha256: str, max_bytes: int | None) -> tuple[Path, int]:
        """The assembled upload → (path, size) once its size and hash check out. No such upload →
        ``upload_offset_mismatch`` (offset 0); too large or wrong hash → the partial is discarded
        (the phone starts over) and 413 / 422 ``checksum_mismatch``."""
        expected = check_sha(expected_sha256)
        path = self.partial_path(upload_id)
        if not path.is_file():
            raise UploadOffsetMismatch("没有找到该分段上传", "No such partial upload", extra={"current_offset": 0})
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            path.unlink(missing_ok=True)
            raise too_large(max_bytes)
        with open(path, "rb") as fh:
            actual = sha256_of(fh)
        if actual != expected:
            path.unlink(missing_ok=True)
            raise checksum_mismatch(expected, actual)
        return path, size

    def finish_partial(self, upload_id: str) -> None:
        """Remove a partial whose bytes are now an original (durably: fsync the folder)."""
        path = self.partial_path(upload_id)
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)

    def abort_partial(self, upload_id: str) -> None:
        self.partial_path(upload_id).unlink(missing_ok=True)

    def partials_usage(self, prefix: str) -> tuple[int, int]:
        """Open partials whose upload id starts with ``prefix`` (one uploader's) → (count, bytes)."""
        count = total = 0
        if not self._partials.is_dir():
            return 0, 0
        for path in self._partials.iterdir():
            if not path.name.startswith(prefix) or not _UPLOAD_ID_RE.match(path.name):
                continue
            try:
                total += path.stat().st_size
            except FileNotFoundError:  # finished or expired meanwhile
                continue
            count += 1
        return count, total

    def expire_partials(self, older_than: timedelta) -> list[tuple[str, int]]:
        """Remove partials untouched for ``older_than`` (the phone starts those over) → (upload_id, bytes)."""
        expired = list(self.iter_partials(older_than))
        for upload_id, _ in expired:
            self.abort_partial(upload_id)
        return expired

    def iter_partials(self, older_than: timedelta = timedelta(days=7)) -> Iterator[tuple[str, int]]:
        """Abandoned resumable uploads (upload_id, bytes) for gc."""
        cutoff = time.time() - older_than.total_seconds()
        if not self._partials.is_dir():
            return
        for path in sorted(self._partials.iterdir()):
            st = path.stat()
            if path.is_file() and _UPLOAD_ID_RE.match(path.name) and st.st_mtime <= cutoff:
                yield path.name, st.st_size
