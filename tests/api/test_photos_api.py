"""PUT/GET /api/v1/photos on real bytes from tests/data/photos and samples derived from them."""

from __future__ import annotations

import base64
import io
import math
import threading
import uuid

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.photos import processing
from app.photos.models import Photo
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_photos import (
    ROWS,
    SAMPLES,
    drain_worker,
    new_id,
    photo_bytes,
    png_bomb,
    put_photo,
    sha256_hex,
    stored_originals,
    temporary_photo_store,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on the corrupt-EXIF samples

GPS_JPEG = "derived__gps_fractional_seconds.jpg"  # a camera JPEG with GPS (tests/photo_samples.py)


@pytest.fixture()
def store(app, tmp_path):
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def inspector(client, session, tree):
    make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    return bearer(issue_tokens(session, "zhang.san"))


def _count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    assert body["message_zh"] and body["message_en"]
    return body


# --------------------------------------------------------------------------- idempotent upload


def test_first_put_creates_the_photo_with_metadata_and_pending_derivatives(client, store, inspector):
    data, pid = photo_bytes(GPS_JPEG), new_id()
    response = put_photo(client, inspector, pid, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == pid and body["sha256"] == sha256_hex(data)
    assert body["format"] == "JPEG" and body["mime"] == "image/jpeg" and body["size_bytes"] == len(data)
    assert (body["width"], body["height"]) == (640, 480)
    assert body["make"] == "NIKON" and body["model"] == "COOLPIX P6000"
    assert body["taken_at"] and body["taken_at_source"] == "DateTimeOriginal"
    assert body["derivatives"]["state"] == "pending"
    assert response.headers["Location"] == f"/api/v1/photos/{pid}"


def test_the_same_put_five_times_gives_one_row_one_file_and_one_audit_entry(client, session, store, inspector):
    data, pid = photo_bytes(GPS_JPEG), new_id()
    responses = [put_photo(client, inspector, pid, data) for _ in range(5)]
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200]
    first = responses[0].get_json()
    assert all(r.get_json() == first for r in responses[1:])
    assert _count(session, Photo) == 1
    assert stored_originals(store) == [sha256_hex(data)]
    assert _count(session, AuditEntry, AuditEntry.action == "photo.create") == 1


def test_parallel_puts_of_the_same_photo_give_one_row_and_one_file(app, session, store, inspector):
    data, pid = photo_bytes("drew__jpg__Apple_iPhone_4.jpg"), new_id()
    barrier = threading.Barrier(5)
    statuses: list[int] = []
    lock = threading.Lock()

    def upload() -> None:
        client = app.test_client()  # one client per thread, like five retrying connections
        barrier.wait()
        response = put_photo(client, inspector, pid, data)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=upload) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 200, 201]
    assert _count(session, Photo) == 1
    assert stored_originals(store) == [sha256_hex(data)]
    assert _count(session, AuditEntry, AuditEntry.action == "photo.create") == 1


def test_original_is_byte_identical_with_the_sha256_as_etag(client, store, inspector):
    data, pid = photo_bytes("derived__large_orientation_3.jpg"), new_id()
    put_photo(client, inspector, pid, data)
    response = client.get(f"/api/v1/photos/{pid}/original", headers=inspector)
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.headers["ETag"] == f'"{sha256_hex(data)}"'
    assert response.content_type == "image/jpeg"
    again = client.get(
        f"/api/v1/photos/{pid}/original", headers={**inspector, "If-None-Match": f'"{sha256_hex(data)}"'}
    )
    assert again.status_code == 304


def test_same_id_with_different_bytes_is_a_conflict(client, store, inspector):
    pid = new_id()
    assert put_photo(client, inspector, pid, photo_bytes(GPS_JPEG)).status_code == 201
    body = _problem(
        put_photo(client, inspector, pid, photo_bytes("drew__jpg__HTC_Desire.jpg")), 409, "photo_id_conflict"
    )
    assert body["existing_sha256"] == sha256_hex(photo_bytes(GPS_JPEG))


