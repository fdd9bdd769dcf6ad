import json
from pathlib import Path

import pytest
import yaml

from app.checklists.catalogue import (
    content_hash, load_catalogue, load_checklist_file, seed_item_index, validate_catalogue,
)

ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS = ROOT / "checklists"
SOURCES = CHECKLISTS / "sources"


def penalty_keys() -> set[str]:
    keys = set()
    for f in (CHECKLISTS / "penalties").glob("*.yaml"):
        for rule in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("rules", []):
            keys.add(rule["key"])
    return keys


def test_every_shipped_checklist_validates_with_known_penalty_rules():
    assert validate_catalogue(CHECKLISTS, SOURCES, penalty_keys() or None) == []


def test_the_four_mission_checklists_exist():
    keys = {d["key"] for d in load_catalogue(CHECKLISTS)}
    assert {"construction_dust.erqi_2018", "construction_dust.henan", "voc_sealing.henan",
            "voc_sealing.erqi_2018", "fireworks_ban", "nrmm_labels"} <= keys


def test_largest_checklist_is_below_30_kb_gzipped():
    import gzip
    for d in load_catalogue(CHECKLISTS):
        assert len(gzip.compress(json.dumps(d, ensure_ascii=False).encode())) < 30 * 1024


def test_seed_index_finds_items_subitems_and_sections():
    idx = seed_item_index(SOURCES)
    assert {"17", "14", "43"} <= idx["000"] and "44" not in idx["000"]
    assert {"15(4)", "3(1)", "23", "§一(二)3", "§一(四)", "§附件2"} <= idx["003"]
    assert "§五(二)" in idx["000"]
    assert "38" in idx["001"] and "37" in idx["004"] and "41" in idx["002"]


def test_erqi_dust_checklist_has_the_eight_measures_of_003_23():
    doc = load_checklist_file(CHECKLISTS / "construction_dust_erqi_2018.yaml")
    eight = {"hoarding", "material_cover", "wet_work", "vehicle_wash", "road_hardening",
             "muck_sealed_transport", "video_monitoring", "nrmm_fuel_and_machinery_compliant"}
    items = {i["key"]: i for i in doc["items"]}
    assert eight <= set(items)
    assert all("003#23" in items[k]["source"] for k in eight)


def test_coating_limits_match_003_15():
    items = {i["key"]: i for i in load_checklist_file(CHECKLISTS / "voc_sealing_erqi_2018.yaml")["items"]}
    expected = {"coating_voc_auto_oem": 580, "coating_voc_wood": 600, "coating_voc_construction_machinery": 550,
                "coating_voc_industrial_anticorrosion": 550, "coating_voc_auto_refinish": 540,
                "coating_voc_auto_refinish_base_top": 420, "coating_voc_road_marking_powder": 5,
                "coating_voc_road_marking_liquid": 150, "coating_voc_highway_facility": 300}
    for key, value in expected.items():
        assert items[key]["limit"] == {**items[key]["limit"], "value": value, "comparison": "le"}


def test_road_dust_uses_six_points_all_must_pass():
    items = {i["key"]: i for i in load_checklist_file(CHECKLISTS / "road_dust.yaml")["items"]}
    assert items["dust_main_road_shanyang"]["readings"] == {"min_count": 6, "combine": "all"}
    assert items["dust_main_road_shanyang"]["limit"]["value"] == 5


def _write_catalogue(tmp_path: Path, doc: dict) -> Path:
    (tmp_path / "site_kinds.yaml").write_text((CHECKLISTS / "site_kinds.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _minimal(item_overrides: dict | None = None) -> dict:
    item = {"key": "a", "prompt": {"zh": "甲", "en": "a"}, "kind": "check", "severity": "low", "source": ["000#17"]}
    item.update(item_overrides or {})
    return {"key": "x", "version": "1", "title": {"zh": "甲", "en": "x"}, "site_kinds": ["construction_site"],
            "jurisdictions": "all", "sources": [{"seed": "000", "title": "t"}], "items": [item]}


def test_source_pointing_at_missing_item_is_rejected(tmp_path):
    errors = validate_catalogue(_write_catalogue(tmp_path, _minimal({"source": ["000#99"]})), SOURCES)
    assert [e.code for e in errors] == ["source_not_in_seed"]


def test_malformed_source_is_rejected(tmp_path):
    errors = validate_catalogue(_write_catalogue(tmp_path, _minimal({"source": ["0#1"]})), SOURCES)
    assert errors and errors[0].code == "schema"


def test_unknown_condition_variable_is_rejected(tmp_path):
    doc = _minimal({"applies_when": {">=": [{"var": "site.attributes.seats"}, 5]}})  # a restaurant attribute
    codes = [e.code for e in validate_catalogue(_write_catalogue(tmp_path, doc), SOURCES)]
    assert codes == ["condition_invalid"]


def test_unknown_operator_and_zone_are_rejected(tmp_path):
    doc = _minimal({"applies_when": {"or": [{"cat": ["a", "b"]}, {"in": ["downtown", {"var": "zones"}]}]}})
    errors = validate_catalogue(_write_catalogue(tmp_path, doc), SOURCES)
    assert len(errors) == 2 and {e.code for e in errors} == {"condition_invalid"}


def test_unknown_penalty_key_is_rejected_only_when_keys_given(tmp_path):
    root = _write_catalogue(tmp_path, _minimal({"penalties": ["fine.nope"]}))
    assert validate_catalogue(root, SOURCES, None) == []
    assert [e.code for e in validate_catalogue(root, SOURCES, {"fine.other"})] == ["unknown_penalty_rule"]


def test_duplicate_item_keys_are_rejected(tmp_path):
    doc = _minimal()
    doc["items"].append(dict(doc["items"][0]))
    assert [e.code for e in validate_catalogue(_write_catalogue(tmp_path, doc), SOURCES)] == ["duplicate_item_key"]


def test_content_hash_is_canonical_and_stable():
    a = {"b": 1, "a": "蓝天"}
    b = {"a": "蓝天", "b": 1}
    assert content_hash(a) == content_hash(b)
    expected = __import__("hashlib").sha256('{"a":"蓝天","b":1}'.encode()).hexdigest()
    assert content_hash(a) == expected


def test_served_json_equals_file_data_and_hash_is_stable():
    path = CHECKLISTS / "construction_dust_erqi_2018.yaml"
    doc = load_checklist_file(path)
    served = json.loads(json.dumps(doc, ensure_ascii=False))
    assert served == doc
    assert doc["effective"] == {"from": "2018-10-01", "to": "2019-03-31"}  # dates stay strings
    assert content_hash(served) == content_hash(load_checklist_file(path))


@pytest.mark.parametrize("name", [p.name for p in sorted(CHECKLISTS.glob("*.yaml")) if p.name != "site_kinds.yaml"])
def test_every_item_cites_at_least_one_source(name):
    for item in load_checklist_file(CHECKLISTS / name)["items"]:
        assert item["source"]
