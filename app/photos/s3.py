"""``S3PhotoStore``: the ``PhotoStore`` protocol on an S3-compatible bucket ("S3-compatible object storage
for scale (boto3, configured by env)"). No Flask, no SQLAlchemy, no PIL.

Keys (``prefix`` is ``PHOTO_S3_PREFIX``, e.g. ``lantian/``)::

    <prefix>originals/ab/cd/<sha256>              write-once
    <prefix>derivatives/ab/cd/<sha256>/<name>     replaceable (display.jpg, thumb.jpg, wm-….jpg)

Upload path: the body is streamed into a local temp file in the spool (``LocalSpool.received``)
while it is hashed and counted, as the filesystem store does, so a body
over the limit or with the wrong hash is refused before any byte reaches the bucket. Only the
verified file is uploaded, with a single ``PutObject`` (our size limit is far below S3's 5 GiB
single-PUT maximum) carrying ``x-amz-checksum-sha256``, so the service re-checks the same digest.

Write-once: ``HeadObject`` first (an identical original already stored → no upload, ``created=False``),
then ``PutObject`` with ``If-None-Match: *`` (conditional writes: AWS S3 since 2024-08, MinIO,
moto), which refuses to replace a key created in between (412 → treated as "already there").
Endpoints without conditional writes can set ``PHOTO_S3_CONDITIONAL_PUT=0``: head-then-put.
That race is acceptable *because keys are content addressed*: both writers upload bytes already
verified to hash to the key, so the "overwrite" replaces an object with byte-identical content
and the evidence is unchanged. When an original already exists we re-hash it (as the filesystem
store does) and refuse with ``stored_original_corrupt`` instead of "repairing" it.

Crash safety ("file and row never disagree after a crash"): ``PutObject`` returns only once the
object is durable; the caller commits its row after that. A crash in between leaves an object
without a row, which ``iter_originals`` (paginated ``ListObjectsV2``) lets ``flask photos gc``
find; ``original_modified_at`` (``LastModified``) gives gc its grace period for uploads in flight.

Resumable uploads stay on local disk (the store's ``LocalSpool`` under the data folder): chunks are
appended and fsynced locally and only the completed, verified file is uploaded (``put_verified_file``). Behind several app servers the chunks of one upload must reach the same server (sticky
routing) or share the data folder; the one-shot PUT has no such constraint.

Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and ``~/.aws``, instance or container roles); the region
from ``AWS_DEFAULT_REGION`` / ``AWS_REGION``. We never read or store them ourselves.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from app.photos.errors import StoredOriginalCorrupt
from app.photos.files import (
    SHA_RE,
    TEMP_PREFIX,
    Readable,
    check_name,
    check_sha,
    sha256_of,
)
from app.photos.spool import LocalSpool
from app.photos.storage import ReceivedOriginal, StoredOriginal

__all__ = ["S3PhotoStore", "s3_client"]

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_ALREADY_THERE = {"412", "PreconditionFailed"}
# 409 ConditionalRequestConflict: another conditional PUT of the same key is in flight.
_CONCURRENT = {"409", "ConditionalRequestConflict"}


def s3_client(
    *, endpoint_url: str | None = None, addressing_style: str = "auto", region_name: str | None = None
) -> Any:
    """A boto3 S3 client using boto3's own credential/region chain (nothing read here)."""
    config = BotoConfig(s3={"addressing_style": addressing_style}, retries={"mode": "standard", "max_attempts": 5})
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region_name or None, config=config
    )


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code") or status)


def _is(exc: ClientError, codes: set[str]) -> bool:
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return _code(exc) in codes or status in codes


