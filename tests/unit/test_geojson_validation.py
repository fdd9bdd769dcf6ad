"""GeoJSON import validation: per-feature errors, repairs, streaming."""

from __future__ import annotations

import io
import json

import pytest
from shapely.geometry import shape

from app.errors import ValidationFailed
from app.geo.crs import from_wgs84
from app.geo.features import validate_feature_collection
from app.geo.geometry import validate_geometry
from app.geo.report import ImportReport
from app.geo.streaming import validate_stream

SQUARE = [[113.20, 35.20], [113.21, 35.20], [113.21, 35.21], [113.20, 35.21], [113.20, 35.20]]
BOW_TIE = [[113.20, 35.20], [113.21, 35.21], [113.21, 35.20], [113.20, 35.21], [113.20, 35.20]]


def feature(code="410811", name="山阳区", geometry=None, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **props},
        "geometry": geometry if geometry is not None else {"type": "Polygon", "coordinates": [SQUARE]},
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def codes(report: ImportReport) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in report.errors]


def test_valid_polygon_is_accepted_as_multipolygon():
    report = validate_feature_collection(collection(feature(level="county", name_en="Shanyang")), mode="jurisdictions")
    assert report.ok
    f = report.features[0]
    assert f.code == "410811" and f.name == "山阳区" and f.name_en == "Shanyang" and f.level == "county"
    assert f.geometry["type"] == "MultiPolygon"
    assert not f.repaired
    assert shape(f.geometry).area == pytest.approx(0.0001)


def test_numeric_adcode_is_accepted_as_text():
    report = validate_feature_collection(collection(feature(code=410811)), mode="jurisdictions")
    assert report.features[0].code == "410811"


def test_exterior_rings_are_oriented_counter_clockwise():
    clockwise = list(reversed(SQUARE))
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [clockwise]})), mode="jurisdictions"
    )
    assert shape(report.features[0].geometry).geoms[0].exterior.is_ccw


def test_bow_tie_is_repaired_into_two_polygons_with_a_notice():
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [BOW_TIE]})), mode="jurisdictions"
    )
    assert report.ok
    f = report.features[0]
    assert f.repaired
    geom = shape(f.geometry)
    assert geom.is_valid and len(geom.geoms) == 2 and geom.area > 0
    assert [(n.path, n.code) for n in report.notices] == [("features[0].geometry", "geometry_repaired")]
    assert "Self-intersection" in report.notices[0].message_en


def test_collinear_ring_is_rejected_as_unrepairable():
    flat = [[113.20, 35.20], [113.21, 35.20], [113.22, 35.20], [113.20, 35.20]]
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [flat]})), mode="jurisdictions"
    )
    assert codes(report) == [("features[0].geometry", "geometry_unrepairable")]
    assert report.features == []


def test_wrong_geometry_type_is_rejected():
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Point", "coordinates": [113.2, 35.2]})), mode="jurisdictions"
    )
    assert codes(report) == [("features[0].geometry.type", "geometry_type_unsupported")]


def test_missing_code_is_reported_at_its_path():
    f = feature()
    del f["properties"]["code"]
    report = validate_feature_collection(
        collection(feature(code="A"), feature(code="B"), feature(code="C"), f), mode="jurisdictions"
    )
    assert codes(report) == [("features[3].properties.code", "missing_property")]
    assert len(report.features) == 3


def test_missing_name_and_properties_are_reported():
    no_props = feature()
    no_props["properties"] = None
    report = validate_feature_collection(collection(feature(name=""), no_props), mode="jurisdictions")
    assert ("features[0].properties.name", "missing_property") in codes(report)
    assert ("features[1].properties", "properties_missing") in codes(report)


def test_unclosed_ring_is_rejected():
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [SQUARE[:-1] + [[113.2, 35.2001]]]})),
        mode="jurisdictions",
    )
    assert codes(report) == [("features[0].geometry.coordinates[0]", "ring_not_closed")]


