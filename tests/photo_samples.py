"""The photos tests use: freely licensed files shipped in tests/data/photos, and a few samples derived from them.

``MANIFEST.tsv`` there describes every shipped file (source repository, path, commit, licence, expected
metadata); ``README.md`` names sources and licences. Files whose licence is unclear are not shipped. Where a
test needs what such a file exercised (a camera JPEG with GPS in fractional DMS seconds, a southern latitude
given only in minutes, an iPhone HEIC whose capture time carries an offset) or a large phone JPEG, a sample
is derived here from a shipped photo (``recurser__Landscape_1.jpg``, MIT) with Pillow: new pixels, and EXIF
written with the metadata values of the file it stands in for. ``DERIVED`` rows have the manifest's columns,
so manifest-driven tests check them like the shipped files.

Derived samples are built on first use and kept for the rest of the run (``photo_path`` writes them to a
temporary folder removed at exit).
"""

from __future__ import annotations

import atexit
import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "photos"

with (DATA / "MANIFEST.tsv").open(encoding="utf-8") as _fh:
    _reader = csv.DictReader(_fh, delimiter="\t")
    COLUMNS: list[str] = list(_reader.fieldnames or [])
    MANIFEST: list[dict[str, str]] = list(_reader)

BASE = "recurser__Landscape_1.jpg"  # 1800×1200, orientation 1, no GPS
_BASE_ROW = next(r for r in MANIFEST if r["file"] == BASE)

# EXIF tag numbers used below
MAKE, MODEL, SOFTWARE, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0131, 0x0112, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x9003, 0x9004
OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012


@dataclass(frozen=True)
class Derived:
    """A sample made from ``BASE``: its manifest-style row and how to build its bytes."""

    row: dict[str, str]
    build: Callable[[], bytes]


def _row(file: str, category: str, note: str, **values: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        file=file,
        category=category,
        source_repo=_BASE_ROW["source_repo"],
        source_path=_BASE_ROW["source_path"],
        source_commit=_BASE_ROW["source_commit"],
        licence=_BASE_ROW["licence"],
        expected_problem_or_note=f"derived in tests/photo_samples.py: {note}",
    )
    row.update(values)
    return row


@cache
def _base_image() -> Any:
    from PIL import Image

    with Image.open(DATA / BASE) as im:
        return im.convert("RGB")


def _exif(ifd0: dict[int, Any], exif_ifd: dict[int, Any], gps: dict[int, Any]) -> Any:
    from PIL import Image

    exif = Image.Exif()
    exif.update(ifd0)
    exif[EXIF_IFD] = exif_ifd
    exif[GPS_IFD] = gps
    return exif


def _jpeg(
    crop: tuple[int, int, int, int], size: tuple[int, int], exif: Any, *, rotate: int = 0, quality: int = 85
) -> bytes:
    from PIL import Image

    im = _base_image().crop(crop).resize(size, Image.Resampling.BICUBIC)
    if rotate:
        im = im.rotate(rotate, expand=True)  # the stored pixels; the EXIF orientation undoes this
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=exif)
    return buf.getvalue()


# Stands in for ianare/exif-samples jpg/gps/DSCN0010.jpg and DSCN0021.jpg (real Nikon GPS, DMS with
# fractional seconds, edited in Nikon Transfer): their EXIF values, written into 640×480 crops of BASE.
def _nikon(
    datetime: str, taken: str, lat: tuple[float, ...], lon: tuple[float, ...], gps_time: tuple[float, ...]
) -> Any:
    return _exif(
        {MAKE: "NIKON", MODEL: "COOLPIX P6000", SOFTWARE: "Nikon Transfer 1.1 W", ORIENTATION: 1, DATETIME: datetime},
        {DATETIME_ORIGINAL: taken, DATETIME_DIGITIZED: taken},
        {1: "N", 2: lat, 3: "E", 4: lon, 7: gps_time, 8: "06", 18: "WGS-84   ", 29: "2008:10:23"},
    )


