"""Local-file building blocks shared by the spool and the stores: hashing, name checks, fsync. No Flask,
no SQLAlchemy, no PIL.

Durability recipe ("file and row never disagree after a crash"): write a temp file, fsync it, publish it
under its final name, fsync the directory — and only then let the caller commit its row.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, BinaryIO

from app.errors import ValidationFailed
from app.photos.errors import ChecksumMismatch, PayloadTooLarge

__all__ = [
    "CHUNK_SIZE",
    "BackgroundFsync",
    "TEMP_PREFIX",
    "Readable",
    "check_name",
    "check_sha",
    "checksum_mismatch",
    "ensure_dir",
    "fsync_dir",
    "receive_verified",
    "sha256_of",
    "temp_path",
    "too_large",
]

CHUNK_SIZE = 1 << 20
TEMP_PREFIX = ".tmp-"
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

Readable = bytes | bytearray | memoryview | BinaryIO


def sha256_of(data: Readable) -> str:
    """Hex SHA-256 of bytes or of a binary stream (read in chunks)."""
    h = hashlib.sha256()
    if isinstance(data, (bytes, bytearray, memoryview)):
        h.update(data)
    else:
        for chunk in iter(lambda: data.read(CHUNK_SIZE), b""):
            h.update(chunk)
    return h.hexdigest()


def check_sha(sha256: str) -> str:
    """``sha256`` if it is 64 lowercase hex digits (it becomes a file name or key), else 422."""
    if not isinstance(sha256, str) or not SHA_RE.match(sha256):
        raise ValidationFailed(
            "SHA-256 必须是 64 位小写十六进制", "SHA-256 must be 64 lowercase hex digits", extra={"field": "sha256"}
        )
    return sha256


def check_name(name: str) -> str:
    """A derivative name that cannot escape its folder."""
    if not _NAME_RE.match(name or ""):
        raise ValueError(f"invalid derivative name {name!r}")
    return name


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BackgroundFsync:
    """fsync a written file on another thread (``os.fsync`` releases the GIL) while the caller goes on, e.g.
    reading the same file from the page cache; ``wait`` joins and raises what the fsync raised."""

    def __init__(self, path: Path) -> None:
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), name="fsync", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            # Any descriptor of the file will do: fsync flushes the file, not what this descriptor wrote.
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self._error = exc

    def wait(self) -> None:
        """Join; the fsync's error, if any, is raised here."""
        self.join()
        if self._error is not None:
            raise self._error

    def join(self) -> None:
        """Join without raising (the block is ending anyway, perhaps with its own error)."""
        self._thread.join()


def ensure_dir(path: Path) -> None:
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
        fsync_dir(d.parent)


def temp_path(directory: Path) -> Path:
    """A fresh temp name in ``directory`` (gc recognises the prefix)."""
    return directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}"


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"上传内容超过 {max_bytes} 字节上限",
        f"Upload exceeds the limit of {max_bytes} bytes",
        extra={"max_bytes": max_bytes},
    )


def checksum_mismatch(expected: str, actual: str) -> ChecksumMismatch:
    return ChecksumMismatch(
        "上传内容的 SHA-256 与声明值不符，请重新上传",
        "The SHA-256 of the uploaded bytes differs from the declared one; upload again",
        extra={"expected_sha256": expected, "actual_sha256": actual},
    )


def receive_verified(
    stream: IO[bytes], tmp: Path, expected_sha256: str, max_bytes: int | None, *, fsync: bool = True
) -> int:
    """Copy ``stream`` into the new file ``tmp`` while hashing and counting → bytes written.
    Over ``max_bytes`` → ``payload_too_large``, hash ≠ ``expected_sha256`` → ``checksum_mismatch``;
    the caller removes ``tmp`` in every case (it holds refused bytes on error). Shared by every
    store, so refused or mismatched bytes never get past a local temp file."""
    h = hashlib.sha256()
    size = 0

    def take(chunk: bytes) -> None:
        h.update(chunk)
        out.write(chunk)

    # Hashing and writing a chunk (both release the GIL) run on another thread while the next chunk is read
    # from the client; one chunk at a time in flight, in order. The pool is shut down before the file closes.
    with open(tmp, "xb") as out, ThreadPoolExecutor(max_workers=1, thread_name_prefix="receive") as pool:
        pending: Future[None] | None = None
        while True:
            chunk = stream.read(CHUNK_SIZE)
            if not chunk:
                break
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise too_large(max_bytes)
            if pending is not None:
                pending.result()
            pending = pool.submit(take, chunk)
        if pending is not None:
            pending.result()
        out.flush()
        if fsync:
            os.fsync(out.fileno())
    actual = h.hexdigest()
    if actual != expected_sha256:
        raise checksum_mismatch(expected_sha256, actual)
    return size
