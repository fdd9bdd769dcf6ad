"""WGS-84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import math
import random

import pytest

from app.errors import ValidationFailed
from app.geo.crs import (
    CRS_CHOICES,
    from_wgs84,
    in_china,
    parse_crs,
    to_wgs84,
    transform_geometry,
    transform_point,
)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def points_inside_china(n: int = 500) -> list[tuple[float, float]]:
    rng = random.Random(20240611)
    pts = [(113.25, 35.22), (116.391, 39.907), (121.47, 31.23), (87.6, 43.8), (126.6, 45.75), (109.5, 18.25)]
    pts += [(rng.uniform(75, 134), rng.uniform(18, 53)) for _ in range(n)]
    return pts


def test_crs_choices_are_the_three_systems():
    assert CRS_CHOICES == ("wgs84", "gcj02", "bd09")


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_inside_china_is_below_one_metre(crs):
    worst = 0.0
    for lon, lat in points_inside_china():
        back = to_wgs84(*from_wgs84(lon, lat, crs), crs)
        worst = max(worst, haversine_m(lon, lat, *back))
    assert worst < 1.0


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_from_the_offset_side_is_below_one_metre(crs):
    worst = 0.0
    for lon, lat in points_inside_china():
        back = from_wgs84(*to_wgs84(lon, lat, crs), crs)
        worst = max(worst, haversine_m(lon, lat, *back))
    assert worst < 1.0


def test_gcj02_offset_at_jiaozuo_is_hundreds_of_metres():
    lon, lat = 113.25, 35.22
    assert 400 < haversine_m(lon, lat, *from_wgs84(lon, lat, "gcj02")) < 800


# Published reference pairs: eviltransform's test table (WGS-84 -> GCJ-02).
@pytest.mark.parametrize(
    "wgs, gcj",
    [
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
        ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
        ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ],
)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    assert haversine_m(*from_wgs84(*wgs, "gcj02"), *gcj) < 0.05
    assert haversine_m(*to_wgs84(*gcj, "gcj02"), *wgs) < 0.05


def test_gcj02_matches_value_returned_by_the_amap_api():
    # geoChina's test: WGS (39.90734, 116.39089) and the value the Amap API returned for it;
    # the real GCJ-02 adds noise, so agreement is to about a metre.
    assert haversine_m(*from_wgs84(116.39089, 39.90734, "gcj02"), 116.39713623, 39.90874539) < 1.5


def test_bd09_to_gcj02_matches_coordtransform_reference():
    # wandergis/coordtransform: bd09togcj02(116.404, 39.915) = (116.39762729119315, 39.90865673957631)
    # (that library uses the one-step inverse; ours iterates, they agree to centimetres).
    assert haversine_m(*transform_point(116.404, 39.915, "bd09", "gcj02"), 116.39762729119315, 39.90865673957631) < 0.1


def test_gcj02_to_bd09_matches_coordtransform_reference():
    # wandergis/coordtransform: gcj02tobd09(116.404, 39.915) = (116.41036949371029, 39.92133699351021)
    assert haversine_m(*transform_point(116.404, 39.915, "gcj02", "bd09"), 116.41036949371029, 39.92133699351021) < 0.01


@pytest.mark.parametrize(
    "lon, lat", [(2.3522, 48.8566), (-74.006, 40.7128), (139.6917, 35.6895), (0.0, 0.0), (151.2, -33.87)]
)
def test_points_outside_china_are_untouched_by_gcj02(lon, lat):
    assert not in_china(lon, lat)
    assert from_wgs84(lon, lat, "gcj02") == (lon, lat)
    assert to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_outside_china_is_prcoords_bounding_box():
    assert in_china(72.01, 0.83)
    assert not in_china(72.0, 30.0)
    assert not in_china(137.84, 30.0)
    assert not in_china(100.0, 55.83)


def test_bd09_outside_china_still_applies_the_baidu_offset_but_round_trips():
    lon, lat = 2.3522, 48.8566
    bd = from_wgs84(lon, lat, "bd09")
    assert haversine_m(lon, lat, *bd) > 100
    assert haversine_m(lon, lat, *to_wgs84(*bd, "bd09")) < 1.0


def test_wgs84_is_identity():
    assert to_wgs84(113.25, 35.22, "wgs84") == (113.25, 35.22)
    assert from_wgs84(113.25, 35.22, "wgs84") == (113.25, 35.22)


@pytest.mark.parametrize(
    "raw, expected",
    [(None, "wgs84"), ("", "wgs84"), ("GCJ02", "gcj02"), ("gcj-02", "gcj02"), ("BD09", "bd09"), ("WGS-84", "wgs84")],
)
def test_parse_crs_normalises_names(raw, expected):
    assert parse_crs(raw) == expected


def test_parse_crs_rejects_unknown_system_with_field_error():
    with pytest.raises(ValidationFailed) as info:
        parse_crs("epsg:3857")
    assert info.value.code == "unknown_crs"
    assert info.value.errors[0].path == "crs"


@pytest.mark.parametrize("lon, lat", [(181, 35), (113, 91), (float("nan"), 35), ("113", 35), (True, 35)])
def test_out_of_range_or_non_numeric_coordinates_are_rejected(lon, lat):
    with pytest.raises(ValidationFailed) as info:
        to_wgs84(lon, lat, "gcj02")
    assert info.value.errors[0].code == "coordinate_out_of_range"


def test_transform_geometry_converts_every_position_and_keeps_altitude():
    poly = {
        "type": "Polygon",
        "coordinates": [[[113.2, 35.2, 100.0], [113.3, 35.2, 101.0], [113.3, 35.3, 102.0], [113.2, 35.2, 100.0]]],
        "bbox": [113.2, 35.2, 113.3, 35.3],
    }
    out = transform_geometry(poly, "wgs84", "gcj02")
    assert "bbox" not in out
    assert out["coordinates"][0][1][2] == 101.0
    for src, dst in zip(poly["coordinates"][0], out["coordinates"][0]):
        assert tuple(dst[:2]) == from_wgs84(src[0], src[1], "gcj02")
    assert poly["coordinates"][0][0][0] == 113.2  # input untouched


def test_transform_geometry_round_trips_a_multipolygon_and_a_collection():
    mp = {"type": "MultiPolygon", "coordinates": [[[[113.2, 35.2], [113.3, 35.2], [113.3, 35.3], [113.2, 35.2]]]]}
    gc = {
        "type": "GeometryCollection",
        "geometries": [mp, {"type": "LineString", "coordinates": [[113.2, 35.2], [113.21, 35.21]]}],
    }
    back = transform_geometry(transform_geometry(gc, "wgs84", "bd09"), "bd09", "wgs84")
    src = gc["geometries"][1]["coordinates"][1]
    got = back["geometries"][1]["coordinates"][1]
    assert haversine_m(src[0], src[1], got[0], got[1]) < 1.0
    assert back["geometries"][0]["type"] == "MultiPolygon"


def test_transform_geometry_rejects_unknown_type():
    with pytest.raises(ValidationFailed):
        transform_geometry({"type": "Circle", "coordinates": [0, 0]}, "wgs84", "gcj02")
