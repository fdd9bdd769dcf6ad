"""The perceptual hash of photos (app.photos.processing.perceptual_hash) on the real test photos: a resized,
re-encoded copy stays within the near-duplicate distance, different scenes do not."""

from __future__ import annotations

import itertools

import pytest

from app.photos.processing import hamming_distance, perceptual_hash
from app.review.risk import RiskSettings
from tests.factories_photos import photo_bytes, resized_copy

NEAR = RiskSettings().near_duplicate_max_bits
# Different scenes (the Landscape_N samples are one scene in nine EXIF orientations: not here).
DISTINCT = (
    "drew__jpg__Apple_iPhone_4.jpg",
    "drew__jpg__HTC_Desire.jpg",
    "drew__jpg__Nikon_D5000.jpg",
    "drew__jpg__Samsung_GT-I9000_Galaxy_S_.jpg",
    "recurser__Landscape_0.jpg",
    "pillow__Tests__images__exif_gps.jpg",
)


@pytest.mark.parametrize("name", DISTINCT)
def test_a_resized_re_encoded_copy_is_a_near_duplicate(name: str) -> None:
    original = perceptual_hash(photo_bytes(name))
    assert hamming_distance(original, perceptual_hash(resized_copy(name))) <= NEAR


def test_different_photos_are_not_near_duplicates() -> None:
    hashes = {name: perceptual_hash(photo_bytes(name)) for name in DISTINCT}
    for a, b in itertools.combinations(DISTINCT, 2):
        assert hamming_distance(hashes[a], hashes[b]) > NEAR, (a, b)


def test_the_hash_follows_the_orientation_not_the_bytes() -> None:
    # one scene saved in two EXIF orientations: different bytes, the same picture once oriented
    assert perceptual_hash(photo_bytes("recurser__Landscape_0.jpg")) == perceptual_hash(
        photo_bytes("recurser__Landscape_6.jpg")
    )


def test_the_hash_fits_a_signed_64_bit_column_and_the_distance_counts_bits() -> None:
    h = perceptual_hash(photo_bytes("drew__jpg__Nikon_D5000.jpg"))
    assert -(2**63) <= h < 2**63
    assert hamming_distance(h, h) == 0
    assert hamming_distance(0, -1) == 64 and hamming_distance(0b1011, 0b0001) == 2
