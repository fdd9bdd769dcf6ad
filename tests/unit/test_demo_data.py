"""The shipped demo geography and demo sites are consistent."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml
from shapely.geometry import shape
from shapely.ops import unary_union

from app.geo.features import validate_feature_collection
from app.geo.zone_properties import ZONE_KINDS
from app.sites.credit_code import validate_credit_code
from scripts.build_demo_geography import KIND_PREFIX

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "app" / "demo" / "data"
SITE_KINDS = ROOT / "checklists" / "site_kinds.yaml"


def load(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def jurisdictions():
    return load("shanyang_jurisdictions.geojson")


@pytest.fixture(scope="module")
def zones():
    return load("shanyang_zones.geojson")


@pytest.fixture(scope="module")
def sites():
    return load("sites.json")["sites"]


@pytest.fixture(scope="module")
def district(jurisdictions):
    return shape(next(f for f in jurisdictions["features"] if f["properties"]["code"] == "410811")["geometry"])


@pytest.fixture(scope="module")
def townships(jurisdictions):
    return {
        f["properties"]["code"]: shape(f["geometry"])
        for f in jurisdictions["features"]
        if f["properties"]["level"] == "township"
    }


def test_jurisdiction_file_passes_import_validation_without_repairs(jurisdictions):
    report = validate_feature_collection(jurisdictions, mode="jurisdictions")
    assert report.ok and report.notices == []
    assert len(report.features) == 11


def test_zone_file_passes_import_validation_without_repairs(zones):
    report = validate_feature_collection(zones, mode="zones")
    assert report.ok and report.notices == []
    assert {f.kind for f in report.features} == set(ZONE_KINDS)
    assert all(f.valid_from and f.designated_by and "演示" in f.designated_by for f in report.features)


def test_codes_and_names_match_the_demo_jurisdiction_seed(jurisdictions):
    from app.demo.seed import DEMO_JURISDICTIONS  # noqa: PLC0415 - imports SQLAlchemy models, fine in a test

    seed = {code: (name, en, level, parent) for code, name, en, level, parent in DEMO_JURISDICTIONS}
    for f in jurisdictions["features"]:
        p = f["properties"]
        assert seed[p["code"]] == (p["name"], p["name_en"], p["level"], p["parent_code"])


def test_district_centre_is_near_113_25_e_35_22_n(district):
    c = district.centroid
    assert abs(c.x - 113.25) < 0.02 and abs(c.y - 35.22) < 0.02


def test_sub_districts_tile_the_district_without_overlap(district, townships):
    assert len(townships) == 10
    for a, b in itertools.combinations(townships.values(), 2):
        assert a.intersection(b).area < 1e-12
    assert unary_union(list(townships.values())).symmetric_difference(district).area < 1e-10


def test_zones_lie_within_the_district(zones, district):
    for f in zones["features"]:
        assert shape(f["geometry"]).difference(district).area < 1e-10


def test_fireworks_ban_area_contains_the_built_up_area(zones):
    by_kind = {f["properties"]["kind"]: shape(f["geometry"]) for f in zones["features"]}
    assert by_kind["built_up_area"].difference(by_kind["fireworks_ban"]).area < 1e-10


def test_about_fifty_sites_cover_every_kind(sites):
    counts = Counter(s["kind"] for s in sites)
    assert set(counts) == set(KIND_PREFIX)
    assert 45 <= len(sites) <= 60
    assert len({s["code"] for s in sites}) == len(sites)


def test_every_site_is_labelled_demo(sites):
    assert all(
        s["demo"] and s["name"].startswith("（演示）") and "演示" in s["address"] and "演示" in s["operator"]["name"]
        for s in sites
    )


def test_every_site_lies_inside_the_district(sites, district):
    for s in sites:
        assert district.contains(shape(s["geometry"])), s["code"]


def test_road_segments_are_linestrings_and_others_points(sites):
    for s in sites:
        assert s["geometry"]["type"] == ("LineString" if s["kind"] == "road_segment" else "Point")


def test_expected_membership_matches_the_polygons(sites, townships, zones):
    zone_shapes = [(f["properties"], shape(f["geometry"])) for f in zones["features"]]
    for s in sites:
        geom = shape(s["geometry"])
        containing = [code for code, poly in townships.items() if poly.contains(geom)]
        assert containing == [s["expected"]["township_code"]], s["code"]
        assert sorted(p["kind"] for p, z in zone_shapes if z.contains(geom)) == s["expected"]["zone_kinds"], s["code"]


def test_operator_credit_codes_are_valid_and_individuals_have_none(sites):
    for s in sites:
        op = s["operator"]
        if op["type"] == "organization":
            assert validate_credit_code(op["credit_code"]), s["code"]
        else:
            assert op["type"] == "individual" and "credit_code" not in op


def test_attributes_follow_the_site_kind_schemas(sites):
    if not SITE_KINDS.exists():
        pytest.skip("checklists/site_kinds.yaml not present")
    kinds = yaml.safe_load(SITE_KINDS.read_text(encoding="utf-8"))["kinds"]
    for s in sites:
        jsonschema.validate(s["attributes"], kinds[s["kind"]]["attributes"])


def construction(sites, area):
    return next(s for s in sites if s["kind"] == "construction_site" and s["attributes"].get("floor_area_m2") == area)


def test_a_6000_m2_site_inside_and_a_3000_m2_site_outside_the_built_up_area(sites):
    assert "built_up_area" in construction(sites, 6000)["expected"]["zone_kinds"]
    assert "built_up_area" not in construction(sites, 3000)["expected"]["zone_kinds"]


def test_fireworks_points_inside_and_outside_the_ban_area(sites):
    inside = [("fireworks_ban" in s["expected"]["zone_kinds"]) for s in sites if s["kind"] == "fireworks_point"]
    assert True in inside and False in inside


@pytest.mark.parametrize("kind", ["built_up_area", "fireworks_ban", "fuel_ban", "nrmm_control", "industrial_cluster"])
def test_each_zone_has_a_site_inside(sites, kind):
    assert any(kind in s["expected"]["zone_kinds"] for s in sites)


def test_most_sub_districts_have_sites(sites):
    assert len({s["expected"]["township_code"] for s in sites}) >= 8


def test_the_illustrative_reduction_list_parses_and_names_demo_sites_only():
    import csv

    from app.alerts.list_rows import parse_table

    table = list(csv.reader((DATA / "reduction_list_illustrative.csv").read_text(encoding="utf-8").splitlines()))
    rows, errors = parse_table(table)
    assert errors == []
    codes = {s["code"] for s in load("sites.json")["sites"]}
    assert {r.site_code for r in rows} <= codes
    assert all(r.source and r.source.startswith("示例清单（非真实）") for r in rows)