def test_ring_with_three_positions_is_rejected():
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [SQUARE[:2] + SQUARE[:1]]})),
        mode="jurisdictions",
    )
    assert codes(report) == [("features[0].geometry.coordinates[0]", "ring_too_short")]


def test_out_of_range_coordinate_is_rejected_with_swap_hint():
    swapped = [[lat, lon] for lon, lat in SQUARE]
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [swapped]})), mode="jurisdictions"
    )
    assert codes(report) == [("features[0].geometry.coordinates[0][0]", "coordinate_out_of_range")]
    assert "swapped" in report.errors[0].message_en


def test_polygon_coordinates_one_level_too_shallow_is_wrong_dimension():
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": SQUARE})), mode="jurisdictions"
    )
    assert codes(report)[0][1] == "wrong_dimension"


def test_four_ordinates_is_wrong_dimension():
    ring = [p + [0.0, 0.0] for p in SQUARE]
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [ring]})), mode="jurisdictions"
    )
    assert codes(report) == [("features[0].geometry.coordinates[0][0]", "wrong_dimension")]


def test_altitude_is_dropped_with_a_notice():
    ring = [p + [120.0] for p in SQUARE]
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [ring]})), mode="jurisdictions"
    )
    assert report.ok
    assert report.notices[0].code == "altitude_dropped"
    assert len(report.features[0].geometry["coordinates"][0][0][0]) == 2


def test_empty_multipolygon_and_missing_geometry_are_rejected():
    empty = feature(geometry={"type": "MultiPolygon", "coordinates": []})
    missing = feature(code="X")
    missing["geometry"] = None
    report = validate_feature_collection(collection(empty, missing), mode="jurisdictions")
    assert codes(report) == [
        ("features[0].geometry.coordinates", "geometry_empty"),
        ("features[1].geometry", "geometry_missing"),
    ]


def test_duplicate_codes_in_one_file_are_rejected():
    report = validate_feature_collection(collection(feature(), feature()), mode="jurisdictions")
    assert codes(report) == [("features[1].properties.code", "duplicate_code")]


def test_not_a_feature_collection_is_rejected():
    report = validate_feature_collection({"type": "Feature"}, mode="jurisdictions")
    assert codes(report) == [("type", "not_feature_collection")]


def test_empty_collection_is_rejected():
    assert codes(validate_feature_collection(collection(), mode="zones")) == [("features", "no_features")]


def test_zone_kind_comes_from_properties_or_import_option():
    from_props = validate_feature_collection(collection(feature(code="Z1", kind="fuel_ban")), mode="zones")
    from_option = validate_feature_collection(collection(feature(code="Z1")), mode="zones", kind="fuel_ban")
    assert from_props.features[0].kind == from_option.features[0].kind == "fuel_ban"


def test_zone_kind_missing_unknown_or_mismatched_is_rejected():
    assert codes(validate_feature_collection(collection(feature(code="Z1")), mode="zones")) == [
        ("features[0].properties.kind", "missing_property")
    ]
    assert (
        codes(validate_feature_collection(collection(feature(code="Z1", kind="fireworks")), mode="zones"))[0][1]
        == "invalid_kind"
    )
    assert (
        codes(
            validate_feature_collection(
                collection(feature(code="Z1", kind="fuel_ban")), mode="zones", kind="nrmm_control"
            )
        )[0][1]
        == "kind_mismatch"
    )


def test_zone_dates_are_parsed_and_period_checked():
    ok = validate_feature_collection(
        collection(feature(code="Z1", kind="fuel_ban", valid_from="2022-01-01", designated_by="（演示）文件")),
        mode="zones",
    )
    assert str(ok.features[0].valid_from) == "2022-01-01"
    assert ok.features[0].designated_by == "（演示）文件"
    bad = validate_feature_collection(
        collection(feature(code="Z1", kind="fuel_ban", valid_from="2022-01-01", valid_to="2021-01-01")), mode="zones"
    )
    assert codes(bad) == [("features[0].properties.valid_to", "invalid_period")]
    assert (
        codes(
            validate_feature_collection(
                collection(feature(code="Z1", kind="fuel_ban", valid_from="1/1/2022")), mode="zones"
            )
        )[0][1]
        == "invalid_date"
    )


