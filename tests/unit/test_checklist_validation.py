from pathlib import Path

import yaml

from app.checklists.validation import validate_catalogue

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


def _write_catalogue(tmp_path: Path, doc: dict) -> Path:
    (tmp_path / "site_kinds.yaml").write_text(
        (CHECKLISTS / "site_kinds.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _minimal(item_overrides: dict | None = None) -> dict:
    item = {"key": "a", "prompt": {"zh": "甲", "en": "a"}, "kind": "check", "severity": "low", "source": ["000#17"]}
    item.update(item_overrides or {})
    return {
        "key": "x",
        "version": "1",
        "title": {"zh": "甲", "en": "x"},
        "site_kinds": ["construction_site"],
        "jurisdictions": "all",
        "sources": [
            {
                "seed": "000",
                "title": "t",
                "jurisdiction": "410811",
                "jurisdiction_name": "山阳区",
                "period": {"from": "2022-01-01"},
            }
        ],
        "items": [item],
    }


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


def test_a_seed_declared_with_two_different_scopes_is_rejected(tmp_path):
    # An item's scope comes from its seed's jurisdiction and period (app/checklists/scope.py): one per seed.
    import shutil

    shutil.copytree(CHECKLISTS, tmp_path / "c")
    path = tmp_path / "c" / "road_dust.yaml"
    text = path.read_text(encoding="utf-8").replace('period: {from: "2022-01-01"}', 'period: {from: "2021-01-01"}', 1)
    path.write_text(text, encoding="utf-8")
    errors = validate_catalogue(tmp_path / "c")
    assert "source_scope_inconsistent" in {e.code for e in errors}