class S3PhotoStore:
    """``PhotoStore`` on an S3-compatible bucket; see the module docstring for guarantees.

    ``client`` is a boto3 S3 client (thread-safe, shared by requests); ``local_root`` a folder
    on local disk for the spool: upload temp files (``spool/``) and resumable partials (``partials/``)."""

    def __init__(
        self, client: Any, bucket: str, *, prefix: str = "", local_root: str | Path, conditional_put: bool = True
    ) -> None:
        if not bucket:
            raise RuntimeError("PHOTO_STORAGE=s3 needs PHOTO_S3_BUCKET")
        self.client = client
        self.bucket = bucket
        prefix = prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.conditional_put = conditional_put
        self.spool = LocalSpool(local_root)  # temp files and partials only, never originals

    # ------------------------------------------------------------------ keys

    def original_key(self, sha256: str) -> str:
        sha = check_sha(sha256)
        return f"{self.prefix}originals/{sha[:2]}/{sha[2:4]}/{sha}"

    def derivative_key(self, sha256: str, name: str) -> str:
        sha = check_sha(sha256)
        return f"{self.prefix}derivatives/{sha[:2]}/{sha[2:4]}/{sha}/{check_name(name)}"

    # ------------------------------------------------------------------ small S3 helpers

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return cast(dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if _is(exc, _NOT_FOUND):
                return None
            raise

    def _get_body(self, key: str) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _is(exc, _NOT_FOUND):
                raise FileNotFoundError(key) from exc  # as the filesystem store does
            raise

    def _iter_keys(self, under: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + under):
            for obj in page.get("Contents", ()):
                yield str(obj["Key"])[len(self.prefix) :]

    def _delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)  # idempotent: absent keys are fine

    # ------------------------------------------------------------------ originals

    @contextmanager
    def receive(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> Iterator[ReceivedOriginal]:
        """Receive into a local temp file while hashing (413 / 422 ``checksum_mismatch`` there, nothing
        uploaded); ``publish`` uploads it write-once under its hash. The block may read the local file."""
        expected = check_sha(expected_sha256)
        # No fsync: the bucket is where durability comes from; a crash just leaves a temp file.
        with self.spool.received(stream, expected, max_bytes, fsync=False) as (tmp, size):
            yield ReceivedOriginal(expected, size, tmp, lambda: self.put_verified_file(tmp, expected, size))

    def store_stream(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> StoredOriginal:
        """Receive (``receive``), then upload write-once under its hash."""
        with self.receive(stream, expected_sha256, max_bytes) as received:
            return received.publish()

    def put_original(self, sha256: str, data: Readable) -> StoredOriginal:
        """Write-once put: bytes must hash to ``sha256``; existing identical bytes → no-op."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        return self.store_stream(data, sha256, None)

    def put_verified_file(self, path: Path, sha256: str, size: int) -> StoredOriginal:
        """Upload a local file already verified to hash to ``sha256`` (a spool temp file or a completed
        partial) under its key, unless the key exists (``created=False``)."""
        return StoredOriginal(sha256, size, self._publish_file(path, check_sha(sha256), size))

    def _publish_file(self, path: Path, sha256: str, size: int) -> bool:
        """Upload a verified file under its key unless the key exists → True when uploaded."""
        key = self.original_key(sha256)
        if self._head(key) is not None:
            self.verify_original(sha256)
            return False
        extra: dict[str, Any] = {"IfNoneMatch": "*"} if self.conditional_put else {}
        with open(path, "rb") as body:
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentLength=size,
                    ContentType="application/octet-stream",
                    ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode(),
                    **extra,
                )
            except ClientError as exc:
                if not _is(exc, _ALREADY_THERE | _CONCURRENT):
                    raise
                # Another upload of the same bytes won the race (or is finishing): same content by
                # construction; make sure what is stored really is it.
                self.verify_original(sha256)
                return False
        return True

    def original_exists(self, sha256: str) -> bool:
        return self._head(self.original_key(sha256)) is not None

    def original_modified_at(self, sha256: str) -> float | None:
        head = self._head(self.original_key(sha256))
        return None if head is None else float(head["LastModified"].timestamp())

    def open_original(self, sha256: str) -> BinaryIO:
        """A streaming body (``read``/``close``); FileNotFoundError when absent."""
        return cast(BinaryIO, self._get_body(self.original_key(sha256)))

    def read_original(self, sha256: str) -> bytes:
        body = self._get_body(self.original_key(sha256))
        try:
            return bytes(body.read())
        finally:
            body.close()

    def verify_original(self, sha256: str) -> None:
        """Download and re-hash a stored original; corrupt → ``StoredOriginalCorrupt``."""
        body = self._get_body(self.original_key(sha256))
        try:
            actual = sha256_of(cast(BinaryIO, body))  # StreamingBody.read(n) streams
        finally:
            body.close()
        if actual != sha256:
            raise StoredOriginalCorrupt(
                "存储中的原始照片与其哈希值不符",
                "A stored original does not match its hash",
                extra={"sha256": sha256, "actual_sha256": actual},
            )

    def delete_original(self, sha256: str) -> None:
        """For ``flask photos gc`` only: remove an original that no row references."""
        self._delete(self.original_key(sha256))

    def iter_originals(self) -> Iterator[str]:
        for rest in self._iter_keys("originals/"):
            parts = rest.split("/")
            if len(parts) == 4 and SHA_RE.match(parts[3]) and parts[1] == parts[3][:2] and parts[2] == parts[3][2:4]:
                yield parts[3]

    # ------------------------------------------------------------------ derivatives

    def put_derivative(self, sha256: str, name: str, data: bytes) -> None:
        """Create or replace a derivative (a PUT is atomic: readers see old or new, never half)."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.derivative_key(sha256, name),
            Body=bytes(data),
            ContentType="image/jpeg" if name.endswith(".jpg") else "application/octet-stream",
        )

    def derivative_exists(self, sha256: str, name: str) -> bool:
        return self._head(self.derivative_key(sha256, name)) is not None

    def read_derivative(self, sha256: str, name: str) -> bytes:
        body = self._get_body(self.derivative_key(sha256, name))
        try:
            return bytes(body.read())
        finally:
            body.close()

    def delete_derivative(self, sha256: str, name: str) -> None:
        self._delete(self.derivative_key(sha256, name))

    def iter_derivatives(self) -> Iterator[tuple[str, str]]:
        for rest in self._iter_keys("derivatives/"):
            parts = rest.split("/")
            if len(parts) == 5 and SHA_RE.match(parts[3]) and not parts[4].startswith(TEMP_PREFIX):
                yield parts[3], parts[4]