def _gps_fractional_seconds() -> bytes:
    exif = _nikon(
        "2008:11:01 21:15:07", "2008:10:22 16:28:39", (43.0, 28.0, 2.814), (11.0, 53.0, 6.45599999), (14.0, 27.0, 7.24)
    )
    return _jpeg((100, 0, 1700, 1200), (640, 480), exif)


def _gps_fractional_seconds_2() -> bytes:
    exif = _nikon(
        "2008:11:01 21:15:08",
        "2008:10:22 16:38:20",
        (43.0, 28.0, 1.49399999),
        (11.0, 53.0, 4.33799999),
        (14.0, 36.0, 47.23),
    )
    return _jpeg((200, 0, 1800, 1200), (640, 480), exif)


# Stands in for ianare/exif-samples jpg/Kodak_CX7530.jpg: LatRef S with degrees 0 and the value only in
# minutes (0° 22.278'), as a Kodak wrote it (resaved in GIMP).
def _gps_south_degrees_in_minutes() -> bytes:
    exif = _exif(
        {
            MAKE: "EASTMAN KODAK COMPANY",
            MODEL: "KODAK CX7530 ZOOM DIGITAL CAMERA",
            SOFTWARE: "GIMP 2.4.5",
            ORIENTATION: 1,
            DATETIME: "2008:07:31 10:39:26",
        },
        {DATETIME_ORIGINAL: "2005:08:13 09:47:23", DATETIME_DIGITIZED: "2005:08:13 09:47:23"},
        {0: b"\x02\x02\x00\x00", 1: "S", 2: (0.0, 22.278, 0.0), 3: "E", 4: (36.0, 3.385, 0.0)},
    )
    return _jpeg((130, 0, 1669, 1200), (100, 78), exif)


# Stands in for drewnoakes/metadata-extractor-images jpg/Apple iPhone 5.jpg (2.3 MB; the one shipped photo
# that large): 3264×2448 stored upside down with Orientation 3, LonRef W, its EXIF values. About 1.5 MB.
def _large_orientation_3() -> bytes:
    exif = _exif(
        {MAKE: "Apple", MODEL: "iPhone 5", SOFTWARE: "6.0", ORIENTATION: 3, DATETIME: "2012:09:29 16:11:25"},
        {DATETIME_ORIGINAL: "2012:09:29 16:11:25", DATETIME_DIGITIZED: "2012:09:29 16:11:25"},
        {1: "N", 2: (47.0, 37.63, 0.0), 3: "W", 4: (122.0, 20.24, 0.0), 7: (23.0, 11.0, 25.63)},
    )
    return _jpeg((100, 0, 1700, 1200), (3264, 2448), exif, rotate=180, quality=90)


# Stands in for ianare/exif-samples heic/IMG_5195.HEIC (iPhone 11 Pro Max): a portrait HEIC larger than the
# display cap, with OffsetTimeOriginal -05:00 and GPS in the western hemisphere, its EXIF values. Encoded
# with x265's fastest preset: about half a second.
HEIC_SIZE = (1200, 2100)


