"""app.photos.processing on the real files in tests/data/photos (see MANIFEST.tsv), the samples derived
from them in tests/photo_samples.py, and JPEGs made here with GPS EXIF around 焦作 (113.24 E, 35.22 N)."""

from __future__ import annotations

import io
import math
import struct
import time
import zlib
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFile, ImageStat

from app.photos import processing
from app.photos.errors import ImageTooManyPixels, ImageTruncated, ImageUndecodable, UnsupportedImageFormat
from app.photos.metadata import dms_to_decimal, parse_exif_datetime, parse_exif_offset, parse_gps
from app.photos.processing import (
    inspect_original,
    make_derivatives,
    make_watermarked,
    verify_complete,
    verify_decodes,
)
from tests.photo_samples import HEIC_SIZE, SAMPLES, photo_path

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on the corrupt-EXIF samples


def rows(pred):
    return [pytest.param(r, id=r["file"]) for r in SAMPLES if pred(r)]


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _openable(r) -> bool:
    return not r["pillow_error"].startswith(("open:", "decode:")) and r["format"] != ""


# --------------------------------------------------------------------------- manifest: format, size, make


@pytest.mark.parametrize("row", rows(_openable))
def test_format_and_size_are_detected_from_content(row):
    info = inspect_original(photo_path(row["file"]))
    assert info.format == row["format"]
    assert f"{info.width}x{info.height}" == row["pixels"]


@pytest.mark.parametrize("row", rows(lambda r: _openable(r) and r["make"]))
def test_make_and_model_match_the_manifest(row):
    info = inspect_original(photo_path(row["file"]))
    assert (info.make, info.model) == (row["make"], row["model"])


@pytest.mark.parametrize("row", rows(lambda r: _openable(r) and r["format"] != "HEIF"))
def test_orientation_matches_the_manifest(row):
    info = inspect_original(photo_path(row["file"]))
    expected = int(row["orientation"]) if row["orientation"] else None
    assert info.orientation == expected


def test_format_is_not_taken_from_the_file_name(tmp_path):
    webp = photo_path("drew__webp__Issue_473_Java_.webp").read_bytes()
    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes(webp)
    info = inspect_original(disguised)
    assert (info.format, info.mime) == ("WEBP", "image/webp")


# --------------------------------------------------------------------------- manifest: GPS


@pytest.mark.parametrize(
    "row",
    rows(lambda r: _float(r["gps_lat"]) is not None and (_float(r["gps_lat"]), _float(r["gps_lon"])) != (0.0, 0.0)),
)
def test_gps_decimal_degrees_match_the_manifest(row):
    info = inspect_original(photo_path(row["file"]))
    assert info.gps is not None
    assert info.gps.lat == pytest.approx(float(row["gps_lat"]), abs=1e-5)
    assert info.gps.lon == pytest.approx(float(row["gps_lon"]), abs=1e-5)
    assert info.gps_problem is None


def test_nan_gps_seconds_are_ignored_nikon_d5000():
    info = inspect_original(photo_path("drew__jpg__Nikon_D5000.jpg"))
    assert info.gps is not None
    assert info.gps.lat == pytest.approx(48 + 53.32358 / 60, abs=1e-5)
    assert info.gps.lon == pytest.approx(21 + 2.59507 / 60, abs=1e-5)
    assert "nan_component_ignored" in info.gps.notes


def test_southern_hemisphere_with_degrees_in_minutes_is_negative_kodak():
    info = inspect_original(photo_path("derived__gps_south_degrees_in_minutes.jpg"))
    assert info.gps is not None and info.gps.lat == pytest.approx(-0.3713, abs=1e-5)


def test_null_island_gps_is_treated_as_no_fix_samsung():
    info = inspect_original(photo_path("drew__jpg__Samsung_GT-I9000_Galaxy_S_.jpg"))
    assert info.gps is None and info.gps_problem == "null_island"


def test_garbage_gps_ifd_gives_no_fix_and_malformed():
    info = inspect_original(photo_path("pillow__Tests__images__exif_gps.jpg"))
    assert info.gps is None and info.gps_problem == "malformed"


def test_empty_gps_ifd_gives_missing():
    info = inspect_original(photo_path("pillow__Tests__images__empty_gps_ifd.jpg"))
    assert info.gps is None and info.gps_problem == "missing"


