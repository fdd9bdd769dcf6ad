"""Legal fidelity of penalty lines: each test names the clause or article it checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.penalties.domain import FindingInput, JurisdictionRef, Party, PenaltyContext
from app.penalties.engine import compute_penalties
from app.penalties.rules import load_rules

SHANYANG = ("410000", "410800", "410811", "410811001")
JIAODONG = JurisdictionRef("410811001", "焦东街道办事处")
PARTY = Party("焦作某公司", "91410811MA44XXXXXX")


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def ctx(**changes):
    base = PenaltyContext(
        inspection_date=date(2024, 6, 15),
        jurisdiction_chain=SHANYANG,
        responsible_subdistrict=JIAODONG,
        violator=PARTY,
        finder_level="city",
    )
    return replace(base, **changes)


def only(result, key):
    found = [l for l in result.lines if l.rule_key == key]
    assert len(found) == 1, [l.rule_key for l in result.lines]
    return found[0]


# --- 000§五(二): only problems found by national, provincial or city teams
def test_fiscal_line_is_blocked_while_the_finder_is_unknown_000_5_2(rules):
    finding = FindingInput("dust", "hoarding", ("fiscal.dust_measure_failed",), ("000§五(二)",))
    line = only(compute_penalties([finding], ctx(finder_level=None), rules), "fiscal.dust_measure_failed")
    assert "finder_unknown" in line.blocking_reasons
    assert any("记录前不能出具" in s for s in line.explanation_zh)
    recorded = only(compute_penalties([finding], ctx(finder_level="provincial"), rules), "fiscal.dust_measure_failed")
    assert recorded.blocking_reasons == () and recorded.amount_fen == 10_000_000


def test_a_jurisdiction_setting_may_charge_an_unknown_finder_and_the_line_names_it_000_5_2(rules):
    finding = FindingInput("dust", "hoarding", ("fiscal.dust_measure_failed",), ("000§五(二)",))
    setting = ctx(
        finder_level=None,
        policy={"discretion": {"charge_fiscal_when_finder_unknown": True}},
        settings_sources={"discretion.charge_fiscal_when_finder_unknown": "410811"},
    )
    line = only(compute_penalties([finding], setting, rules), "fiscal.dust_measure_failed")
    assert "finder_unknown" not in line.blocking_reasons
    assert any("410811" in s and "charge_fiscal_when_finder_unknown" in s for s in line.explanation_zh)


# --- 大气污染防治法第一百一十八条第一款: the purifier fine needs fumes over the standard
def test_catering_fine_is_blocked_until_exceedance_is_established_air_law_118_1(rules):
    purifier = FindingInput(
        "catering_fumes", "purifier_running_with_fan", ("fine.air_law_118_catering_fumes",), ("003#15(7)",)
    )
    blocked = only(compute_penalties([purifier], ctx(), rules), "fine.air_law_118_catering_fumes")
    assert "precondition_not_established" in blocked.blocking_reasons
    assert any("超过排放标准排放油烟" in s for s in blocked.explanation_zh)
    established = ctx(established_facts=frozenset({"fumes_exceed_standard"}))
    issuable = only(compute_penalties([purifier], established, rules), "fine.air_law_118_catering_fumes")
    assert "precondition_not_established" not in issuable.blocking_reasons


# --- 责令改正 cites the article or clause of the finding it orders corrected
def test_order_to_correct_cites_air_law_108_for_a_voc_finding_and_000_14_for_a_plan_finding(rules):
    voc = FindingInput(
        "voc", "storage_sealed", ("fine.air_law_108_voc", "measure.order_to_correct"), ("000#29", "001#26")
    )
    nrmm = FindingInput("nrmm", "usage_ledger", ("measure.order_to_correct",), ("000#14",))
    order = only(compute_penalties([voc, nrmm], ctx(), rules), "measure.order_to_correct")
    refs = [ref for ref, _ in order.basis]
    assert refs == ["大气污染防治法第一百零八条", "000#14"]
    assert "第一百一十五条至第一百一十九条" not in "".join(order.explanation_zh)


# --- 烟花爆竹安全管理条例第三十六条: confiscation counts what the inspector seized
def test_confiscation_follows_the_recorded_count_fireworks_reg_36(rules):
    sale = FindingInput(
        "fireworks", "no_sale_in_ban_area", ("fine.fireworks_reg_36_unlicensed_sale",), ("000#20", "002#21")
    )
    none_seized = compute_penalties([sale], ctx(recorded_counts={"items_seized": 0}), rules)
    assert "measure.confiscate_illegal_fireworks" not in [l.rule_key for l in none_seized.lines]
    three = only(
        compute_penalties([sale], ctx(recorded_counts={"items_seized": 3}), rules),
        "measure.confiscate_illegal_fireworks",
    )
    assert three.counted_units == 3 and three.blocking_reasons == ()
    unknown = only(compute_penalties([sale], ctx(), rules), "measure.confiscate_illegal_fireworks")
    assert unknown.blocking_reasons == ("count_not_recorded",)


# --- 河南省大气污染防治条例第七十四条第二款: 责令停止使用 is not 封存停用
def test_stop_use_measure_is_typed_stop_use_henan_74_2(rules):
    measure = next(r for r in rules if r.key == "measure.nrmm_stop_use_banned_zone")
    assert "责令停止使用" in measure.title.zh and measure.kind == "stop_use"
    sealed = next(r for r in rules if r.key == "measure.nrmm_seal_and_stop_use")
    assert "封存停用" in sealed.title.zh and sealed.kind == "seal_and_stop_use"


def test_every_measure_title_agrees_with_its_kind(rules):
    words = {
        "seal_and_stop_use": "封存停用",
        "stop_use": "停止使用",
        "order_to_correct": "责令改正",
        "confiscation": "没收",
        "stop_work": "拒不改正",
    }
    for rule in rules:
        if rule.kind in words:
            assert words[rule.kind] in rule.title.zh, (rule.key, rule.kind, rule.title.zh)


# --- what the inspection's answers establish and count (checklist ``establishes`` / ``counts``)
def test_inspection_facts_take_counts_from_passing_count_items_and_facts_from_failed_items():
    from types import SimpleNamespace

    from app.penalties.context import inspection_facts

    items = [
        {"key": "seized_fireworks_count", "kind": "count", "counts": "items_seized"},
        {"key": "fumes_exceed_standard", "kind": "check", "establishes": ["fumes_exceed_standard"]},
    ]
    findings = [
        SimpleNamespace(item_key="seized_fireworks_count", verdict="pass", answer={"count": 0}),
        SimpleNamespace(item_key="fumes_exceed_standard", verdict="fail", answer={"verdict": "fail"}),
    ]
    inspection = SimpleNamespace(checklist=SimpleNamespace(content={"items": items}), current_findings=findings)
    facts, counted = inspection_facts(inspection)
    assert facts == frozenset({"fumes_exceed_standard"})
    assert counted == {"items_seized": 0}
    findings[1].verdict = "na"  # not measured: nothing established
    assert inspection_facts(inspection)[0] == frozenset()


# --- 大气污染防治法第一百一十九条第二款: burning waste is punished inside populated or protected areas only
def test_waste_burning_fine_under_air_law_119_2_needs_a_populated_area(rules):
    waste = FindingInput(
        "open_burning",
        "no_household_waste_burning",
        ("fine.air_law_119_toxic_burning_unit", "fine.air_law_119_toxic_burning_individual"),
        ("000#19",),
    )
    national = ctx(policy={"open_burning_basis": "air_law_119"})
    blocked = only(compute_penalties([waste], national, rules), "fine.air_law_119_toxic_burning_unit")
    assert "precondition_not_established" in blocked.blocking_reasons
    there = replace(national, established_facts=frozenset({"burning_in_populated_area"}))
    assert only(compute_penalties([waste], there, rules), "fine.air_law_119_toxic_burning_unit").blocking_reasons == ()


# --- 002#20 / 003#30: the 50万元 per fire point reaches where and when its plans do
def test_straw_fire_point_deduction_follows_its_plans_scope_002_20_003_30(rules):
    fire = FindingInput("open_burning", "no_straw_fire_point", ("fiscal.straw_burning_fire_point",), ("002#20",))
    erqi = ("410000", "410100", "410103")
    in_2018 = compute_penalties([fire], ctx(inspection_date=date(2018, 11, 1), jurisdiction_chain=erqi), rules)
    assert only(in_2018, "fiscal.straw_burning_fire_point").amount_fen == 50_000_000
    shanyang_2018 = compute_penalties([fire], ctx(inspection_date=date(2018, 11, 1)), rules)
    assert "fiscal.straw_burning_fire_point" not in [l.rule_key for l in shanyang_2018.lines]
    gap = compute_penalties([fire], ctx(inspection_date=date(2020, 6, 1), jurisdiction_chain=erqi), rules)
    assert "fiscal.straw_burning_fire_point" not in [l.rule_key for l in gap.lines]
    assert only(compute_penalties([fire], ctx(), rules), "fiscal.straw_burning_fire_point").amount_fen == 50_000_000