def test_same_bytes_under_a_new_id_is_a_second_photo_sharing_one_original(client, session, store, inspector):
    data = photo_bytes(GPS_JPEG)
    assert put_photo(client, inspector, new_id(), data).status_code == 201
    assert put_photo(client, inspector, new_id(), data).status_code == 201
    assert _count(session, Photo, Photo.sha256 == sha256_hex(data)) == 2
    assert stored_originals(store) == [sha256_hex(data)]


def test_multipart_upload_with_sha256_field_is_accepted(client, store, inspector):
    data, pid = photo_bytes("drew__jpg__HTC_Desire.jpg"), new_id()
    response = client.put(
        f"/api/v1/photos/{pid}",
        headers=inspector,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "x.jpg"), "sha256": sha256_hex(data)},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sha256"] == sha256_hex(data)


def test_repr_digest_header_is_accepted_instead_of_hex(client, store, inspector):
    data, pid = photo_bytes("drew__jpg__HTC_Desire.jpg"), new_id()
    digest = base64.b64encode(bytes.fromhex(sha256_hex(data))).decode()
    response = client.put(
        f"/api/v1/photos/{pid}", data=data, headers={**inspector, "Repr-Digest": f"sha-256=:{digest}:"}
    )
    assert response.status_code == 201, response.get_json()


def test_missing_checksum_is_a_validation_problem(client, store, inspector):
    response = client.put(f"/api/v1/photos/{new_id()}", data=photo_bytes(GPS_JPEG), headers=inspector)
    body = _problem(response, 422, "validation_failed")
    assert body["errors"][0]["path"] == "X-Content-SHA256"


# --------------------------------------------------------------------------- refusals


def test_hash_mismatch_is_refused_and_leaves_nothing(client, session, store, inspector):
    data = photo_bytes(GPS_JPEG)
    body = _problem(put_photo(client, inspector, new_id(), data, sha256="0" * 64), 422, "checksum_mismatch")
    assert body["actual_sha256"] == sha256_hex(data)
    assert _count(session, Photo) == 0
    assert stored_originals(store) == []


def test_truncated_jpeg_is_refused_at_upload(client, session, store, inspector):
    _problem(
        put_photo(client, inspector, new_id(), photo_bytes("pillow__Tests__images__truncated_jpeg.jpg")),
        422,
        "image_undecodable",
    )
    assert _count(session, Photo) == 0
    assert stored_originals(store) == []


def _noise_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((640, 480), 40).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _derivative_failure(app, client, store, inspector, data: bytes) -> dict:
    """PUT ``data`` (accepted: its structure is whole), run the worker → the photo's derivatives as the API tells."""
    pid = new_id()
    response = put_photo(client, inspector, pid, data)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert drain_worker(app, store) == 1
    display = client.get(f"/api/v1/photos/{pid}/display", headers=inspector)
    assert _problem(display, 422, "derivative_unavailable")
    return client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()["derivatives"]


