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
    # muck trucks are checked one by one (group ``vehicles``, v3): Art. 116 counts vehicles
    (vehicles,) = doc["groups"]
    assert (vehicles["key"], vehicles["label_item"], vehicles["section"]) == ("vehicles", "plate", "vehicles")
    assert "muck_sealed_transport" not in {i["key"] for i in doc["items"]}
    items = {i["key"]: i for i in [*doc["items"], *vehicles["items"]]}
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


@pytest.mark.parametrize("name", [p.name for p in sorted(CHECKLISTS.glob("*.yaml")) if p.name != "site_kinds.yaml"])
def test_every_group_item_cites_at_least_one_source(name):
    for group in load_checklist_file(CHECKLISTS / name).get("groups") or []:
        for item in group["items"]:
            assert item["source"], (group["key"], item["key"])


def test_henan_dust_checks_muck_trucks_one_by_one_art_116():
    """大气污染防治法第一百一十六条 punishes each vehicle not sealed: the trucks are a group labelled by plate."""
    doc = load_checklist_file(CHECKLISTS / "construction_dust_henan.yaml")
    assert doc["version"] == "3"
    assert not {"muck_sealed_transport", "muck_truck_licensed"} & {i["key"] for i in doc["items"]}
    (group,) = doc["groups"]
    assert (group["key"], group["label_item"], group["min"]) == ("vehicles", "plate", 0)
    assert group["object_name"] == {"zh": "辆", "en": "vehicle"}
    items = {i["key"]: i for i in group["items"]}
    assert set(items) == {"plate", "muck_sealed_transport", "muck_truck_licensed"}
    # no group-level applicability: each item carries the site condition
    assert all(i["applies_when"] == {"!!": {"var": "site.attributes.hauls_muck"}} for i in items.values())
    sealed = items["muck_sealed_transport"]
    assert "fine.air_law_116_bulk_vehicle" in sealed["penalties"]
    assert [b["ref"] for b in sealed["legal_basis"]] == ["大气污染防治法第一百一十六条"]
    assert items["muck_truck_licensed"]["penalties"] == ["fiscal.unlicensed_muck_truck"]