def test_photo_without_gps_reports_missing():
    info = inspect_original(photo_path("recurser__Landscape_1.jpg"))
    assert info.gps is None and info.gps_problem == "missing"


@pytest.mark.parametrize(
    "name", ["pillow__Tests__images__hopper_bad_exif.jpg", "pillow__Tests__images__invalid-exif.jpg"]
)
def test_corrupt_exif_still_inspects_without_metadata(name):
    info = inspect_original(photo_path(name))
    assert info.taken_at is None and info.gps is None


def test_gps_parser_rejects_missing_hemisphere_reference():
    assert parse_gps({2: (35.0, 13.0, 12.0), 4: (113.0, 14.0, 24.0)}).problem == "bad_ref"


def test_gps_parser_rejects_out_of_range_and_void_fixes():
    assert parse_gps({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (113.0, 0.0, 0.0)}).problem == "malformed"
    assert parse_gps({1: "N", 2: (35.0, 0.0, 0.0), 3: "E", 4: (113.0, 61.0, 0.0)}).problem == "malformed"
    assert parse_gps({1: "N", 2: (35.0, 1.0, 0.0), 3: "E", 4: (113.0, 1.0, 0.0), 9: "V"}).problem == "void"


def test_dms_with_nan_degrees_is_rejected():
    assert dms_to_decimal((float("nan"), 1.0, 0.0), 90)[0] is None


# --------------------------------------------------------------------------- capture time


def test_capture_time_uses_offset_time_original_when_present_heic():
    info = inspect_original(photo_path("derived__heic_gps_offset_time.heic"))
    assert info.taken_at is not None
    assert info.taken_at.utcoffset() == timedelta(hours=-5)
    assert info.taken_at_source == "DateTimeOriginal"


def test_capture_time_without_offset_is_naive_local_time():
    info = inspect_original(photo_path("drew__jpg__Apple_iPhone_4.jpg"))
    assert info.taken_at_is_naive
    assert info.taken_at.isoformat() == "2011-01-13T14:33:39"


def test_garbage_exif_dates_parse_to_none():
    assert parse_exif_datetime("1999:99:99 99:99:99") is None
    assert parse_exif_datetime("0000:00:00 00:00:00") is None
    assert parse_exif_datetime("    ") is None
    assert parse_exif_offset("+25:00") is None
    assert parse_exif_offset("+08:00") == timezone(timedelta(hours=8))


def test_software_tag_is_read():
    assert inspect_original(photo_path("drew__jpg__Nikon_D5000.jpg")).software == "Adobe Bridge CS5"


# --------------------------------------------------------------------------- errors


def test_not_an_image_behind_a_jpg_name_is_unsupported_format():
    with pytest.raises(UnsupportedImageFormat) as exc:
        inspect_original(photo_path("drew__jpg__ImageTestSuite__f012a4321f00f12af6b1eee7580ffb9c.jpg"))
    assert exc.value.code == "unsupported_image_format" and exc.value.status == 422


def test_decompression_bomb_gif_is_refused_before_any_plugin_parses_it():
    # GIF is outside the allow-list, so Pillow's GIF plugin never sees the 4.36-gigapixel header.
    with pytest.raises(UnsupportedImageFormat) as exc:
        inspect_original(photo_path("pillow__Tests__images__decompression_bomb.gif"))
    assert exc.value.status == 422
    assert exc.value.extra["detected_format"] == "GIF"


def _png_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_png_decompression_bomb_is_image_too_many_pixels():
    with pytest.raises(ImageTooManyPixels) as exc:
        inspect_original(_png_bomb(100_000, 100_000))
    assert exc.value.code == "image_too_many_pixels" and exc.value.status == 422


def test_configured_pixel_limit_is_enforced_before_decoding():
    with pytest.raises(ImageTooManyPixels) as exc:
        inspect_original(photo_path("recurser__Landscape_1.jpg"), max_pixels=1800 * 1200 - 1)
    assert exc.value.extra["pixels"] == 1800 * 1200


def test_truncated_jpeg_passes_cheap_inspection_but_is_flagged_suspect():
    info = inspect_original(photo_path("pillow__Tests__images__truncated_jpeg.jpg"))
    assert info.suspect_truncated


def test_truncated_jpeg_fails_derivatives_as_undecodable():
    with pytest.raises(ImageUndecodable) as exc:
        make_derivatives(photo_path("pillow__Tests__images__truncated_jpeg.jpg"))
    assert exc.value.code == "image_undecodable" and exc.value.status == 422