@pytest.mark.parametrize("name", ["recurser__Landscape_1.jpg", "drew__jpg__Nikon_D5000.jpg", GPS_JPEG])
def test_a_jpeg_cut_short_is_refused_at_upload_wherever_it_was_cut(client, session, store, inspector, name):
    data = photo_bytes(name)
    scan = data.index(b"\xff\xda")
    cuts = {scan + 14, (scan + len(data)) // 2, len(data) - 2, len(data) - 1}  # after the headers, mid-scan, the end
    thumbnail_end = data.index(b"\xff\xd9") + 2
    if thumbnail_end < scan:  # right after the EXIF thumbnail's end marker, inside APP1
        cuts.add(thumbnail_end)
    for at in sorted(cuts):
        _problem(put_photo(client, inspector, new_id(), data[:at]), 422, "image_undecodable")
    assert _count(session, Photo) == 0
    assert stored_originals(store) == []


def test_a_jpeg_with_data_after_its_end_marker_is_accepted(client, store, inspector):
    data = photo_bytes("recurser__Landscape_1.jpg") + b"\x00\x00SEFH" + b"\xff\xd8\xff\xd9" + b"\x00" * 1000
    assert put_photo(client, inspector, new_id(), data).status_code == 201


def test_a_png_cut_short_keeps_being_refused_by_a_decode(client, store, inspector):
    buf = io.BytesIO()
    Image.effect_noise((200, 150), 40).convert("RGB").save(buf, "PNG")
    data = buf.getvalue()
    _problem(put_photo(client, inspector, new_id(), data[: len(data) * 2 // 3]), 422, "image_undecodable")
    assert stored_originals(store) == []


def test_jpeg_cut_short_and_closed_with_an_end_marker_fails_its_derivatives_as_truncated(app, client, store, inspector):
    data = _noise_jpeg()
    cut = data[: len(data) // 2] + b"\xff\xd9"  # scan data cut, then an end marker: decodes with a grey band
    derivatives = _derivative_failure(app, client, store, inspector, cut)
    assert (derivatives["state"], derivatives["error_code"]) == ("failed", "image_truncated")


def test_a_whole_jpeg_with_a_corrupt_marker_in_its_scan_fails_its_derivatives(app, client, store, inspector):
    data = bytearray(_noise_jpeg())
    at = len(data) // 2
    while data[at - 1] == 0xFF:  # do not split a stuffed FF 00
        at += 1
    data[at : at + 6] = b"\xff\xc4\x00\x04\xff\xff"  # a Huffman table segment inside the scan, and a bogus one
    derivatives = _derivative_failure(app, client, store, inspector, bytes(data))
    assert (derivatives["state"], derivatives["error_code"]) == ("failed", "image_undecodable")


def _mpo(first, second, size=(120, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, first).save(buf, "MPO", save_all=True, append_images=[Image.new("RGB", size, second)])
    return buf.getvalue()


def test_multi_picture_jpeg_is_accepted_as_jpeg_with_its_original_kept_whole(app, client, session, store, inspector):
    data, pid = _mpo((200, 30, 30), (30, 30, 200)), new_id()
    response = put_photo(client, inspector, pid, data)
    assert response.status_code == 201, response.get_json()
    meta = response.get_json()
    assert (meta["format"], meta["mime"], meta["width"], meta["height"]) == ("JPEG", "image/jpeg", 120, 90)
    assert client.get(f"/api/v1/photos/{pid}/original", headers=inspector).get_data() == data  # both frames
    assert put_photo(client, inspector, pid, data).status_code == 200  # the phone's retry is idempotent
    assert drain_worker(app, store) == 1
    display = Image.open(io.BytesIO(client.get(f"/api/v1/photos/{pid}/display", headers=inspector).get_data()))
    r, _, b = ImageStat.Stat(display.convert("RGB")).mean
    assert r > 150 and b < 80  # made from the first frame
    assert _count(session, Photo) == 1 and stored_originals(store) == [sha256_hex(data)]


def test_jpeg_cut_in_half_is_refused_at_upload(client, store, inspector):
    data = photo_bytes("recurser__Landscape_1.jpg")
    _problem(put_photo(client, inspector, new_id(), data[: len(data) // 2]), 422, "image_undecodable")


def test_not_an_image_behind_a_jpg_name_is_unsupported(client, store, inspector):
    _problem(
        put_photo(
            client, inspector, new_id(), photo_bytes("drew__jpg__ImageTestSuite__f012a4321f00f12af6b1eee7580ffb9c.jpg")
        ),
        422,
        "unsupported_image_format",
    )
    assert stored_originals(store) == []


def test_gif_decompression_bomb_is_refused_as_unsupported_format(client, store, inspector):
    body = _problem(
        put_photo(client, inspector, new_id(), photo_bytes("pillow__Tests__images__decompression_bomb.gif")),
        422,
        "unsupported_image_format",
    )
    assert body["detected_format"] == "GIF"


def test_png_decompression_bomb_is_too_many_pixels(client, session, store, inspector):
    _problem(put_photo(client, inspector, new_id(), png_bomb(100_000, 100_000)), 422, "image_too_many_pixels")
    assert _count(session, Photo) == 0
    assert stored_originals(store) == []


def test_body_over_the_request_limit_is_413_problem(app, client, store, inspector):
    data = b"\xff\xd8" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    _problem(put_photo(client, inspector, new_id(), data), 413, "payload_too_large")
    assert stored_originals(store) == []


def test_photo_over_max_upload_bytes_is_413_problem(app, client, store, inspector, monkeypatch):
    data = photo_bytes(GPS_JPEG)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", len(data) - 1)
    body = _problem(put_photo(client, inspector, new_id(), data), 413, "payload_too_large")
    assert body["max_bytes"] == len(data) - 1
    assert stored_originals(store) == []


# --------------------------------------------------------------------------- metadata


def _gps_rows():
    out = []
    for row in SAMPLES:
        try:
            lat, lon = float(row["gps_lat"]), float(row["gps_lon"])
        except ValueError:
            continue
        if math.isnan(lat) or (lat == 0 and lon == 0) or row["format"] == "HEIF":
            continue
        out.append(pytest.param(row["file"], lat, lon, id=row["file"]))
    return out


@pytest.mark.parametrize(("name", "lat", "lon"), _gps_rows())
def test_gps_of_real_photos_matches_the_manifest(client, store, inspector, name, lat, lon):
    pid = new_id()
    assert put_photo(client, inspector, pid, photo_bytes(name)).status_code == 201
    gps = client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()["gps"]
    assert gps["lat"] == pytest.approx(lat, abs=1e-6)
    assert gps["lon"] == pytest.approx(lon, abs=1e-6)
    assert gps["crs"] == "WGS84"


def test_null_island_gps_is_stored_as_no_position(client, store, inspector):
    pid = new_id()
    put_photo(client, inspector, pid, photo_bytes("drew__jpg__Samsung_GT-I9000_Galaxy_S_.jpg"))
    body = client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()
    assert body["gps"] is None and body["gps_problem"] == "null_island"
    assert body["orientation"] == 6


@pytest.mark.skipif(not processing.HEIF_SUPPORTED, reason="pillow-heif not installed")
def test_heic_from_an_iphone_is_accepted_with_its_gps(client, store, inspector):
    name, pid = "derived__heic_gps_offset_time.heic", new_id()
    response = put_photo(client, inspector, pid, photo_bytes(name))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["format"] == "HEIF" and body["mime"] == "image/heic"
    assert body["gps"]["lat"] == pytest.approx(float(ROWS[name]["gps_lat"]), abs=1e-6)
    assert body["taken_at_has_offset"] is True


# --------------------------------------------------------------------------- derivatives


def _thumb(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def test_every_orientation_is_upright_in_the_display_after_the_worker_runs(app, client, store, inspector):
    ids = {}
    for n in range(0, 9):
        ids[n] = new_id()
        assert put_photo(client, inspector, ids[n], photo_bytes(f"recurser__Landscape_{n}.jpg")).status_code == 201
    assert drain_worker(app, store) == 9
    reference = None
    for n, pid in ids.items():
        meta = client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()
        assert meta["derivatives"]["state"] == "ready", meta["derivatives"]
        display = client.get(f"/api/v1/photos/{pid}/display", headers=inspector)
        assert display.status_code == 200 and display.content_type == "image/jpeg"
        image = _thumb(display.get_data())
        assert image.size == (1800, 1200), n  # landscape once the EXIF orientation is applied
        small = image.resize((180, 120))
        reference = reference or small
        assert ImageStat.Stat(ImageChops.difference(small, reference)).mean[0] < 8, n


def test_a_derivative_requested_before_the_worker_is_made_on_demand(client, store, inspector):
    pid = new_id()
    put_photo(client, inspector, pid, photo_bytes("drew__webp__Issue_473_Java_.webp"))
    response = client.get(f"/api/v1/photos/{pid}/thumbnail", headers=inspector)
    assert response.status_code == 200
    assert max(_thumb(response.get_data()).size) <= 320
    meta = client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()
    assert meta["derivatives"]["state"] == "ready"
    assert meta["derivatives"]["display_width"] < meta["derivatives"]["display_height"]  # orientation 6 → portrait


@pytest.mark.parametrize("kind", ["display", "thumbnail", "watermarked"])
def test_derivatives_carry_no_gps_or_exif(app, client, store, inspector, kind):
    pid = new_id()
    put_photo(client, inspector, pid, photo_bytes(GPS_JPEG))
    drain_worker(app, store)
    data = client.get(f"/api/v1/photos/{pid}/{kind}", headers=inspector).get_data()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif() and "exif" not in image.info
    assert b"Exif\0\0" not in data


def test_watermarked_copy_adds_a_caption_band_below_the_photo(client, store, inspector):
    pid = new_id()
    put_photo(client, inspector, pid, photo_bytes(GPS_JPEG))
    image = Image.open(io.BytesIO(client.get(f"/api/v1/photos/{pid}/watermarked", headers=inspector).get_data()))
    assert image.size[0] == 640 and image.size[1] > 480


# --------------------------------------------------------------------------- scope


@pytest.fixture()
def photo_of_inspector(client, store, inspector):
    pid = new_id()
    assert put_photo(client, inspector, pid, photo_bytes(GPS_JPEG)).status_code == 201
    return pid


@pytest.mark.parametrize(
    ("username", "role", "codes", "visible"),
    [
        ("li.si", "inspector", ["410811"], False),  # a colleague: not the uploader
        ("wang.wu", "supervisor", ["410811"], True),
        ("zhao.liu", "admin", ["410800"], True),  # the city covers the district
        ("qian.qi", "supervisor", ["410822"], False),  # another county
    ],
)
def test_photo_is_visible_to_the_uploader_and_supervisors_of_its_jurisdiction_only(
    client, session, photo_of_inspector, username, role, codes, visible
):
    make_user(session, username, role, codes)
    session.commit()
    headers = bearer(issue_tokens(session, username))
    for suffix in ("", "/original", "/thumbnail"):
        response = client.get(f"/api/v1/photos/{photo_of_inspector}{suffix}", headers=headers)
        assert response.status_code == (200 if visible else 404), (suffix, response.get_data(as_text=True)[:200])


def test_another_user_cannot_take_over_a_photo_id(client, session, photo_of_inspector):
    make_user(session, "li.si", "inspector", ["410811"])
    session.commit()
    response = put_photo(client, bearer(issue_tokens(session, "li.si")), photo_of_inspector, photo_bytes(GPS_JPEG))
    _problem(response, 409, "photo_id_conflict")
    assert "existing_sha256" not in response.get_json()


def test_unknown_or_malformed_photo_id_is_404(client, store, inspector):
    assert client.get(f"/api/v1/photos/{new_id()}", headers=inspector).status_code == 404
    malformed = client.get("/api/v1/photos/not-a-uuid", headers=inspector)  # no route matches: the router's 404
    assert malformed.status_code == 404 and malformed.mimetype == "application/problem+json"


# --------------------------------------------------------------------------- resumable uploads


def _patch(client, headers, pid, offset, chunk, sha, complete=False):
    return client.patch(
        f"/api/v1/photos/{pid}/uploads",
        data=chunk,
        headers={
            **headers,
            "Upload-Offset": str(offset),
            "X-Content-SHA256": sha,
            "Upload-Complete": "?1" if complete else "?0",
        },
    )


def test_resumable_upload_in_chunks_creates_the_photo_once(client, session, store, inspector):
    data, pid = photo_bytes("drew__jpg__Apple_iPhone_4.jpg"), new_id()
    sha, third = sha256_hex(data), len(photo_bytes("drew__jpg__Apple_iPhone_4.jpg")) // 3
    start = client.post(f"/api/v1/photos/{pid}/uploads", headers=inspector)
    assert start.status_code == 201 and start.headers["Upload-Offset"] == "0"
    first = _patch(client, inspector, pid, 0, data[:third], sha)
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(third)
    # the connection dropped; the phone asks where to resume
    assert client.post(f"/api/v1/photos/{pid}/uploads", headers=inspector).headers["Upload-Offset"] == str(third)
    assert _patch(client, inspector, pid, third, data[third : 2 * third], sha).status_code == 204
    done = _patch(client, inspector, pid, 2 * third, data[2 * third :], sha, complete=True)
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["sha256"] == sha
    again = _patch(client, inspector, pid, 2 * third, data[2 * third :], sha, complete=True)  # answer was lost
    assert again.status_code == 200
    assert client.get(f"/api/v1/photos/{pid}/original", headers=inspector).get_data() == data
    assert _count(session, Photo) == 1


def test_resumable_chunk_at_the_wrong_offset_tells_the_current_offset(client, store, inspector):
    data, pid = photo_bytes(GPS_JPEG), new_id()
    _patch(client, inspector, pid, 0, data[:1000], sha256_hex(data))
    body = _problem(
        _patch(client, inspector, pid, 500, data[500:1500], sha256_hex(data)), 409, "upload_offset_mismatch"
    )
    assert body["current_offset"] == 1000


def test_opening_one_resumable_upload_too_many_is_429_naming_the_limit(app, client, store, inspector, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_PARTIALS_MAX_PER_USER", 2)
    data = photo_bytes(GPS_JPEG)
    sha = sha256_hex(data)
    first, second = new_id(), new_id()
    assert _patch(client, inspector, first, 0, data[:1000], sha).status_code == 204
    assert _patch(client, inspector, second, 0, data[:1000], sha).status_code == 204
    body = _problem(_patch(client, inspector, new_id(), 0, data[:1000], sha), 429, "upload_quota_exceeded")
    assert (body["limit"], body["max"], body["current"]) == ("open_partials", 2, 2)
    # the open ones may still grow and finish, which frees a slot
    assert _patch(client, inspector, first, 1000, data[1000:], sha, complete=True).status_code == 201
    assert _patch(client, inspector, new_id(), 0, data[:1000], sha).status_code == 204


def test_parking_too_many_bytes_in_partials_is_429_and_keeps_what_was_received(
    app, client, store, inspector, monkeypatch
):
    monkeypatch.setitem(app.config, "PHOTO_PARTIALS_MAX_BYTES_PER_USER", 5000)
    data, pid = photo_bytes(GPS_JPEG), new_id()
    sha = sha256_hex(data)
    assert _patch(client, inspector, pid, 0, data[:4000], sha).status_code == 204
    body = _problem(_patch(client, inspector, pid, 4000, data[4000:6000], sha), 429, "upload_quota_exceeded")
    assert (body["limit"], body["max"], body["current"]) == ("partial_bytes", 5000, 4000)
    assert client.post(f"/api/v1/photos/{pid}/uploads", headers=inspector).headers["Upload-Offset"] == "4000"


def test_partial_quotas_are_per_user(app, client, session, store, inspector, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_PARTIALS_MAX_PER_USER", 1)
    make_user(session, "li.si", "inspector", ["410811"])
    session.commit()
    other = bearer(issue_tokens(session, "li.si"))
    data = photo_bytes(GPS_JPEG)
    assert _patch(client, inspector, new_id(), 0, data[:1000], sha256_hex(data)).status_code == 204
    assert _patch(client, other, new_id(), 0, data[:1000], sha256_hex(data)).status_code == 204


def test_watermark_shows_capture_time_in_beijing_time() -> None:
    # People read notices: an instant recorded with another offset is shown in Asia/Shanghai.
    from datetime import datetime

    from app.photos.models import Photo
    from app.photos.notice import watermark_lines_for

    photo = Photo(
        id=uuid.uuid4(), sha256="0" * 64, taken_at_local=datetime(2026, 11, 20, 1, 30), taken_at_offset_min=0
    )  # 01:30 UTC
    assert watermark_lines_for(photo)[0].startswith("拍摄时间 / Taken: 2026-11-20 09:30:00 北京时间")
