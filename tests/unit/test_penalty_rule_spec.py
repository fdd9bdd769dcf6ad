"""Typed rule versions: built once from the entry as written, which stays the stored and hashed form."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from app.penalties.rule_spec import AmountSetting, Fixed, Range, RuleVersion, ToBeSet, content_hash
from app.penalties.rules import load_rules, rules_in_force


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _by_key(rules, key, on=date(2022, 6, 15)):
    return rules_in_force(rules, on)[key]


def test_rule_keeps_the_entry_as_written_and_hashes_it(rules):
    for rule in rules:
        assert rule.rule_hash == content_hash(rule.doc)
        assert rule.key == rule.doc["key"] and rule.version == rule.doc["version"]
        assert "rule_hash" not in rule.doc and "source_file" not in rule.doc


def test_amount_is_fixed_range_to_be_set_or_absent_for_measures(rules):
    assert _by_key(rules, "fiscal.dust_measure_failed").amount == Fixed(10_000_000)
    assert _by_key(rules, "fine.air_law_115_construction_dust").amount == Range(1_000_000, 10_000_000)
    to_be_set = _by_key(rules, "fiscal.open_burning_waste_leaves")
    assert isinstance(to_be_set.amount, ToBeSet) and to_be_set.amount_status == "to_be_set"
    measure = _by_key(rules, "measure.order_to_correct")
    assert measure.amount is None and measure.amount_status == "not_applicable"


def test_rule_carries_its_conditions_policy_and_scope(rules):
    fiscal = _by_key(rules, "fiscal.dust_measure_failed")
    assert fiscal.applies_when.finder_levels is not None and "city" in fiscal.applies_when.finder_levels
    assert fiscal.payer == "responsible_jurisdiction" and fiscal.basis[0].ref == "000§五(二)"
    assert fiscal.jurisdictions.covers(("410000", "410800", "410811"))
    assert not fiscal.jurisdictions.covers(("410000", "410100"))
    fine = _by_key(rules, "fine.henan_76_construction_dust")
    assert fine.policy is not None and (fine.policy.setting, fine.policy.default) == ("construction_dust_basis", True)
    assert fine.daily_continuous.allowed and fine.effective.start == date(2018, 3, 1)


def test_stored_content_round_trips_to_the_same_typed_rule(rules):
    for rule in rules:
        stored = json.loads(json.dumps(dict(rule.doc), ensure_ascii=False))
        again = RuleVersion.from_doc(stored, source_file=rule.source_file, rule_hash=rule.rule_hash, row_id=7)
        assert again == replace(rule, source_index=None, row_id=7)


def test_jurisdiction_amount_setting_replaces_to_be_set_and_verifies_by_its_document(rules):
    rule = _by_key(rules, "fiscal.open_burning_waste_leaves")
    setting = AmountSetting.from_doc(
        {
            "rule_version": rule.version,
            "amount_fen": None,
            "min_fen": 100_000,
            "max_fen": 500_000,
            "document_ref": "山政办〔2023〕1号",
            "jurisdiction_code": "410811",
        }
    )
    set_rule = rule.with_amount_setting(setting)
    assert set_rule.amount == Range(100_000, 500_000) and set_rule.amount_status == "set"
    assert set_rule.discretion == "factor_position_v1" and set_rule.verified.status
    assert set_rule.verified.source == "jurisdiction setting: 山政办〔2023〕1号"
    assert (set_rule.rule_hash, set_rule.doc) == (rule.rule_hash, rule.doc)  # lines keep citing the stored version
