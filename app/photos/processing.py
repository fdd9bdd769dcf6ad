"""Image processing: the ONLY module that imports PIL / pillow_heif (STYLE §4).

Entry points, by cost (figures: the team's PERFORMANCE.md notes and the report):

- ``inspect_original``  — no pixel decode (≈ 0.02–0.1 ms): real format sniffed from the
  bytes through an allow-list, size, pixel limit, EXIF time/GPS/make/model/software,
  orientation, and a *structural* truncation hint. Safe to run before answering an
  upload (acknowledge once durable, hash verified, metadata read).
- ``verify_jpeg_not_cut_short`` — no pixel decode (a walk over the JPEG's markers, ≈ 1–3 ms for
  3 MB): the bytes reach the first image's end marker (``app.photos.jpeg_structure``). The upload
  path runs it on every JPEG.
- ``verify_decodes``    — decodes the pixels (JPEG at 1/8 scale, still reads every
  entropy-coded byte) to prove the file is not truncated/corrupt. ≈ 45–75 ms for 12 MP.
  The upload path calls it synchronously only for a PNG or WebP with ``suspect_truncated``.
- ``verify_complete``   — a JPEG's scan data reaches its end marker (a scan cut and closed with an
  end marker decodes with a grey band, without any error). Decodes again: ``make_derivatives`` runs it
  only when its own decode ends on the zero-fill grey (or the JPEG is progressive).
- ``make_derivatives`` / ``make_watermarked`` — the expensive part, meant for a worker
  after the response; both fully decode and therefore also confirm decodability
  (truncated → ``image_undecodable``).

Where the upload and the job split the work on a JPEG: the upload refuses bytes that stop before the
end marker (cut short in transfer or while the phone wrote the file; the phone still has the photo, so
a retry can help) from the structure alone. Whatever only a decode finds — a scan cut and then closed
with an end marker, a corrupt marker inside the scan — is found by the derivatives job, which records
``derivatives_state = failed`` with ``image_truncated`` / ``image_undecodable``; the phone learns it
from the photo's derivative state. Entropy-coded data that is merely wrong (flipped bits) decodes to
wrong pixels with libjpeg's warnings only; neither check finds that.

Never set ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True`` anywhere in the process: it
would make truncated images decode silently (a unit test guards the default).
"""

from __future__ import annotations

import io
import logging
import math
import mmap
import os
import statistics
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Union

from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageFont, ImageOps, UnidentifiedImageError

from app.errors import AppError
from app.photos.errors import ImageTooManyPixels, ImageTruncated, ImageUndecodable, UnsupportedImageFormat
from app.photos.jpeg_structure import first_image_is_whole
from app.photos.metadata import (
    GPS_MALFORMED,
    GpsFix,
    OriginalInfo,
    clean_text,
    parse_exif_datetime,
    parse_exif_offset,
    parse_gps,
)

log = logging.getLogger(__name__)