def test_truncated_jpeg_fails_verify_decodes():
    with pytest.raises(ImageUndecodable):
        verify_decodes(photo_path("pillow__Tests__images__truncated_jpeg.jpg"))


def test_jpeg_cut_in_half_is_suspect_and_undecodable():
    data = photo_path("recurser__Landscape_1.jpg").read_bytes()
    cut = data[: len(data) // 2]
    assert inspect_original(cut).suspect_truncated
    with pytest.raises(ImageUndecodable):
        make_derivatives(cut)


def test_intact_files_are_not_suspect():
    for name in ("recurser__Landscape_1.jpg", "drew__webp__Issue_473_Java_.webp"):
        assert not inspect_original(photo_path(name)).suspect_truncated


def _mpo(first=(200, 30, 30), second=(30, 30, 200), size=(96, 64)) -> bytes:
    """A two-frame multi-picture JPEG (what a Lumix LX7 writes), made with Pillow."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Panasonic", "DMC-LX7"
    buf = io.BytesIO()
    Image.new("RGB", size, first).save(
        buf, "MPO", save_all=True, append_images=[Image.new("RGB", size, second)], exif=exif
    )
    return buf.getvalue()


def test_multi_picture_jpeg_is_read_as_jpeg_from_its_first_frame():
    data = _mpo()
    assert Image.open(io.BytesIO(data)).format == "MPO"  # the case: Pillow names it MPO
    info = inspect_original(data)
    assert (info.format, info.mime, info.width, info.height) == ("JPEG", "image/jpeg", 96, 64)
    assert (info.make, info.model) == ("Panasonic", "DMC-LX7")
    verify_complete(data)
    display = Image.open(io.BytesIO(make_derivatives(data).display)).convert("RGB")
    r, g, b = ImageStat.Stat(display).mean
    assert r > 150 and b < 80  # the red first frame, not the blue second one


def _noise_jpeg(**options) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((640, 480), 40).convert("RGB").save(buf, "JPEG", quality=90, **options)
    return buf.getvalue()


@pytest.mark.parametrize("options", [{}, {"progressive": True}], ids=["baseline", "progressive"])
def test_jpeg_cut_inside_its_scan_and_closed_with_an_end_marker_is_truncated(options):
    data = _noise_jpeg(**options)
    cut = data[: len(data) * 2 // 3] + b"\xff\xd9"
    assert not inspect_original(cut).suspect_truncated  # looks whole from its tail
    verify_decodes(cut)  # and Pillow decodes it without complaint (a grey band)
    with pytest.raises(ImageTruncated) as exc:
        verify_complete(cut)
    assert exc.value.code == "image_truncated" and exc.value.status == 422


def _large_jpeg() -> bytes:
    """4200×3000: make_derivatives decodes it at 1/2 scale (DCT scaling), where fancy upsampling is on."""
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((4200, 3000)).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.mark.parametrize(
    "make", [_noise_jpeg, lambda: _noise_jpeg(progressive=True), _large_jpeg], ids=["baseline", "progressive", "large"]
)
def test_derivatives_refuse_a_jpeg_cut_inside_its_scan_and_closed_with_an_end_marker(make):
    """The upload judges a JPEG by its structure only; this is the decode that finds the grey band."""
    data = make()
    for at in (len(data) // 3, len(data) * 2 // 3, len(data) - 200):
        with pytest.raises(ImageTruncated) as exc:
            make_derivatives(data[:at] + b"\xff\xd9")
        assert exc.value.code == "image_truncated"
    make_derivatives(data)


@pytest.mark.parametrize("options", [{}, {"progressive": True}], ids=["baseline", "progressive"])
def test_complete_jpegs_pass_the_scan_check(options):
    verify_complete(_noise_jpeg(**options))


def test_a_complete_jpeg_ending_in_flat_grey_is_not_mistaken_for_a_truncated_one():
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(buf, "JPEG")
    verify_complete(buf.getvalue())


@pytest.mark.parametrize("row", rows(lambda r: _openable(r) and r["format"] == "JPEG" and not r["pillow_error"]))
def test_real_jpegs_pass_the_scan_check(row):
    verify_complete(photo_path(row["file"]))


def test_pillow_still_refuses_truncated_images_process_wide():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --------------------------------------------------------------------------- orientation


def _thumb_of(path: Path) -> Image.Image:
    return Image.open(io.BytesIO(make_derivatives(path).thumbnail)).convert("L")


@pytest.fixture(scope="module")
def upright_reference() -> Image.Image:
    return _thumb_of(photo_path("recurser__Landscape_1.jpg"))


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


@pytest.mark.parametrize("n", range(0, 9))
def test_every_exif_orientation_is_corrected_in_the_display_image(n, upright_reference):
    result = make_derivatives(photo_path(f"recurser__Landscape_{n}.jpg"))
    assert result.display_size == (1800, 1200)  # landscape after correction
    thumb = Image.open(io.BytesIO(result.thumbnail)).convert("L")
    assert thumb.size == upright_reference.size
    assert _mean_diff(thumb, upright_reference) < 8


def test_orientation_comparison_would_catch_an_uncorrected_image(upright_reference):
    raw = Image.open(photo_path("recurser__Landscape_3.jpg")).convert("L").resize(upright_reference.size)
    assert _mean_diff(raw, upright_reference) > 20


def test_iphone5_orientation_3_display_uses_dct_scaling_below_the_cap():
    result = make_derivatives(photo_path("derived__large_orientation_3.jpg"))
    assert result.display_size == (1632, 1224)  # 3264×2448 decoded at 1/2: ≤ 2048 and ≥ 75 % of it
    assert max(result.thumbnail_size) == 320
    assert result.orientation_applied == 3


def test_full_resolution_display_when_dct_scaling_is_disabled():
    result = make_derivatives(photo_path("derived__large_orientation_3.jpg"), draft_min_fraction=1.0)
    assert result.display_size == (2048, 1536)


def test_webp_orientation_6_becomes_portrait():
    assert make_derivatives(photo_path("drew__webp__Issue_473_Java_.webp")).display_size == (240, 320)


# --------------------------------------------------------------------------- HEIC


@pytest.mark.skipif(not processing.HEIF_SUPPORTED, reason="pillow-heif not installed")
def test_heic_is_inspected_and_decoded():
    path = photo_path("derived__heic_gps_offset_time.heic")
    info = inspect_original(path)
    assert (info.format, info.mime, info.width, info.height) == ("HEIF", "image/heic", *HEIC_SIZE)
    result = make_derivatives(path)
    assert result.display_size == (1170, 2048)  # 1200×2100 fitted into the 2048 cap
    assert Image.open(io.BytesIO(result.display)).format == "JPEG"


# --------------------------------------------------------------------------- no metadata in derivatives


def _assert_no_metadata(jpeg: bytes) -> None:
    im = Image.open(io.BytesIO(jpeg))
    assert im.format == "JPEG"
    assert len(im.getexif()) == 0
    assert "exif" not in im.info and "xmp" not in im.info
    assert b"Exif\x00\x00" not in jpeg


@pytest.mark.parametrize(
    "name",
    [
        "derived__gps_fractional_seconds.jpg",
        "derived__large_orientation_3.jpg",
        "drew__webp__Issue_473_Java_.webp",
        "derived__heic_gps_offset_time.heic",
        "drew__jpg__Apple_iPhone_4.jpg",
    ],
)
def test_derivatives_carry_no_exif_or_gps(name):
    result = make_derivatives(photo_path(name))
    _assert_no_metadata(result.display)
    _assert_no_metadata(result.thumbnail)


# --------------------------------------------------------------------------- our own JPEGs with GPS EXIF


def _jpeg_with_gps(
    lat_dms,
    lat_ref,
    lon_dms,
    lon_ref,
    *,
    size=(640, 480),
    taken="2026:11:20 09:30:00",
    offset: str | None = "+08:00",
    software: str | None = None,
    orientation: int | None = None,
) -> bytes:
    im = Image.new("RGB", size, (120, 160, 200))
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif[0x0110] = "Redmi Note 12"
    if software:
        exif[0x0131] = software
    if orientation:
        exif[0x0112] = orientation
    exif_ifd = {0x9003: taken}
    if offset:
        exif_ifd[0x9011] = offset
    exif[0x8769] = exif_ifd
    exif[0x8825] = {1: lat_ref, 2: lat_dms, 3: lon_ref, 4: lon_dms, 18: "WGS-84"}
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_round_trip_of_gps_written_near_jiaozuo():
    data = _jpeg_with_gps((35.0, 13.0, 12.0), "N", (113.0, 14.0, 24.0), "E")
    info = inspect_original(data)
    assert info.gps is not None
    assert (info.gps.lat, info.gps.lon) == (pytest.approx(35.22, abs=1e-5), pytest.approx(113.24, abs=1e-5))
    assert info.gps.datum == "WGS-84"
    assert info.taken_at.isoformat() == "2026-11-20T09:30:00+08:00"
    assert (info.make, info.model) == ("Xiaomi", "Redmi Note 12")


def test_round_trip_of_fractional_minutes_and_western_southern_refs():
    data = _jpeg_with_gps((35.0, 13.2, 0.0), "S", (113.0, 14.4, 0.0), "W")
    info = inspect_original(data)
    assert (info.gps.lat, info.gps.lon) == (pytest.approx(-35.22, abs=1e-5), pytest.approx(-113.24, abs=1e-5))


def test_own_jpeg_derivatives_drop_the_gps_we_wrote():
    data = _jpeg_with_gps((35.0, 13.0, 12.0), "N", (113.0, 14.0, 24.0), "E", orientation=6)
    result = make_derivatives(data)
    assert result.display_size == (480, 640)
    _assert_no_metadata(result.display)
    _assert_no_metadata(result.thumbnail)


def test_png_metadata_is_read_without_decoding_pixels():
    im = Image.new("RGB", (64, 48), "white")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 13.0, 12.0), 3: "E", 4: (113.0, 14.0, 24.0)}
    buf = io.BytesIO()
    im.save(buf, "PNG", exif=exif)
    data = buf.getvalue()
    info = inspect_original(data)
    assert info.format == "PNG" and info.mime == "image/png"
    assert info.gps is not None and info.gps.lat == pytest.approx(35.22, abs=1e-5)


# --------------------------------------------------------------------------- watermark


def test_watermarked_copy_adds_a_text_band_below_the_photo_and_no_exif():
    data = _jpeg_with_gps((35.0, 13.0, 12.0), "N", (113.0, 14.0, 24.0), "E", size=(800, 600))
    out = make_watermarked(
        data,
        ["2026-11-20 09:30 (UTC+8)  35.22000 N, 113.24000 E", "山阳区某建筑工地", "执法人员：张三、李四"],
    )
    _assert_no_metadata(out)
    im = Image.open(io.BytesIO(out)).convert("L")
    assert im.size[0] == 800 and im.size[1] > 600
    band = im.crop((0, 600, 800, im.size[1]))
    assert band.getextrema()[1] > 200  # white text drawn on the dark band


def test_watermark_falls_back_when_the_font_is_missing(tmp_path):
    data = _jpeg_with_gps((35.0, 13.0, 12.0), "N", (113.0, 14.0, 24.0), "E")
    out = make_watermarked(data, ["2026-11-20 09:30"], font_path=tmp_path / "nope.ttc")
    assert Image.open(io.BytesIO(out)).format == "JPEG"


# --------------------------------------------------------------------------- timings


@pytest.fixture(scope="module")
def large_jpeg() -> bytes:
    w, h = 4000, 3000  # 12 MP, like the PERFORMANCE.md reference
    g = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 40)
    im = Image.merge("RGB", (g, noise, Image.blend(g, noise, 0.5)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (35.0, 13.0, 12.0), 3: "E", 4: (113.0, 14.0, 24.0)}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def _median_ms(fn, n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return sorted(samples)[n // 2]


def test_inspect_original_is_cheap_and_derivatives_timings_are_printed(large_jpeg, capsys):
    inspect_ms = _median_ms(lambda: inspect_original(large_jpeg), 51)
    verify_ms = _median_ms(lambda: verify_decodes(large_jpeg), 3)
    deriv_ms = _median_ms(lambda: make_derivatives(large_jpeg), 3)
    with capsys.disabled():
        print(
            f"\n[photo timings, 12 MP JPEG {len(large_jpeg) / 1e6:.1f} MB, orientation 6] "
            f"inspect_original {inspect_ms:.3f} ms, verify_decodes {verify_ms:.1f} ms, "
            f"make_derivatives {deriv_ms:.1f} ms"
        )
    # Loose bound: proves no pixel decode happens (a decode costs ~45–80 ms here).
    assert inspect_ms < 10
    result = make_derivatives(large_jpeg)
    assert result.display_size == (1500, 2000)  # 1/2-scale decode, rotated
