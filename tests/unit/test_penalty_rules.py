"""Penalty rule files: schema, versions, policy defaults, and quotes that must match the seeds."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from app.errors import ValidationFailed
from app.penalties.rule_spec import Fixed, ToBeSet
from app.penalties.rules import (
    DEFAULT_RULES_DIR,
    load_rules,
    policy_defaults,
    rules_in_force,
    unknown_penalty_keys,
    validate_rules,
)

SOURCES = Path(__file__).resolve().parents[2] / "checklists" / "sources"
SEED_FILES = {p.name[:3]: p for p in SOURCES.glob("00*_*.txt")}


def _norm(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    return text.translate(str.maketrans(",;()", "，；（）"))


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _good_rule(**changes):
    rule = {
        "key": "fine.test_rule",
        "version": "v1",
        "title": {"zh": "测试", "en": "Test"},
        "kind": "statutory_fine",
        "basis": [{"ref": "大气污染防治法第一百一十六条", "text": "处二千元以上二万元以下的罚款"}],
        "authority": {"zh": "部门", "en": "Department"},
        "amount": {"min": 200000, "max": 2000000},
        "amount_status": "set",
        "discretion": "factor_position_v1",
        "unit": "per_case",
        "stacking": {"mode": "once_per_inspection", "cap_fen": None},
        "effective": {"from": "2018-10-26", "to": None},
        "verified": {"status": True, "source": "test"},
        "payer": "violator",
        "jurisdictions": ["all"],
        "daily_continuous": {"allowed": False},
    }
    rule.update(changes)
    return rule


def _write(tmp_path, *rules_):
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"rules": list(rules_)}, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_shipped_rule_files_are_valid():
    assert validate_rules(DEFAULT_RULES_DIR) == []


def test_keys_document_lists_exactly_the_shipped_keys(rules):
    doc = (DEFAULT_RULES_DIR / "KEYS.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| ((?:fiscal|fine|measure)\.[a-z0-9_]+) \|", doc, flags=re.M))
    assert documented == {r.key for r in rules}


def test_seed_quotes_occur_in_the_seed_files(rules):
    for rule in rules:
        for basis in rule.basis:
            match = re.match(r"^(\d{3})[#§]", basis.ref)
            if match:
                seed_text = _norm(SEED_FILES[match.group(1)].read_text(encoding="utf-8"))
                assert _norm(basis.text) in seed_text, (rule.key, basis.ref)


def test_fiscal_amounts_match_000_section_5_2(rules):
    current = rules_in_force(rules, date(2022, 6, 1))
    yuan = {
        k: r.amount.fen // 100 for k, r in current.items() if k.startswith("fiscal.") and isinstance(r.amount, Fixed)
    }
    assert yuan["fiscal.dust_measure_failed"] == 100_000
    assert yuan["fiscal.coal_boiler_small"] == 100_000
    assert yuan["fiscal.fireworks_in_ban_area"] == 50_000
    assert yuan["fiscal.industrial_yard_no_dust_suppression"] == 10_000
    assert yuan["fiscal.other_air_problem"] == 10_000
    assert yuan["fiscal.straw_burning_fire_point"] == 500_000


def test_open_burning_fiscal_rule_has_no_invented_amount(rules):
    rule = rules_in_force(rules, date(2022, 6, 1))["fiscal.open_burning_waste_leaves"]
    assert isinstance(rule.amount, ToBeSet) and rule.amount_status == "to_be_set"
    assert rule.doc["amount"] is None


def test_every_amount_is_integer_fen(rules):
    for rule in rules:
        amount = rule.doc["amount"]
        values = [amount] if isinstance(amount, int) else list(amount.values()) if isinstance(amount, dict) else []
        assert all(type(v) is int for v in values), rule.key


def test_rules_in_force_picks_the_version_by_inspection_date(rules):
    assert rules_in_force(rules, date(2017, 6, 1))["fine.air_law_115_construction_dust"].version == "air-law-2015"
    assert rules_in_force(rules, date(2018, 10, 26))["fine.air_law_115_construction_dust"].version == "air-law-2018"
    assert "fine.henan_76_construction_dust" not in rules_in_force(rules, date(2018, 2, 28))


def test_policy_defaults_are_documented(rules):
    assert policy_defaults(rules) == {
        "construction_dust_basis": "henan_76",
        "dusty_yard_basis": "henan_79",
        "fireworks_discharge_basis": "henan_82",
        "open_burning_basis": "henan",
    }


def test_loaded_rules_carry_a_content_hash(rules):
    assert all(len(r.rule_hash) == 64 for r in rules)
    hashes = [r.rule_hash for r in rules]
    assert len(hashes) == len(set(hashes))


def test_unknown_penalty_keys_are_reported_for_checklist_validation(rules):
    assert unknown_penalty_keys(["fiscal.dust_measure_failed", "fine.nope"], rules) == ["fine.nope"]


def test_float_amount_is_rejected(tmp_path):
    errors = validate_rules(_write(tmp_path, _good_rule(amount=5000.5, discretion=None)))
    assert errors and errors[0].code == "schema"


def test_set_status_without_amount_is_rejected(tmp_path):
    assert validate_rules(_write(tmp_path, _good_rule(amount=None)))


def test_range_without_discretion_method_is_rejected(tmp_path):
    rule = _good_rule()
    del rule["discretion"]
    assert validate_rules(_write(tmp_path, rule))


def test_fiscal_deduction_must_be_charged_to_the_jurisdiction(tmp_path):
    assert validate_rules(_write(tmp_path, _good_rule(kind="fiscal_deduction", amount=100, discretion=None)))


def test_overlapping_versions_are_rejected(tmp_path):
    errors = validate_rules(
        _write(tmp_path, _good_rule(), _good_rule(version="v2", effective={"from": "2020-01-01", "to": None}))
    )
    assert [e.code for e in errors] == ["periods_overlap"]


def test_reversed_range_is_rejected(tmp_path):
    errors = validate_rules(_write(tmp_path, _good_rule(amount={"min": 5, "max": 1})))
    assert [e.code for e in errors] == ["range_reversed"]


def test_policy_setting_without_default_is_rejected(tmp_path):
    errors = validate_rules(_write(tmp_path, _good_rule(policy={"setting": "x_basis", "option": "a"})))
    assert [e.code for e in errors] == ["policy_default"]


def test_load_rules_raises_with_every_problem(tmp_path):
    with pytest.raises(ValidationFailed) as info:
        load_rules(
            _write(
                tmp_path,
                _good_rule(amount={"min": 5, "max": 1}),
                _good_rule(key="fine.b", version="x", companion_measures=["measure.nope"]),
            )
        )
    assert {e.code for e in info.value.errors} == {"range_reversed", "unknown_rule"}