def refuse_truncated_images() -> None:
    """Put back Pillow's default after a library turned truncated-image decoding on at import: WeasyPrint
    (app/documents/render.py) sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` process-wide."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False


__all__ = [
    "refuse_truncated_images",
    "DEFAULT_FONT_PATH",
    "DEFAULT_MAX_PIXELS",
    "DISPLAY_MAX_PX",
    "HEIF_SUPPORTED",
    "THUMB_MAX_PX",
    "Derivatives",
    "GpsFix",
    "OriginalInfo",
    "Source",
    "allowed_formats",
    "inspect_original",
    "hamming_distance",
    "make_derivatives",
    "make_watermarked",
    "perceptual_hash",
    "verify_complete",
    "verify_decodes",
    "verify_jpeg_not_cut_short",
]

try:  # HEIC via pillow-heif (pinned in requirements.txt)
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the wheel being installed
    HEIF_SUPPORTED = False

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]

# Pillow's own decompression-bomb threshold (Image.MAX_IMAGE_PIXELS, ≈ 89.5 MP). It is the
# only sourced number; the application passes its configured limit explicitly.
DEFAULT_MAX_PIXELS: int = int(Image.MAX_IMAGE_PIXELS or 89_478_485)
DISPLAY_MAX_PX = 2048  # display image ≤ 2048 px
THUMB_MAX_PX = 320  # thumbnail ≤ 320 px
DEFAULT_JPEG_QUALITY = 85  # our choice (no source gives one); Pillow's default is 75
# JPEG DCT scaling (draft) may give a display smaller than the cap, down to this fraction
# of it, instead of decoding at full size and resampling: a 12 MP 4000×3000 photo becomes a
# 2000×1500 display decoded at 1/2 scale (no resize at all), ~3× cheaper than decoding
# 12 MP and Lanczos-resizing to 2048. Our choice, no source gives one; 1.0 = always ≥ cap.
DRAFT_MIN_FRACTION = 0.75
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian fonts-wqy-microhei
FALLBACK_FONT_PATHS = (
    DEFAULT_FONT_PATH,
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

_BASE_FORMATS = ("JPEG", "PNG", "WEBP")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}

# Exceptions Pillow and its plugins raise on malformed input (besides UnidentifiedImageError).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)

# Magic numbers of formats we refuse, only to make the error message helpful; nothing
# outside the allow-list is ever handed to a Pillow plugin (GHSA-whj4-6x5x-4v2j workaround).
_KNOWN_MAGIC = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"SIMPLE  =", "FITS"),
)

# Bytes fed to libjpeg after a JPEG's scan data by ``verify_complete``: a complete scan never reads
# them, a scan cut short decodes them instead of zeros. Any value works; 0x55 is not a marker byte.
_SCAN_PROBE_PADDING = b"\x55" * 4096
_JPEG_EOI = b"\xff\xd9"
_ZERO_DC_RGB = (128, 128, 128)  # what libjpeg makes of a block whose data never arrived

_ORIENTATION_TAG = 0x0112
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


def allowed_formats() -> list[str]:
    """Pillow format names accepted for upload (HEIF only when pillow-heif loaded)."""
    return list(_BASE_FORMATS) + (["HEIF"] if HEIF_SUPPORTED else [])


# --------------------------------------------------------------------------- opening


def _as_file(source: Source) -> IO[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb")
    raise TypeError(f"unsupported source type {type(source).__name__}")


def _sniff_refused(head: bytes) -> str | None:
    for magic, name in _KNOWN_MAGIC:
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "ISOBMFF/" + head[8:12].decode("latin-1", "replace").strip()
    return None


def _open(fp: IO[bytes], max_pixels: int) -> Image.Image:
    """Open with the allow-list and enforce the pixel limit before any decode."""
    try:
        im = Image.open(fp, formats=allowed_formats())
    except UnidentifiedImageError:
        fp.seek(0)
        detected = _sniff_refused(fp.read(16))
        raise UnsupportedImageFormat(
            "无法识别为 JPEG、PNG、WebP 或 HEIC 图片" + (f"（实际为 {detected}）" if detected else ""),
            "Content is not a JPEG, PNG, WebP or HEIC image" + (f" (looks like {detected})" if detected else ""),
            extra={"detected_format": detected} if detected else None,
        ) from None
    except Image.DecompressionBombError as exc:
        raise _too_many(None, max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise ImageUndecodable(f"图片头部无法解析：{exc}", f"Image header cannot be parsed: {exc}") from exc
    if im.format == "MPO":
        # A multi-picture JPEG (CIPA DC-007; e.g. Panasonic Lumix LX7, stereo cameras) is a JPEG whose
        # first frame is the photo; Pillow opens it at that frame. Everything downstream treats it as
        # the JPEG it is (the stored original keeps every frame, byte for byte).
        im.format = "JPEG"
    width, height = im.size
    if width <= 0 or height <= 0:
        im.close()
        raise ImageUndecodable("图片尺寸无效", "Image has invalid dimensions")
    if width * height > max_pixels:
        im.close()
        raise _too_many((width, height), max_pixels)
    return im


def _too_many(size: tuple[int, int] | None, max_pixels: int) -> ImageTooManyPixels:
    extra: dict[str, Any] = {"max_pixels": max_pixels}
    if size:
        extra.update(width=size[0], height=size[1], pixels=size[0] * size[1])
    return ImageTooManyPixels(
        f"图片像素数超过上限 {max_pixels}", f"Image exceeds the limit of {max_pixels} pixels", extra=extra
    )


@contextmanager
def _decoder_boundary() -> Iterator[None]:
    """Whatever a decoder raises on the bytes it was given becomes a 422 problem: the upload is
    refused cleanly (and what it stored removed) instead of a 500 the phone retries forever."""
    try:
        yield
    except AppError:
        raise
    except Exception as exc:  # noqa: BLE001 - unknown Pillow/plugin failure on these bytes
        log.warning("image decoder failed unexpectedly", exc_info=True)
        raise ImageUndecodable(
            f"图片无法解码（{type(exc).__name__}）",
            f"Image cannot be decoded ({type(exc).__name__})",
            extra={"decoder_error": type(exc).__name__},
        ) from exc


# --------------------------------------------------------------------------- metadata


def _exif(im: Image.Image) -> tuple[Image.Exif | None, str | None]:
    """The EXIF block without decoding pixels (PNG.getexif() would call load())."""
    try:
        if im.format == "PNG":
            raw = im.info.get("exif")
            if not raw:
                return None, None
            exif = Image.Exif()
            exif.load(raw)
            return exif, None
        return im.getexif(), None
    except Exception:  # noqa: BLE001 - any garbage in EXIF just means "no metadata"
        return None, "unreadable"


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # noqa: BLE001 - malformed sub-IFD pointer
        return {}


def _orientation(im: Image.Image, exif: Image.Exif | None) -> int | None:
    if im.format == "HEIF":
        # pillow-heif applies irot/imir itself and removes Orientation from the EXIF;
        # what the camera wrote is kept here for information.
        value = im.info.get("original_orientation")
    else:
        value = exif.get(_ORIENTATION_TAG) if exif is not None else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _mime(im: Image.Image, head: bytes) -> str:
    if im.format == "HEIF":
        return "image/heic" if head[8:12] in _HEIC_BRANDS else "image/heif"
    return _MIME[im.format or ""]


def _suspect_truncated(fmt: str, fp: IO[bytes]) -> bool:
    """Cheap structural hint (reads at most 4 KiB of the tail): the file does not end
    the way its format says it must. Not proof either way: JPEGs may carry trailers
    after EOI (e.g. motion photos) and a cut inside the data can end in FF D9 by chance."""
    try:
        fp.seek(0, io.SEEK_END)
        size = fp.tell()
        fp.seek(max(0, size - 4096))
        tail = fp.read()
        if fmt == "JPEG":
            return not tail.rstrip(b"\x00").endswith(b"\xff\xd9")
        if fmt == "PNG":
            return not tail.endswith(b"IEND\xaeB`\x82")
        if fmt == "WEBP":
            fp.seek(4)
            riff_size = int.from_bytes(fp.read(4), "little")
            return size < riff_size + 8
    except OSError:
        return True
    return False


def inspect_original(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> OriginalInfo:
    """Detect the real format and read metadata without decoding pixels.

    Raises ``UnsupportedImageFormat`` (not in the allow-list / not an image),
    ``ImageTooManyPixels`` (declared size above ``max_pixels``) or ``ImageUndecodable``
    (header cannot be parsed, or any other decoder failure). A truncated body is *not*
    detected here (see module doc); ``suspect_truncated`` says when it is likely.
    """
    with _decoder_boundary():
        return _inspect(source, max_pixels)


def _inspect(source: Source, max_pixels: int) -> OriginalInfo:
    fp = _as_file(source)
    try:
        head = fp.read(16)
        fp.seek(0)
        im = _open(fp, max_pixels)
        try:
            fmt = im.format or ""
            exif, exif_problem = _exif(im)
            exif_ifd = _ifd(exif, _EXIF_IFD) if exif is not None else {}
            gps_ifd = _ifd(exif, _GPS_IFD) if exif is not None else {}
            gps = parse_gps(gps_ifd)
            taken_at, source_tag = _capture_time(exif_ifd)
            info = OriginalInfo(
                format=fmt,
                mime=_mime(im, head),
                width=im.size[0],
                height=im.size[1],
                orientation=_orientation(im, exif),
                taken_at=taken_at,
                taken_at_source=source_tag,
                modified_at=parse_exif_datetime(exif.get(0x0132)) if exif is not None else None,
                gps=gps.fix,
                gps_problem=gps.problem if gps.fix is None else None,
                make=clean_text(exif.get(0x010F)) if exif is not None else None,
                model=clean_text(exif.get(0x0110)) if exif is not None else None,
                software=clean_text(exif.get(0x0131)) if exif is not None else None,
                exif_problem=exif_problem,
                suspect_truncated=_suspect_truncated(fmt, fp),
            )
        finally:
            im.close()
    finally:
        fp.close()
    if info.gps is None and info.gps_problem is None:  # defensive: keep the invariant
        return OriginalInfo(**{**info.__dict__, "gps_problem": GPS_MALFORMED})
    return info


def _capture_time(exif_ifd: dict[int, Any]) -> tuple[Any, str | None]:
    """DateTimeOriginal (+ OffsetTimeOriginal); else DateTimeDigitized (+ OffsetTimeDigitized).
    Without an offset the result is naive camera-local wall time (callers decide the zone)."""
    for dt_tag, off_tag, name in ((0x9003, 0x9011, "DateTimeOriginal"), (0x9004, 0x9012, "DateTimeDigitized")):
        dt = parse_exif_datetime(exif_ifd.get(dt_tag))
        if dt is not None:
            tz = parse_exif_offset(exif_ifd.get(off_tag))
            return (dt.replace(tzinfo=tz) if tz else dt), name
    return None, None


# --------------------------------------------------------------------------- decoding


@dataclass(frozen=True)
class Derivatives:
    """Orientation-corrected JPEGs without EXIF/GPS/XMP (the ICC profile is kept for colour)."""

    display: bytes
    display_size: tuple[int, int]
    thumbnail: bytes
    thumbnail_size: tuple[int, int]
    orientation_applied: int | None
    phash: int  # perceptual hash of the oriented display image (``perceptual_hash``)


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    w, h = size
    scale = min(1.0, box / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _scan_may_be_cut(im: Image.Image) -> bool:
    """After a JPEG's decode: could its scan have been cut and closed with an end marker? Then libjpeg filled
    the missing blocks with zeros, so the last pixel is the zero-DC grey (at 1/4 scale and up, fancy
    upsampling mixes only samples of that last block). A progressive JPEG cannot be told this way."""
    if im.format != "JPEG":
        return False
    if im.info.get("progressive") or im.info.get("progression"):
        return True
    return im.crop((im.width - 1, im.height - 1, im.width, im.height)).convert("RGB").getpixel((0, 0)) == _ZERO_DC_RGB


def _decode_oriented(
    source: Source, box: int, max_pixels: int, draft_min_fraction: float = DRAFT_MIN_FRACTION
) -> tuple[Image.Image, int | None, bytes | None, bool]:
    """Open, draft (JPEG) so that the decoded image still covers ``box`` after rotation,
    decode, then exif_transpose at that reduced size (PERFORMANCE.md: transpose after draft).
    The last item: the scan may have been cut (``_scan_may_be_cut``; ``verify_complete`` decides)."""
    fp = _as_file(source)
    try:
        im = _open(fp, max_pixels)
        try:
            exif, _ = _exif(im)
            orientation = _orientation(im, exif)
            icc = im.info.get("icc_profile")
            if im.format == "JPEG":
                fw, fh = _fit(im.size, box)
                # DCT scaling: libjpeg decodes at 1/2, 1/4 or 1/8 when that still covers the request
                im.draft("RGB", (max(1, int(fw * draft_min_fraction)), max(1, int(fh * draft_min_fraction))))
            im.load()
            may_be_cut = _scan_may_be_cut(im)
            if im.format != "HEIF" and orientation and orientation != 1:
                im = ImageOps.exif_transpose(im)
            else:
                im = im.copy()  # detach from the file before it closes
        except Image.DecompressionBombError as exc:
            raise _too_many(None, max_pixels) from exc
        except _DECODE_ERRORS as exc:
            raise ImageUndecodable(
                f"图片数据损坏或不完整：{exc}", f"Image data is corrupt or truncated: {exc}"
            ) from exc
        except MemoryError as exc:
            raise _too_many(None, max_pixels) from exc
    finally:
        fp.close()
    return _to_rgb(im), orientation, icc if isinstance(icc, bytes) else None, may_be_cut


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        out = im
    elif im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
    elif im.mode.startswith("I;16") or im.mode in ("I", "F"):
        out = im.point(lambda v: v / 256).convert("L").convert("RGB") if im.mode != "F" else im.convert("RGB")
    else:
        out = im.convert("RGB")
    out.info = {}  # drop exif/xmp/comments so nothing leaks into derivatives
    return out


def _jpeg(im: Image.Image, icc: bytes | None, quality: int) -> bytes:
    buf = io.BytesIO()
    params: dict[str, Any] = {"quality": quality}  # optimize=True costs ~+60 % encode time
    if icc:
        params["icc_profile"] = icc
    im.save(buf, "JPEG", **params)  # no exif=/xmp= given → none written
    return buf.getvalue()


def verify_decodes(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Prove the pixels decode (truncated/corrupt → ``ImageUndecodable``).

    JPEG is decoded at 1/8 scale: every entropy-coded byte is still read, so
    truncation is caught, at ~60 % of a full decode's cost."""
    fp = _as_file(source)
    try:
        with _decoder_boundary():
            im = _open(fp, max_pixels)
            try:
                if im.format == "JPEG":
                    im.draft("RGB", (max(1, im.size[0] // 8), max(1, im.size[1] // 8)))
                im.load()
            except _DECODE_ERRORS as exc:
                raise ImageUndecodable(
                    f"图片数据损坏或不完整：{exc}", f"Image data is corrupt or truncated: {exc}"
                ) from exc
            finally:
                im.close()
    finally:
        fp.close()


def verify_jpeg_not_cut_short(source: Source) -> None:
    """A JPEG whose bytes stop before its first image's end marker → ``ImageUndecodable``, without
    decoding (``app.photos.jpeg_structure``). A file is mapped, not read: no copy of its bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        whole = first_image_is_whole(bytes(source))
    else:
        with open(source, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                whole = False
            else:
                with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    whole = first_image_is_whole(mapped)
    if not whole:
        raise ImageUndecodable(
            "图片数据不完整（JPEG 在结束标记前中断），请重新上传原始文件",
            "The image data is incomplete (the JPEG stops before its end marker); upload the original file again",
        )


def _decode_jpeg_scan(data: bytes, max_pixels: int, scale: int) -> Image.Image:
    im = _open(io.BytesIO(data), max_pixels)
    try:
        if scale > 1:
            im.draft("RGB", (max(1, im.size[0] // scale), max(1, im.size[1] // scale)))
        im.load()
        return im.convert("RGB")
    except _DECODE_ERRORS as exc:
        raise ImageUndecodable(f"图片数据损坏或不完整：{exc}", f"Image data is corrupt or truncated: {exc}") from exc
    finally:
        im.close()


def verify_complete(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Prove a JPEG's scan data is complete (cut short → ``ImageTruncated``); other formats pass.

    A JPEG cut inside its scan data and then given an end marker (FF D9) decodes without any error:
    libjpeg warns, fills the missing blocks with zeros and Pillow hands back a grey band.
    ``LOAD_TRUNCATED_IMAGES = False`` does not catch it (the decoder did reach a marker). So we decode
    it again with filler bytes put before its final end marker: a complete scan never reads them
    (same pixels), a scan cut short decodes them in place of the zeros (different pixels).

    Cost: a sequential JPEG is decoded at 1/8 scale (every entropy-coded byte is still read), and
    the second decode runs only when the last block is the zero-filled grey (a real photo rarely
    ends on exactly 128/128/128). A progressive JPEG is decoded twice at full size (its later scans
    only refine detail, which 1/8 scale never shows); phones seldom write them. Limits: a file that
    does not end in FF D9 (trailers, later MPO frames) is left to the full decode of the derivatives,
    and a progressive JPEG missing whole scans (each one complete) is not detectable without its plan.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        with _as_file(source) as fh:
            data = fh.read()
    body = data.rstrip(b"\x00")
    if not body.endswith(_JPEG_EOI):
        return
    with _decoder_boundary():
        with _open(io.BytesIO(data), max_pixels) as probe:
            if probe.format != "JPEG":
                return
            progressive = bool(probe.info.get("progressive") or probe.info.get("progression"))
        scale = 1 if progressive else 8
        as_sent = _decode_jpeg_scan(data, max_pixels, scale)
        if not progressive and as_sent.getpixel((as_sent.width - 1, as_sent.height - 1)) != _ZERO_DC_RGB:
            return  # the last block has data: the scan reached its end
        padded = _decode_jpeg_scan(body[:-2] + _SCAN_PROBE_PADDING + _JPEG_EOI, max_pixels, scale)
        if ImageChops.difference(as_sent, padded).getbbox() is not None:
            raise ImageTruncated(
                "图片数据不完整（扫描数据在结束标记前被截断），请从手机重新上传原始文件",
                "The image data is incomplete (its scan data stops before the end marker); "
                "upload the original file from the phone again",
            )


def make_derivatives(
    source: Source,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    display_max: int = DISPLAY_MAX_PX,
    thumb_max: int = THUMB_MAX_PX,
    quality: int = DEFAULT_JPEG_QUALITY,
    draft_min_fraction: float = DRAFT_MIN_FRACTION,
) -> Derivatives:
    """Orientation-corrected display JPEG (≤ display_max px; a JPEG may come out down to
    ``draft_min_fraction`` of it, see DRAFT_MIN_FRACTION) and thumbnail (≤ thumb_max px),
    both without EXIF/GPS. Fully decodes, so it also confirms decodability; a JPEG whose decoded last
    block is the zero-fill grey (or any progressive one) also goes through ``verify_complete``."""
    im, orientation, icc, may_be_cut = _decode_oriented(source, display_max, max_pixels, draft_min_fraction)
    if may_be_cut:
        # The upload judged a JPEG by its structure only: a scan cut and closed with an end marker decodes
        # without an error (a grey band) and is refused here, before any derivative shows it.
        verify_complete(source, max_pixels=max_pixels)
    display = im if max(im.size) <= display_max else im.resize(_fit(im.size, display_max), Image.Resampling.LANCZOS)
    thumb = display.resize(_fit(display.size, thumb_max), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return Derivatives(
        display=_jpeg(display, icc, quality),
        display_size=display.size,
        thumbnail=_jpeg(thumb, icc, quality),
        thumbnail_size=thumb.size,
        orientation_applied=orientation,
        phash=_phash(display),
    )


# --------------------------------------------------------------------------- perceptual hash
#
# A 64-bit DCT hash ("pHash", as imagehash.phash computes it: 32×32 greyscale, the 8×8 lowest frequencies of its
# two-dimensional DCT-II, one bit per coefficient above their median), computed with Pillow alone: numpy, scipy
# and PyWavelets (imagehash's dependencies, tens of MB) for one hash per photo would be most of our image. The
# hash survives resizing and re-encoding, so a copy of a photo re-saved by another phone or an editor stays
# close to the original (few differing bits) while different scenes differ in about half of the bits.

PHASH_IMAGE_PX = 32
PHASH_LOW_FREQ = 8
_DCT_COS = [
    [math.cos(math.pi * k * (2 * n + 1) / (2 * PHASH_IMAGE_PX)) for n in range(PHASH_IMAGE_PX)]
    for k in range(PHASH_LOW_FREQ)
]


def _phash(im: Image.Image) -> int:
    grey = im.convert("L").resize((PHASH_IMAGE_PX, PHASH_IMAGE_PX), Image.Resampling.LANCZOS)
    pixels = list(grey.tobytes())  # mode L: one byte per pixel, row by row
    rows = [pixels[r * PHASH_IMAGE_PX : (r + 1) * PHASH_IMAGE_PX] for r in range(PHASH_IMAGE_PX)]
    # DCT-II along each row (low frequencies only), then along each column of that result.
    by_row = [[sum(c * v for c, v in zip(cos_k, row, strict=True)) for cos_k in _DCT_COS] for row in rows]
    low = [sum(c * by_row[n][u] for n, c in enumerate(cos_k)) for cos_k in _DCT_COS for u in range(PHASH_LOW_FREQ)]
    median = statistics.median(low)
    bits = 0
    for coefficient in low:
        bits = (bits << 1) | (1 if coefficient > median else 0)
    # Stored in a signed 64-bit column (PostgreSQL bigint): the same 64 bits, two's complement.
    return bits - (1 << 64) if bits >= 1 << 63 else bits


def perceptual_hash(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """The 64-bit perceptual hash of an image (orientation applied), as a signed 64-bit integer."""
    im, _, _, _ = _decode_oriented(source, DISPLAY_MAX_PX, max_pixels)
    return _phash(im)


def hamming_distance(a: int, b: int) -> int:
    """Bits in which two 64-bit hashes differ (the SQL side: ``bit_count((a # b)::bit(64))``)."""
    return bin((a ^ b) & ((1 << 64) - 1)).count("1")


# --------------------------------------------------------------------------- watermark


def _load_font(font_path: str | os.PathLike[str] | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    candidates = [font_path] if font_path else list(FALLBACK_FONT_PATHS)
    for path in candidates:
        try:
            return ImageFont.truetype(str(path), size=size)
        except OSError:
            continue
    log.warning("no CJK font found (tried %s); Chinese watermark text will not render", candidates)
    try:
        return ImageFont.load_default(size=size)
    except Exception:  # noqa: BLE001 - very old FreeType-less builds
        return ImageFont.load_default()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> list[str]:
    """Greedy wrap by character (CJK text has no spaces to break at)."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and draw.textlength(current + ch, font=font) > width:
            lines.append(current)
            current = ch.lstrip() if ch == " " else ch
        else:
            current += ch
    lines.append(current)
    return lines


def make_watermarked(
    source: Source,
    lines: list[str],
    *,
    font_path: str | os.PathLike[str] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_px: int = DISPLAY_MAX_PX,
    quality: int = DEFAULT_JPEG_QUALITY,
) -> bytes:
    """A copy for notices: the oriented photo (≤ max_px) with a text band *below* it
    (time, coordinates, site, officers), so the band never hides evidence.
    ``font_path`` defaults to WenQuanYi Micro Hei; if no CJK font loads we fall back to
    Pillow's default font and log a warning. No EXIF/GPS in the output."""
    im, _, icc, _ = _decode_oriented(source, max_px, max_pixels)
    if max(im.size) > max_px:
        im = im.resize(_fit(im.size, max_px), Image.Resampling.LANCZOS)
    width = im.size[0]
    font_size = max(14, width // 40)
    margin = max(6, font_size // 2)
    font = _load_font(font_path, font_size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    wrapped = [part for line in lines for part in _wrap(probe, line, font, width - 2 * margin)]
    line_height = int(font_size * 1.35)
    band = margin * 2 + line_height * max(1, len(wrapped))
    out = Image.new("RGB", (width, im.size[1] + band), (20, 20, 20))
    out.paste(im, (0, 0))
    draw = ImageDraw.Draw(out)
    y = im.size[1] + margin
    for text in wrapped:
        draw.text((margin, y), text, font=font, fill=(255, 255, 255))
        y += line_height
    return _jpeg(out, icc, quality)
