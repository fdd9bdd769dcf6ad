"""S3PhotoStore against a real S3 protocol endpoint (moto's in-process server)."""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import config as app_config
from app.auth.principal import Principal
from app.factory import create_app
from app.photos import derivatives, gc, upload
from app.photos.errors import ChecksumMismatch, PayloadTooLarge
from app.photos.evidence_links import NO_EVIDENCE_LINKS
from app.photos.models import Photo
from app.photos.s3 import S3PhotoStore, s3_client
from app.photos.storage import complete_partial
from app.photos.stores import photo_store_from_config
from tests.factories import bearer, login, make_user
from tests.factories_photos import photo_bytes, put_photo, sha256_hex

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

GPS_JPEG = "derived__gps_fractional_seconds.jpg"
OTHER_JPEG = "drew__jpg__HTC_Desire.jpg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def aws_env(monkeypatch, tmp_path) -> None:
    """Credentials through boto3's ordinary chain (environment), nothing from ~/.aws."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture()
def bucket(s3_endpoint, aws_env) -> str:
    name = f"lantian-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint_url=s3_endpoint, addressing_style="path").create_bucket(Bucket=name)
    return name


@pytest.fixture()
def store(s3_endpoint, bucket, tmp_path) -> S3PhotoStore:
    client = s3_client(endpoint_url=s3_endpoint, addressing_style="path")
    return S3PhotoStore(client, bucket, prefix="lantian/", local_root=tmp_path / "local")


def _keys(store: S3PhotoStore) -> list[str]:
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", ()))


def _spool_files(store: S3PhotoStore) -> list[str]:
    spool = store.spool.root / "spool"
    return sorted(p.name for p in spool.iterdir()) if spool.is_dir() else []


# --------------------------------------------------------------------------- originals


def test_original_is_stored_under_its_content_address_and_reads_back_byte_identical(store):
    data = photo_bytes(GPS_JPEG)
    sha = sha256_hex(data)
    stored = store.store_stream(io.BytesIO(data), sha, None)
    assert (stored.sha256, stored.size, stored.created) == (sha, len(data), True)
    assert _keys(store) == [f"lantian/originals/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert store.read_original(sha) == data
    with store.open_original(sha) as fh:
        assert fh.read() == data
    assert _spool_files(store) == []  # the local temp file is gone


def test_the_same_bytes_again_are_a_no_op(store):
    data = photo_bytes(GPS_JPEG)
    sha = sha256_hex(data)
    store.put_original(sha, data)
    before = store.client.head_object(Bucket=store.bucket, Key=store.original_key(sha))
    again = store.put_original(sha, data)
    after = store.client.head_object(Bucket=store.bucket, Key=store.original_key(sha))
    assert again.created is False and again.size == len(data)
    assert after["ETag"] == before["ETag"] and after["LastModified"] == before["LastModified"]


def test_an_existing_original_is_never_overwritten_by_a_conditional_put(store):
    """Write-once at the S3 level: If-None-Match: * refuses to replace a key (lost head race)."""
    data = photo_bytes(GPS_JPEG)
    sha = sha256_hex(data)
    store.put_original(sha, data)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        store.client.put_object(Bucket=store.bucket, Key=store.original_key(sha), Body=b"tampered", IfNoneMatch="*")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert store.read_original(sha) == data


class _RacingClient:
    """A boto3 client whose first conditional PutObject is preceded by another uploader's PUT of
    the same key: the race between our HEAD (nothing there) and our PUT, made deterministic."""

    def __init__(self, client, data: bytes) -> None:
        self._client, self._data, self.raced = client, data, False

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def put_object(self, **kwargs):
        if kwargs.get("IfNoneMatch") == "*" and not self.raced:
            self.raced = True
            self._client.put_object(Bucket=kwargs["Bucket"], Key=kwargs["Key"], Body=self._data)
        return self._client.put_object(**kwargs)


def test_losing_the_race_between_head_and_put_counts_as_already_stored(s3_endpoint, bucket, tmp_path):
    data = photo_bytes(GPS_JPEG)
    client = _RacingClient(s3_client(endpoint_url=s3_endpoint, addressing_style="path"), data)
    store = S3PhotoStore(client, bucket, local_root=tmp_path / "local")
    stored = store.put_original(sha256_hex(data), data)
    assert client.raced and stored.created is False  # 412 from If-None-Match, then re-hashed
    assert store.read_original(sha256_hex(data)) == data


def test_hash_mismatch_never_reaches_the_bucket(store):
    data = photo_bytes(GPS_JPEG)
    with pytest.raises(ChecksumMismatch):
        store.store_stream(io.BytesIO(data), sha256_hex(b"something else"), None)
    assert _keys(store) == []
    assert _spool_files(store) == []


def test_a_body_over_the_size_limit_never_reaches_the_bucket(store):
    data = photo_bytes(GPS_JPEG)
    with pytest.raises(PayloadTooLarge):
        store.store_stream(io.BytesIO(data), sha256_hex(data), len(data) - 1)
    assert _keys(store) == []
    assert _spool_files(store) == []


def test_head_then_put_mode_for_endpoints_without_conditional_writes(s3_endpoint, bucket, tmp_path):
    store = S3PhotoStore(
        s3_client(endpoint_url=s3_endpoint, addressing_style="path"),
        bucket,
        local_root=tmp_path / "local",
        conditional_put=False,
    )
    data = photo_bytes(GPS_JPEG)
    assert store.put_original(sha256_hex(data), data).created is True
    assert store.put_original(sha256_hex(data), data).created is False
    assert list(store.iter_originals()) == [sha256_hex(data)]


def test_resumable_partials_stay_local_until_completed(store):
    data = photo_bytes(GPS_JPEG)
    half = len(data) // 2
    assert store.spool.append_partial("upload-0001", 0, data[:half], None) == half
    assert _keys(store) == [] and store.spool.partial_offset("upload-0001") == half
    store.spool.append_partial("upload-0001", half, data[half:], None)
    stored = complete_partial(store, "upload-0001", sha256_hex(data), None)
    assert stored.created and store.read_original(sha256_hex(data)) == data
    assert store.spool.partial_offset("upload-0001") == 0


# --------------------------------------------------------------------------- derivatives + listing


def test_derivatives_round_trip_and_are_listed(store):
    sha = sha256_hex(photo_bytes(GPS_JPEG))
    assert not store.derivative_exists(sha, "thumb.jpg")
    store.put_derivative(sha, "thumb.jpg", b"small")
    store.put_derivative(sha, "thumb.jpg", b"smaller")  # derivatives may be replaced
    store.put_derivative(sha, "display.jpg", b"large")
    assert store.derivative_exists(sha, "thumb.jpg")
    assert store.read_derivative(sha, "thumb.jpg") == b"smaller"
    assert f"lantian/derivatives/{sha[:2]}/{sha[2:4]}/{sha}/thumb.jpg" in _keys(store)
    assert sorted(store.iter_derivatives()) == [(sha, "display.jpg"), (sha, "thumb.jpg")]
    store.delete_derivative(sha, "thumb.jpg")
    assert list(store.iter_derivatives()) == [(sha, "display.jpg")]


def test_listing_pages_through_more_than_one_page_of_keys(store):
    shas = sorted(sha256_hex(bytes([i])) for i in range(5))
    for i in range(5):
        store.put_original(sha256_hex(bytes([i])), bytes([i]))
    store.client.meta.events.register(
        "before-parameter-build.s3.ListObjectsV2", lambda params, **_: params.setdefault("MaxKeys", 2)
    )
    assert sorted(store.iter_originals()) == shas


def test_keys_outside_the_prefix_are_not_ours(store):
    store.client.put_object(Bucket=store.bucket, Key=f"other/originals/aa/bb/{'a' * 64}", Body=b"x")
    assert list(store.iter_originals()) == []


# --------------------------------------------------------------------------- gc


@pytest.fixture()
def uploader(session, tree) -> Principal:
    user = make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    return Principal(user.id, user.username, user.role, ("/410000/410800/410811/",))


def test_gc_finds_an_object_whose_row_was_never_committed(session, store, uploader):
    data = photo_bytes(GPS_JPEG)
    kept_data = photo_bytes(OTHER_JPEG)
    upload.put_photo(
        session,
        store,
        uploader,
        uuid.uuid4(),
        io.BytesIO(kept_data),
        sha256_hex(kept_data),
        max_bytes=None,
        max_pixels=50_000_000,
        links=NO_EVIDENCE_LINKS,
    )
    session.commit()
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
    session.rollback()  # the process "died" after the upload, before COMMIT
    assert session.scalar(select(Photo.id).where(Photo.sha256 == sha256_hex(data))) is None

    assert gc.find_orphans(session, store).originals_without_rows == []  # grace: upload may be in flight
    report = gc.find_orphans(session, store, min_age=timedelta(0))
    assert report.originals_without_rows == [sha256_hex(data)]
    assert report.rows_without_originals == []

    assert gc.delete_orphans(store, report) == 1
    assert not store.original_exists(sha256_hex(data))
    assert store.original_exists(sha256_hex(kept_data))


def test_gc_reports_a_row_whose_object_is_missing(session, store, uploader):
    data = photo_bytes(GPS_JPEG)
    uploaded = upload.put_photo(
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
    session.commit()
    store.client.delete_object(Bucket=store.bucket, Key=store.original_key(sha256_hex(data)))
    report = gc.find_orphans(session, store, min_age=timedelta(0))
    assert report.rows_without_originals == [(uploaded.photo.id, sha256_hex(data))]


# --------------------------------------------------------------------------- through the API


@pytest.fixture()
def s3_app(app, database_url, s3_endpoint, bucket, tmp_path):
    """A second app on the same database, configured like production with PHOTO_STORAGE=s3."""
    config = app_config.TestConfig(database_url, str(tmp_path / "data"))
    # The store is built by create_app from the configuration, as in production.
    for key, value in dict(
        PHOTO_STORAGE="s3",
        PHOTO_S3_BUCKET=bucket,
        PHOTO_S3_PREFIX="prod",
        PHOTO_S3_ENDPOINT_URL=s3_endpoint,
        PHOTO_S3_ADDRESSING_STYLE="path",
    ).items():
        setattr(config, key, value)
    application = create_app(config)
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()


def test_upload_download_and_worker_derivatives_through_photo_storage_s3(s3_app, session, tree):
    from app.photos.worker import run_worker

    make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    client = s3_app.test_client()
    headers = bearer(login(client, "zhang.san"))
    data = photo_bytes(GPS_JPEG)
    sha = sha256_hex(data)
    pid = str(uuid.uuid4())

    created = put_photo(client, headers, pid, data)
    assert created.status_code == 201, created.get_data(as_text=True)
    store = photo_store_from_config(s3_app.config)
    assert isinstance(store, S3PhotoStore)
    assert list(store.iter_originals()) == [sha]
    assert store.client.head_object(Bucket=store.bucket, Key=f"prod/originals/{sha[:2]}/{sha[2:4]}/{sha}")

    original = client.get(f"/api/v1/photos/{pid}/original", headers=headers)
    assert original.status_code == 200 and original.data == data
    assert original.headers["ETag"] == f'"{sha}"'

    assert run_worker(s3_app, once=True) == 1
    assert sorted(name for _, name in store.iter_derivatives()) == [derivatives.DISPLAY, derivatives.THUMBNAIL]
    meta = client.get(f"/api/v1/photos/{pid}", headers=headers).get_json()
    assert meta["derivatives"]["state"] == "ready"
    thumb = client.get(f"/api/v1/photos/{pid}/thumbnail", headers=headers)
    assert thumb.status_code == 200 and thumb.data == store.read_derivative(sha, derivatives.THUMBNAIL)

    refused = put_photo(client, headers, str(uuid.uuid4()), photo_bytes(OTHER_JPEG), sha256=sha256_hex(b"x"))
    assert refused.status_code == 422
    assert list(store.iter_originals()) == [sha]  # the mismatched body never reached the bucket
