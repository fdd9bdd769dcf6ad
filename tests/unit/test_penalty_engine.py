"""Golden cases worked by hand from the sources (000§五(二), 002#20/003#30, Air Law, Henan regulation,
Fireworks Safety Regulation). Amounts in fen: 1 yuan = 100 fen."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.checklists.groups import ObjectRef
from app.errors import RuleViolation, ValidationFailed
from app.penalties.amounts import round_half_up_to_yuan
from app.penalties.discretion import repeat_count
from app.penalties.domain import FindingInput, JurisdictionRef, Party, PenaltyContext
from app.penalties.engine import compute_penalties
from app.penalties.lines import apply_override
from app.penalties.rules import load_rules

SHANYANG = ("410000", "410800", "410811", "410811001")
JIAODONG = JurisdictionRef("410811001", "焦东街道办事处")
BUILDER = Party("焦作某建筑工程有限公司", "91410811MA44XXXXXX")
DUST_HENAN = "construction_dust.henan"
DUST_KEYS = ("fiscal.dust_measure_failed", "fine.air_law_115_construction_dust", "fine.henan_76_construction_dust")


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def ctx(**changes):
    base = PenaltyContext(
        inspection_date=date(2022, 6, 15),
        jurisdiction_chain=SHANYANG,
        responsible_subdistrict=JIAODONG,
        violator=BUILDER,
        finder_level="city",
    )
    return replace(base, **changes)


def dust_findings(*items):
    return [FindingInput("construction_dust", item, DUST_KEYS, ("000§五(二)", "000#17")) for item in items]


def line(result, key):
    found = [l for l in result.lines if l.rule_key == key]
    assert len(found) == 1, [l.rule_key for l in result.lines]
    return found[0]


def keys(result):
    return [l.rule_key for l in result.lines]


# --- 000§五(二): three failed dust measures at one 山阳区 site
def test_three_failed_dust_measures_stack_to_300k_yuan_charged_to_the_subdistrict(rules):
    result = compute_penalties(dust_findings("fence", "cover", "wash"), ctx(), rules)
    fiscal = line(result, "fiscal.dust_measure_failed")
    assert fiscal.counted_units == 3
    assert fiscal.amount_fen == 3 * 10_000_000 == 30_000_000
    assert (fiscal.payer.type, fiscal.payer.code) == ("responsible_jurisdiction", "410811001")
    assert fiscal.basis[0][0] == "000§五(二)"


def test_three_failed_dust_measures_give_one_statutory_line_under_henan_76_by_default(rules):
    result = compute_penalties(dust_findings("fence", "cover", "wash"), ctx(), rules)
    fines = [l for l in result.lines if l.kind == "statutory_fine"]
    assert [l.rule_key for l in fines] == ["fine.henan_76_construction_dust"]
    # medium severity 50% + 2 extra failed items x 10% = 70%: 20,000 + 80,000 x 0.7 = 76,000 yuan
    assert fines[0].amount_fen == 7_600_000
    assert fines[0].payer.code == BUILDER.credit_code
    assert result.policy_used["construction_dust_basis"] == "henan_76"


def test_construction_dust_policy_can_select_air_law_115(rules):
    result = compute_penalties(
        dust_findings("fence", "cover", "wash"), ctx(policy={"construction_dust_basis": "air_law_115"}), rules
    )
    fine = line(result, "fine.air_law_115_construction_dust")
    assert fine.amount_fen == 7_300_000  # 10,000 + 90,000 x 0.7
    assert "fine.henan_76_construction_dust" not in keys(result)


def test_construction_dust_also_orders_correction_but_not_stop_work_on_first_visit(rules):
    result = compute_penalties(dust_findings("fence"), ctx(), rules)
    assert line(result, "measure.order_to_correct").status == "non_monetary"
    assert "measure.stop_work_construction_dust" not in keys(result)


# --- fireworks sale in the ban area
def test_fireworks_sale_in_ban_area_gives_50k_fiscal_deduction_and_regulation_36_fine(rules):
    finding = FindingInput(
        "fireworks",
        "no_sale_in_ban_area",
        ("fiscal.fireworks_in_ban_area", "fine.fireworks_reg_36_unlicensed_sale"),
        ("000#20", "000§五(二)"),
        counts={"items_seized": 40},
    )
    shop = Party("某烟花零售店", None, "individual")
    result = compute_penalties([finding], ctx(inspection_date=date(2023, 1, 18), violator=shop), rules)
    assert line(result, "fiscal.fireworks_in_ban_area").amount_fen == 5_000_000
    fine = line(result, "fine.fireworks_reg_36_unlicensed_sale")
    assert fine.range_fen == (2_000_000, 10_000_000)
    assert fine.amount_fen == 6_000_000  # medium 50%: 20,000 + 80,000 x 0.5 = 60,000 yuan
    assert fine.basis[0][0] == "烟花爆竹安全管理条例第三十六条第一款"
    seized = line(result, "measure.confiscate_illegal_fireworks")
    assert (seized.kind, seized.counted_units) == ("confiscation", 40)


# --- NRMM
def test_per_machine_units_count_distinct_machines_of_a_group_and_name_them_000_14(rules):
    keys_ = ("measure.nrmm_seal_and_stop_use",)
    m1, m2 = ObjectRef("machines", 0, "1号挖掘机", "台", "machine"), ObjectRef("machines", 2, None, "台", "machine")
    findings = [
        FindingInput("nrmm_labels", "machines.0.info_card_posted", keys_, ("000#14",), object_ref=m1),
        FindingInput("nrmm_labels", "machines.0.registration_code", keys_, ("000#14",), object_ref=m1),
        FindingInput("nrmm_labels", "machines.2.info_card_posted", keys_, ("000#14",), object_ref=m2),
    ]
    measure = line(compute_penalties(findings, ctx(), rules), "measure.nrmm_seal_and_stop_use")
    assert measure.counted_units == 2  # two findings of the first machine are one machine
    assert "涉及对象（2）：第1台「1号挖掘机」、第3台。" in measure.explanation_zh
    assert "Objects concerned (2): machine #1 '1号挖掘机', machine #3." in measure.explanation_en


def test_nrmm_without_label_is_sealed_and_stopped_with_no_money(rules):
    finding = FindingInput(
        "nrmm", "info_card_posted", ("measure.nrmm_seal_and_stop_use",), ("000#14",), counts={"machines": 2}
    )
    result = compute_penalties([finding], ctx(), rules)
    measure = line(result, "measure.nrmm_seal_and_stop_use")
    assert (measure.kind, measure.status, measure.amount_fen, measure.counted_units) == (
        "seal_and_stop_use",
        "non_monetary",
        None,
        2,
    )
    assert result.total_fines_fen == 0 and result.total_fiscal_fen == 0


def test_nrmm_used_in_control_area_is_fined_within_henan_74_range_per_machine(rules):
    finding = FindingInput(
        "nrmm",
        "stage_allowed_in_control_area",
        ("fine.henan_74_nrmm_banned_zone",),
        ("000#14",),
        counts={"machines": 2},
    )
    result = compute_penalties([finding], ctx(), rules)
    fine = line(result, "fine.henan_74_nrmm_banned_zone")
    assert fine.range_fen == (500_000, 2_000_000)
    assert fine.base_amount_fen == 1_250_000  # 5,000 + 15,000 x 0.5 = 12,500 yuan per machine
    assert fine.amount_fen == 2_500_000
    assert line(result, "measure.nrmm_stop_use_banned_zone").kind == "stop_use"  # 责令停止使用, not 封存停用


def test_nrmm_failed_emission_test_is_a_fixed_5000_yuan_per_machine(rules):
    finding = FindingInput("nrmm", "emission_test", ("fine.air_law_114_nrmm_noncompliant",), counts={"machines": 3})
    fine = line(compute_penalties([finding], ctx(alert_level="red"), rules), "fine.air_law_114_nrmm_noncompliant")
    assert (fine.base_amount_fen, fine.amount_fen) == (500_000, 1_500_000)


# --- versions by date
def test_inspection_before_henan_regulation_uses_the_older_national_rule(rules):
    result = compute_penalties(dust_findings("fence"), ctx(inspection_date=date(2017, 6, 1)), rules)
    fine = line(result, "fine.air_law_115_construction_dust")
    assert fine.rule_version == "air-law-2015"
    assert fine.status == "blocked_amount_to_be_set"  # the 2015 amount is not in any source
    assert any("fell back" in e for e in fine.explanation_en)


def test_inspection_after_the_2018_amendment_uses_the_2018_text(rules):
    result = compute_penalties(
        dust_findings("fence"),
        ctx(inspection_date=date(2019, 5, 1), policy={"construction_dust_basis": "air_law_115"}),
        rules,
    )
    fine = line(result, "fine.air_law_115_construction_dust")
    assert (fine.rule_version, fine.status) == ("air-law-2018", "computed")


def test_fiscal_deduction_not_in_force_before_the_2022_plan(rules):
    result = compute_penalties(dust_findings("fence"), ctx(inspection_date=date(2021, 6, 1)), rules)
    assert "fiscal.dust_measure_failed" not in keys(result)
    assert ("fiscal.dust_measure_failed", "no version in force on 2021-06-01") in result.skipped


# --- blocking
def test_rule_without_amount_blocks_issuing(rules):
    finding = FindingInput("burning", "no_leaf_burning", ("fiscal.open_burning_waste_leaves",), ("000§五(二)",))
    result = compute_penalties([finding], ctx(), rules)
    blocked = line(result, "fiscal.open_burning_waste_leaves")
    assert (blocked.status, blocked.amount_fen) == ("blocked_amount_to_be_set", None)
    assert "amount_to_be_set" in blocked.blocking_reasons
    assert not result.issuable


def test_unverified_rule_version_needs_confirmation(rules):
    finding = FindingInput("fireworks", "no_discharge", ("fine.henan_82_fireworks_discharge_individual",))
    result = compute_penalties(
        [finding], ctx(inspection_date=date(2023, 1, 22), violator=Party("张某", None, "individual")), rules
    )
    fine = line(result, "fine.henan_82_fireworks_discharge_individual")
    assert fine.rule_version == "henan-2021" and not fine.verified
    assert "unverified" in fine.blocking_reasons


def test_missing_subdistrict_blocks_the_fiscal_line(rules):
    result = compute_penalties(dust_findings("fence"), ctx(responsible_subdistrict=None), rules)
    assert "payer_unresolved" in line(result, "fiscal.dust_measure_failed").blocking_reasons


# --- scope conditions
def test_fiscal_schedule_applies_only_in_shanyang(rules):
    result = compute_penalties(dust_findings("fence"), ctx(jurisdiction_chain=("410000", "410100", "410103")), rules)
    assert "fiscal.dust_measure_failed" not in keys(result)
    assert "fine.henan_76_construction_dust" in keys(result)


def test_fiscal_schedule_needs_a_supervision_team_finder(rules):
    result = compute_penalties(dust_findings("fence"), ctx(finder_level="district"), rules)
    assert "fiscal.dust_measure_failed" not in keys(result)


def test_straw_fire_points_cost_500k_yuan_each(rules):
    finding = FindingInput(
        "burning", "straw_fire_point", ("fiscal.straw_burning_fire_point",), ("002#20",), counts={"fire_points": 2}
    )
    town = JurisdictionRef("410822100", "清化镇")
    result = compute_penalties(
        [finding],
        ctx(
            inspection_date=date(2023, 10, 8),
            jurisdiction_chain=("410000", "410800", "410822"),
            responsible_subdistrict=town,
        ),
        rules,
    )
    fiscal = line(result, "fiscal.straw_burning_fire_point")
    assert (fiscal.amount_fen, fiscal.payer.name) == (100_000_000, "清化镇")


def test_fireworks_discharge_range_depends_on_party_kind(rules):
    finding = FindingInput(
        "fireworks",
        "no_discharge",
        (
            "fine.fireworks_reg_42_discharge_in_ban_area",
            "fine.henan_82_fireworks_discharge_individual",
            "fine.henan_82_fireworks_discharge_unit",
        ),
    )
    on = date(2020, 1, 25)
    person = line(
        compute_penalties([finding], ctx(inspection_date=on, violator=Party("张某", None, "individual")), rules),
        "fine.henan_82_fireworks_discharge_individual",
    )
    company = line(
        compute_penalties([finding], ctx(inspection_date=on), rules), "fine.henan_82_fireworks_discharge_unit"
    )
    assert person.range_fen == (50_000, 100_000) and company.range_fen == (100_000, 500_000)


def test_yard_with_serious_consequence_uses_the_higher_henan_79_range(rules):
    keys_ = ("fine.air_law_117_dusty_material", "fine.henan_79_dusty_yard", "fine.henan_79_dusty_yard_severe")
    finding = FindingInput("yard", "covered", keys_, serious_consequence=True)
    result = compute_penalties([finding], ctx(), rules)
    assert line(result, "fine.henan_79_dusty_yard_severe").range_fen == (5_000_000, 10_000_000)
    assert "measure.stop_work_dusty_material" in keys(result)


# --- discretion
def test_orange_alert_pushes_to_the_upper_end(rules):
    result = compute_penalties(dust_findings("fence"), ctx(alert_level="orange", prompt_correction=True), rules)
    assert line(result, "fine.henan_76_construction_dust").amount_fen == 10_000_000


def test_repeat_offence_raises_the_amount(rules):
    first = line(compute_penalties(dust_findings("fence"), ctx(), rules), "fine.henan_76_construction_dust")
    again = line(
        compute_penalties(dust_findings("fence"), ctx(repeat_offences={"fence": 1}), rules),
        "fine.henan_76_construction_dust",
    )
    assert (first.amount_fen, again.amount_fen) == (6_000_000, 8_000_000)  # 50% -> 75%


def test_first_offence_with_slight_harm_is_exempt_but_fiscal_deduction_stays(rules):
    result = compute_penalties(
        dust_findings("fence"), ctx(first_offence_slight_harm=True, prompt_correction=True), rules
    )
    fine = line(result, "fine.henan_76_construction_dust")
    assert (fine.status, fine.amount_fen) == ("exempt", 0)
    assert line(result, "fiscal.dust_measure_failed").amount_fen == 10_000_000


def test_cooperation_and_prompt_correction_lower_the_amount(rules):
    result = compute_penalties(dust_findings("fence"), ctx(cooperation=True, prompt_correction=True), rules)
    # 50% - 10% - 15% = 25%: 20,000 + 80,000 x 0.25 = 40,000 yuan
    assert line(result, "fine.henan_76_construction_dust").amount_fen == 4_000_000


def test_rounding_is_half_up_to_whole_yuan():
    assert round_half_up_to_yuan(1250, 1) == 1300
    assert round_half_up_to_yuan(1249, 1) == 1200


def test_repeat_window_counts_only_the_last_two_years():
    assert repeat_count([date(2020, 1, 1), date(2021, 1, 1)], date(2022, 6, 1)) == 1


# --- daily continuous penalties
def test_failed_reinspection_counts_daily_penalty_from_the_day_after_the_order(rules):
    result = compute_penalties(
        dust_findings("fence"),
        ctx(
            order_to_correct_date=date(2022, 3, 1),
            reinspection_date=date(2022, 3, 11),
            prior_decision_amounts_fen={"fine.henan_76_construction_dust": 2_000_000},
        ),
        rules,
    )
    daily = line(result, "fine.henan_76_construction_dust")
    assert (daily.unit, daily.daily_days, daily.amount_fen) == ("per_day", 10, 20_000_000)
    assert "measure.stop_work_construction_dust" in keys(result)


def test_no_daily_penalty_where_the_law_does_not_allow_it(rules):
    finding = FindingInput("voc", "enclosed", ("fine.air_law_108_voc",))
    result = compute_penalties(
        [finding],
        ctx(
            order_to_correct_date=date(2022, 3, 1),
            reinspection_date=date(2022, 3, 11),
            prior_decision_amounts_fen={"fine.air_law_108_voc": 5_000_000},
        ),
        rules,
    )
    assert "fine.air_law_108_voc" not in keys(result)
    assert "measure.stop_production_voc" in keys(result)


# --- supervisor override
def test_override_within_range_records_reason(rules):
    fine = line(compute_penalties(dust_findings("fence"), ctx(), rules), "fine.henan_76_construction_dust")
    changed = apply_override(fine, 3_000_000, "当事人已全面整改并提交证明", by="supervisor1")
    assert changed.amount_fen == 3_000_000 and changed.override.amount_before_fen == 6_000_000


def test_override_outside_legal_range_is_rejected(rules):
    fine = line(compute_penalties(dust_findings("fence"), ctx(), rules), "fine.henan_76_construction_dust")
    with pytest.raises(RuleViolation) as info:
        apply_override(fine, 1_000_000, "低于法定下限的尝试")
    assert info.value.code == "override_out_of_range"


def test_override_without_reason_is_rejected(rules):
    fine = line(compute_penalties(dust_findings("fence"), ctx(), rules), "fine.henan_76_construction_dust")
    with pytest.raises(ValidationFailed):
        apply_override(fine, 3_000_000, "  ")


def test_override_with_float_amount_is_rejected(rules):
    fine = line(compute_penalties(dust_findings("fence"), ctx(), rules), "fine.henan_76_construction_dust")
    with pytest.raises(ValidationFailed):
        apply_override(fine, 3_000_000.0, "理由充分的书面说明")


def test_override_of_a_rule_without_amount_is_refused(rules):
    finding = FindingInput("burning", "no_leaf_burning", ("fiscal.open_burning_waste_leaves",))
    blocked = line(compute_penalties([finding], ctx(), rules), "fiscal.open_burning_waste_leaves")
    with pytest.raises(RuleViolation):
        apply_override(blocked, 100_000, "管理员尚未设定金额")


def test_money_is_never_float(rules):
    findings = dust_findings("fence", "cover") + [
        FindingInput("nrmm", "stage", ("fine.henan_74_nrmm_banned_zone",), counts={"machines": 3})
    ]
    result = compute_penalties(findings, ctx(alert_level="yellow", repeat_offences={"stage": 1}), rules)
    for l in result.lines:
        for value in (l.amount_fen, l.base_amount_fen, *(l.range_fen or ())):
            assert value is None or type(value) is int
    assert type(result.total_fiscal_fen) is int and type(result.total_fines_fen) is int


def test_every_line_explains_itself_in_both_languages(rules):
    result = compute_penalties(dust_findings("fence", "cover", "wash"), ctx(), rules)
    for l in result.lines:
        assert l.explanation_zh and l.explanation_en and l.basis
        assert l.to_dict()["rule_hash"] == l.rule_hash


# --- muck trucks (construction_dust.henan group ``vehicles``)
def test_unsealed_trucks_are_fined_per_vehicle_but_one_failed_dust_measure_000_5_2(rules):
    """大气污染防治法第一百一十六条 counts vehicles; 000§五(二) stacks the fiscal deduction per failed measure
    ("多项控尘措施不到位的予以叠加扣缴"), and two unsealed trucks fail the same measure."""
    keys_ = ("fiscal.dust_measure_failed", "fine.air_law_116_bulk_vehicle")
    v1, v3 = (
        ObjectRef("vehicles", 0, "豫H12345", "辆", "vehicle"),
        ObjectRef("vehicles", 2, "豫H34567", "辆", "vehicle"),
    )
    findings = [
        FindingInput(
            DUST_HENAN, "vehicles.0.muck_sealed_transport", keys_, ("002#18",), severity="high", object_ref=v1
        ),
        FindingInput(
            DUST_HENAN, "vehicles.2.muck_sealed_transport", keys_, ("002#18",), severity="high", object_ref=v3
        ),
        FindingInput(DUST_HENAN, "hoarding", DUST_KEYS, ("002#18",), severity="high"),
    ]
    result = compute_penalties(findings, ctx(), rules)
    assert line(result, "fine.air_law_116_bulk_vehicle").counted_units == 2
    fiscal = line(result, "fiscal.dust_measure_failed")
    assert fiscal.counted_units == 2  # hoarding + sealed transport, not hoarding + two trucks
    assert fiscal.amount_fen == 2 * 10_000_000
