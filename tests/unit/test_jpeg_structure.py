"""app.photos.jpeg_structure: a JPEG cut short is told from a whole one by its markers, without decoding, on the
real JPEGs in tests/data/photos (MANIFEST.tsv) and the samples derived from them (tests/photo_samples.py)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.photos import processing
from app.photos.errors import ImageUndecodable
from app.photos.jpeg_structure import first_image_is_whole
from tests.photo_samples import SAMPLES, photo_path

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on the corrupt-EXIF samples

WHOLE_JPEGS = [
    pytest.param(r["file"], id=r["file"]) for r in SAMPLES if r["format"] == "JPEG" and not r["pillow_error"]
]
THUMBNAIL_JPEGS = ["drew__jpg__Nikon_D5000.jpg", "drew__jpg__Samsung_GT-I9000_Galaxy_S_.jpg"]  # EXIF thumbnails


def _data(name: str) -> bytes:
    return photo_path(name).read_bytes()


def _first_scan_data(data: bytes) -> int:
    """Offset of the first byte after the first SOS header (the entropy-coded data)."""
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


def _made(**options: object) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert("RGB").save(buf, "JPEG", quality=90, **options)
    return buf.getvalue()


@pytest.mark.parametrize("name", WHOLE_JPEGS)
def test_every_real_jpeg_is_whole(name: str) -> None:
    assert first_image_is_whole(_data(name))


@pytest.mark.parametrize("name", WHOLE_JPEGS)
def test_every_real_jpeg_cut_short_is_not_whole(name: str) -> None:
    data = _data(name)
    scan = _first_scan_data(data)
    cuts = {
        "inside the headers": scan // 2,
        "right after the headers": scan,
        "mid-scan": (scan + len(data)) // 2,
        "without its end marker": len(data) - 2,
        "one byte before the end": len(data) - 1,
    }
    whole = {where: first_image_is_whole(data[:at]) for where, at in cuts.items()}
    assert not any(whole.values()), whole
    # Padding that a phone's pre-allocated file leaves does not complete it.
    assert not first_image_is_whole(data[: cuts["mid-scan"]] + b"\x00" * 4096)


@pytest.mark.parametrize("name", THUMBNAIL_JPEGS)
def test_the_exif_thumbnails_end_marker_is_not_the_images(name: str) -> None:
    data = _data(name)
    thumbnail_end = data.index(b"\xff\xd9") + 2
    assert thumbnail_end < _first_scan_data(data)  # the first FF D9 of the file is the thumbnail's, inside APP1
    assert not first_image_is_whole(data[:thumbnail_end])


@pytest.mark.parametrize(
    "trailer",
    [
        pytest.param(b"\x00" * 8192, id="zero padding"),
        pytest.param(b"\x00\x00SEFH" + b"\xff\xd8\xff\xd9" * 3 + b"SEFT", id="samsung-like trailer"),
        pytest.param(b"\xff\xd8\xff\xe1\x00\x04\x00\x00\xff\xda\x00\x02", id="the start of a second image"),
    ],
)
def test_data_after_the_end_marker_is_not_looked_at(trailer: bytes) -> None:
    data = _data("recurser__Landscape_1.jpg")
    assert first_image_is_whole(data + trailer)


def test_a_multi_picture_jpeg_is_whole_by_its_first_frame() -> None:
    buf = io.BytesIO()
    first, second = Image.new("RGB", (96, 64), "red"), Image.new("RGB", (96, 64), "blue")
    first.save(buf, "MPO", save_all=True, append_images=[second])
    data = buf.getvalue()
    assert first_image_is_whole(data)
    assert first_image_is_whole(data[:-1])  # the second frame cut: the photo (first frame) is whole


def test_progressive_jpegs_are_walked_scan_by_scan() -> None:
    data = _made(progressive=True)
    scans = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xda"]
    assert len(scans) > 3
    assert first_image_is_whole(data)
    for at in scans[1:]:  # cut between two scans: earlier scans whole, the image is not
        assert not first_image_is_whole(data[:at])
        assert not first_image_is_whole(data[: at + 6])
    assert not first_image_is_whole(data[: (scans[-1] + len(data)) // 2])  # inside the last scan


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_a_sequential_jpeg_is_judged_by_its_only_scan(mode: str) -> None:
    """One scan holds every component (grey: one, colour: three): an FF D9 after it is the end marker."""
    buf = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert(mode).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    assert first_image_is_whole(data)
    assert first_image_is_whole(data + b"\x00" * 100 + b"\xff\xd9")
    assert not first_image_is_whole(data[: (_first_scan_data(data) + len(data)) // 2])


def test_restart_markers_inside_the_scan_are_not_its_end() -> None:
    data = _made(restart_marker_blocks=4)
    assert b"\xff\xd0" in data[_first_scan_data(data) :]
    assert first_image_is_whole(data)
    assert not first_image_is_whole(data[: data.rindex(b"\xff\xd3") + 2])


def test_fill_bytes_before_a_marker_are_allowed() -> None:
    data = _data("recurser__Landscape_1.jpg")
    assert first_image_is_whole(data[:-2] + b"\xff\xff\xff\xd9")


def test_what_only_a_decode_finds_is_left_to_it() -> None:
    """A scan cut and then closed with an end marker has a whole structure; ``verify_complete`` (the derivatives
    job) refuses it, so the split between the two checks is where the module doc says."""
    data = _made()
    cut = data[: len(data) * 2 // 3] + b"\xff\xd9"
    assert first_image_is_whole(cut)
    with pytest.raises(ImageUndecodable) as exc:
        processing.verify_complete(cut)
    assert exc.value.code == "image_truncated"


def test_not_a_jpeg_or_an_end_marker_before_any_scan_is_not_whole() -> None:
    assert not first_image_is_whole(b"")
    assert not first_image_is_whole(b"\x89PNG\r\n\x1a\n")
    assert not first_image_is_whole(b"\xff\xd8\xff\xd9")


def test_verify_reads_a_file_through_a_map_and_refuses_a_cut_one(tmp_path) -> None:  # noqa: ANN001
    data = _data("drew__jpg__Nikon_D5000.jpg")
    whole, cut, empty = tmp_path / "whole.jpg", tmp_path / "cut.jpg", tmp_path / "empty.jpg"
    whole.write_bytes(data)
    cut.write_bytes(data[: len(data) // 2])
    empty.write_bytes(b"")
    processing.verify_jpeg_not_cut_short(whole)
    processing.verify_jpeg_not_cut_short(data)
    for source in (cut, empty, data[:-1]):
        with pytest.raises(ImageUndecodable) as exc:
            processing.verify_jpeg_not_cut_short(source)
        assert exc.value.code == "image_undecodable" and exc.value.status == 422