def test_unknown_jurisdiction_level_is_rejected():
    assert (
        codes(validate_feature_collection(collection(feature(level="village")), mode="jurisdictions"))[0][1]
        == "invalid_level"
    )


def test_gcj02_input_is_converted_to_wgs84():
    gcj_ring = [list(from_wgs84(lon, lat, "gcj02")) for lon, lat in SQUARE]
    report = validate_feature_collection(
        collection(feature(geometry={"type": "Polygon", "coordinates": [gcj_ring]})), mode="jurisdictions", crs="gcj02"
    )
    got = shape(report.features[0].geometry)
    assert got.symmetric_difference(shape({"type": "Polygon", "coordinates": [SQUARE]})).area < 1e-12


def test_every_bad_feature_is_listed_and_raise_for_errors_reports_them_all():
    bad = collection(
        feature(code="A", geometry={"type": "Point", "coordinates": [0, 0]}),
        feature(code="B"),
        feature(code="", name=""),
    )
    report = validate_feature_collection(bad, mode="jurisdictions")
    with pytest.raises(ValidationFailed) as info:
        report.raise_for_errors()
    paths = [e["path"] for e in info.value.to_problem()["errors"]]
    assert paths == ["features[0].geometry.type", "features[2].properties.code", "features[2].properties.name"]
    assert info.value.status == 422


def test_legacy_crs_member_other_than_wgs84_is_rejected():
    doc = collection(feature())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    assert codes(validate_feature_collection(doc, mode="jurisdictions")) == [("crs", "unsupported_crs_member")]


def test_validate_geometry_alone_reports_repair():
    check = validate_geometry({"type": "MultiPolygon", "coordinates": [[BOW_TIE]]})
    assert check.repaired and check.geometry["type"] == "MultiPolygon"


# --- streaming --------------------------------------------------------------------------


def as_stream(doc) -> io.BytesIO:
    return io.BytesIO(json.dumps(doc, ensure_ascii=False).encode())


def test_stream_matches_in_memory_validation():
    doc = collection(
        feature(code="A"), feature(code="B", geometry={"type": "Polygon", "coordinates": [BOW_TIE]}), feature(code="")
    )
    doc["name"] = "demo"
    streamed = validate_stream(as_stream(doc), mode="jurisdictions")
    loaded = validate_feature_collection(doc, mode="jurisdictions")
    assert codes(streamed) == codes(loaded)
    assert [f.geometry for f in streamed.features] == [f.geometry for f in loaded.features]
    assert streamed.notices == loaded.notices
    assert streamed.feature_count == 3


def test_stream_with_type_after_features_and_crs_member():
    text = json.dumps(
        {
            "features": [feature()],
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "type": "FeatureCollection",
        }
    )
    assert validate_stream(io.BytesIO(text.encode()), mode="jurisdictions").ok


def test_stream_rejects_a_non_collection():
    report = validate_stream(as_stream({"type": "Feature", "features": [feature()]}), mode="jurisdictions")
    assert codes(report)[0] == ("type", "not_feature_collection")


def test_stream_rejects_malformed_json():
    with pytest.raises(ValidationFailed) as info:
        validate_stream(io.BytesIO(b'{"type": "FeatureCollection", "features": [{"type": '), mode="jurisdictions")
    assert info.value.code == "invalid_json"


def test_stream_rejects_null_feature_element():
    report = validate_stream(io.BytesIO(b'{"type": "FeatureCollection", "features": [null]}'), mode="jurisdictions")
    assert codes(report) == [("features[0].type", "not_a_feature")]
