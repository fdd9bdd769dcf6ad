"""Is a JPEG cut short? Answered from its marker structure alone, without decoding (pure: no Pillow).

A JPEG (ITU-T T.81, Annex B) is a start marker (FF D8), header segments that each give their own length,
one or more scans (an SOS header, then entropy-coded data), and the end marker (FF D9). Inside entropy-coded
data every FF byte is followed by 00 (byte stuffing) or by a restart marker (FF D0–D7), so the first other
marker after a scan is a real one: the end marker, or the next segment of a progressive or multi-scan JPEG.

The first image of the file is whole when that walk reaches its end marker. A sequential JPEG whose first
scan holds every component (what phones write) has no other scan, so its end marker is the first FF D9 after
that scan's header: any FF D9 there will do, found from the end of the file (``rfind``) in microseconds
instead of reading the whole scan. Nothing after the end marker is looked at:
phones append trailers (Samsung), second images (MPF / MPO) or zero padding there. The EXIF thumbnail's own
end marker sits inside APP1, a segment skipped by its length, so it is never taken for the image's.

What this does not prove: that the entropy-coded data itself is sound. A scan cut inside and then closed
with an end marker, or corrupt in the middle, has a whole structure; only a decode finds it (the derivatives
job, ``processing.verify_complete`` and ``make_derivatives``).
"""

from __future__ import annotations

import mmap
import re

__all__ = ["first_image_is_whole"]

_SOI = b"\xff\xd8"
_EOI = 0xD9
_SOS = 0xDA
# Start-of-frame markers of the sequential DCT processes (baseline, extended, arithmetic): one scan per component.
_SEQUENTIAL_SOF = frozenset({0xC0, 0xC1, 0xC9})
_ANY_SOF = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)})
# Markers without a length: TEM and the restart markers RST0–RST7.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# The first marker after entropy-coded data: FF followed by neither 00 (stuffing), RSTn nor FF (fill byte; the
# marker follows it). A regular expression runs this search in C over the few megabytes of a photo's scan.
_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_NOT_FILL = re.compile(rb"[^\xff]")


def first_image_is_whole(data: bytes | mmap.mmap) -> bool:
    """True when ``data`` is a JPEG whose header segments and scans run to its end marker; False when the
    bytes stop before it (cut short), a segment runs past the end, or the end marker comes before any scan."""
    size = len(data)
    if bytes(data[:2]) != _SOI:
        return False
    pos, scanned, frame_components, sequential = 2, False, 0, False
    while True:
        # Bytes before a marker that are not FF are skipped, as libjpeg and Pillow skip them (with a warning).
        pos = data.find(b"\xff", pos)
        if pos < 0:
            return False
        after_fill = _NOT_FILL.search(data, pos + 1)  # any number of FF may precede a marker (fill bytes)
        if after_fill is None:
            return False
        pos = after_fill.start()
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            return scanned
        if marker in _STANDALONE or marker == 0x00:
            continue
        if pos + 2 > size:
            return False
        length = (data[pos] << 8) | data[pos + 1]  # includes its own two bytes
        if length < 2 or pos + length > size:
            return False
        segment, pos = pos, pos + length
        if marker in _ANY_SOF and length >= 8:
            frame_components, sequential = data[segment + 7], marker in _SEQUENTIAL_SOF
        if marker == _SOS:
            if not scanned and sequential and length >= 3 and data[segment + 2] == frame_components:
                # The only scan: entropy-coded data never holds FF D9 (stuffing), so one after it is the end marker.
                return data.rfind(b"\xff\xd9", pos) >= 0
            scanned = True
            found = _MARKER_AFTER_SCAN.search(data, pos)
            if found is None:
                return False  # the entropy-coded data runs to the end of the bytes: cut short
            pos = found.start()
