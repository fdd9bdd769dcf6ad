import json
from pathlib import Path

import pytest

from app.checklists.files import load_catalogue, load_checklist_file

ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS = ROOT / "checklists"


def test_the_four_mission_checklists_exist():
    keys = {d["key"] for d in load_catalogue(CHECKLISTS)}
    assert {
        "construction_dust.erqi_2018",
        "construction_dust.henan",
        "voc_sealing.henan",
        "voc_sealing.erqi_2018",
        "fireworks_ban",
        "nrmm_labels",
    } <= keys


def test_largest_checklist_is_below_30_kb_gzipped():
    import gzip

    for d in load_catalogue(CHECKLISTS):
        assert len(gzip.compress(json.dumps(d, ensure_ascii=False).encode())) < 30 * 1024


def test_erqi_dust_checklist_has_the_eight_measures_of_003_23():
    doc = load_checklist_file(CHECKLISTS / "construction_dust_erqi_2018.yaml")
    eight = {
        "hoarding",
        "material_cover",
        "wet_work",
        "vehicle_wash",
        "road_hardening",
        "muck_sealed_transport",
        "video_monitoring",
        "nrmm_fuel_and_machinery_compliant",
    }
    items = {i["key"]: i for i in doc["items"]}
    assert eight <= set(items)
    assert all("003#23" in items[k]["source"] for k in eight)


def test_coating_limits_match_003_15():
    items = {i["key"]: i for i in load_checklist_file(CHECKLISTS / "voc_sealing_erqi_2018.yaml")["items"]}
    expected = {
        "coating_voc_auto_oem": 580,
        "coating_voc_wood": 600,
        "coating_voc_construction_machinery": 550,
        "coating_voc_industrial_anticorrosion": 550,
        "coating_voc_auto_refinish": 540,
        "coating_voc_auto_refinish_base_top": 420,
        "coating_voc_road_marking_powder": 5,
        "coating_voc_road_marking_liquid": 150,
        "coating_voc_highway_facility": 300,
    }
    for key, value in expected.items():
        assert items[key]["limit"] == {**items[key]["limit"], "value": value, "comparison": "le"}


def test_road_dust_uses_six_points_all_must_pass():
    items = {i["key"]: i for i in load_checklist_file(CHECKLISTS / "road_dust.yaml")["items"]}
    assert items["dust_main_road_shanyang"]["readings"] == {"min_count": 6, "combine": "all"}
    assert items["dust_main_road_shanyang"]["limit"]["value"] == 5


@pytest.mark.parametrize("name", [p.name for p in sorted(CHECKLISTS.glob("*.yaml")) if p.name != "site_kinds.yaml"])
def test_every_item_cites_at_least_one_source(name):
    for item in load_checklist_file(CHECKLISTS / name)["items"]:
        assert item["source"]