def _heic_gps_offset_time() -> bytes:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    taken = "2021:04:11 15:47:53"
    exif = _exif(
        {MAKE: "Apple", MODEL: "iPhone 11 Pro Max", SOFTWARE: "14.4.2", DATETIME: taken},
        {
            DATETIME_ORIGINAL: taken,
            DATETIME_DIGITIZED: taken,
            OFFSET_TIME: "-05:00",
            OFFSET_TIME_ORIGINAL: "-05:00",
            OFFSET_TIME_DIGITIZED: "-05:00",
        },
        {1: "N", 2: (39.0, 3.0, 4.84), 3: "W", 4: (94.0, 17.0, 19.58), 31: 38.81300434512725},
    )
    im = _base_image().crop((557, 0, 1243, 1200)).resize(HEIC_SIZE, Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    im.save(buf, "HEIF", quality=20, exif=exif.tobytes(), enc_params={"preset": "ultrafast"})
    return buf.getvalue()


DERIVED: dict[str, Derived] = {
    d.row["file"]: d
    for d in (
        Derived(
            _row(
                "derived__gps_fractional_seconds.jpg",
                "gps",
                "stands in for ianare/exif-samples jpg/gps/DSCN0010.jpg (EXIF values copied): real camera GPS "
                "(Italy), DMS with fractional seconds",
                format="JPEG",
                pixels="640x480",
                make="NIKON",
                model="COOLPIX P6000",
                orientation="1",
                gps_lat="43.4674483",
                gps_lon="11.8851267",
            ),
            _gps_fractional_seconds,
        ),
        Derived(
            _row(
                "derived__gps_fractional_seconds_2.jpg",
                "gps",
                "stands in for ianare/exif-samples jpg/gps/DSCN0021.jpg (EXIF values copied): same series",
                format="JPEG",
                pixels="640x480",
                make="NIKON",
                model="COOLPIX P6000",
                orientation="1",
                gps_lat="43.4670817",
                gps_lon="11.8845383",
            ),
            _gps_fractional_seconds_2,
        ),
        Derived(
            _row(
                "derived__gps_south_degrees_in_minutes.jpg",
                "gps",
                "stands in for ianare/exif-samples jpg/Kodak_CX7530.jpg (EXIF values copied): southern "
                "hemisphere (LatRef S) and degrees=0, value only in minutes (0 deg 22.278 min)",
                format="JPEG",
                pixels="100x78",
                make="EASTMAN KODAK COMPANY",
                model="KODAK CX7530 ZOOM DIGITAL CAMERA",
                orientation="1",
                gps_lat="-0.3713",
                gps_lon="36.0564167",
            ),
            _gps_south_degrees_in_minutes,
        ),
        Derived(
            _row(
                "derived__heic_gps_offset_time.heic",
                "gps+format",
                "stands in for ianare/exif-samples heic/IMG_5195.HEIC (EXIF values copied): iPhone 11 Pro Max "
                "HEIC with GPS and OffsetTimeOriginal; needs pillow-heif",
                format="HEIF",
                pixels=f"{HEIC_SIZE[0]}x{HEIC_SIZE[1]}",
                make="Apple",
                model="iPhone 11 Pro Max",
                gps_lat="39.0513444",
                gps_lon="-94.2887722",
            ),
            _heic_gps_offset_time,
        ),
        Derived(
            _row(
                "derived__large_orientation_3.jpg",
                "gps+orientation",
                "stands in for drewnoakes/metadata-extractor-images jpg/Apple iPhone 5.jpg (EXIF values copied): "
                "Orientation=3 (rotate 180); LonRef W (western hemisphere), positive rationals + ref",
                format="JPEG",
                pixels="3264x2448",
                make="Apple",
                model="iPhone 5",
                orientation="3",
                gps_lat="47.6271667",
                gps_lon="-122.3373333",
            ),
            _large_orientation_3,
        ),
    )
}

SAMPLES: list[dict[str, str]] = MANIFEST + [d.row for d in DERIVED.values()]
ROWS: dict[str, dict[str, str]] = {row["file"]: row for row in SAMPLES}


@cache
def photo_bytes(name: str) -> bytes:
    """The bytes of a shipped file or a derived sample (built once per run)."""
    if name in DERIVED:
        return DERIVED[name].build()
    return (DATA / name).read_bytes()


@cache
def _derived_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="lantian-photo-samples-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def photo_path(name: str) -> Path:
    """A file holding the sample: the shipped file itself, or the derived sample written once per run."""
    if name not in DERIVED:
        return DATA / name
    path = _derived_dir() / name
    if not path.exists():
        path.write_bytes(photo_bytes(name))
    return path
