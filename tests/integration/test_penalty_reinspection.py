"""Re-inspections (按日连续处罚), counted units and supervisor discretion factors, through real PostGIS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.penalties.computation import compute_penalties_for_inspection
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import (
    STARTED,
    FailedItem,
    dust_failures,
    make_construction_site,
    make_inspection,
    make_penalty_world,
    penalties_view_of,
    recompute_view,
)

VOC_KEYS = ["fine.air_law_108_voc"]
STRAW_CHECK_KEYS = [
    "fiscal.straw_burning_fire_point",
    "fine.air_law_119_open_burning_straw_leaves",
    "fine.henan_80_straw_burning",
]
NRMM_CONTROL_KEYS = ["fine.henan_74_nrmm_banned_zone", "measure.nrmm_stop_use_banned_zone"]


@pytest.fixture()
def world(session, tree):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    session.commit()


def by_key(lines, key):  # noqa: ANN001, ANN201
    found = [l for l in lines if l.rule_key == key]
    assert len(found) == 1, [l.rule_key for l in lines]
    return found[0]


def keys(lines):  # noqa: ANN001, ANN201
    return [l.rule_key for l in lines]


def reinspect(session, earlier, failed, days):  # noqa: ANN001, ANN201
    later = make_inspection(session, earlier.site, failed, started_at=STARTED + timedelta(days=days))
    later.reinspection_of_id = earlier.id
    session.flush()
    return later


# ------------------------------------------------------------------ 按日连续处罚
def test_failed_reinspection_ten_days_after_the_order_gives_ten_days_of_the_original_fine(session, world):
    site = make_construction_site(session)
    earlier = make_inspection(session, site, dust_failures("hoarding"))  # submitted on day D (Beijing)
    first = compute_penalties_for_inspection(session, earlier)
    original = by_key(first, "fine.henan_76_construction_dust").amount_fen
    assert original == 6_000_000 and "measure.order_to_correct" in keys(first)

    later = reinspect(session, earlier, dust_failures("hoarding"), days=10)
    lines = compute_penalties_for_inspection(session, later)
    session.commit()
    daily = by_key(lines, "fine.henan_76_construction_dust")
    assert (daily.unit, daily.daily_days, daily.counted_units) == ("per_day", 10, 10)
    assert (daily.base_amount_fen, daily.amount_fen) == (original, 10 * original)
    assert "河南省大气污染防治条例第七十六条" in daily.explanation["zh"][0]
    assert "2026-11-21" in daily.explanation["en"][1]  # counted from the day after the order
    assert "measure.stop_work_construction_dust" in keys(lines)  # refusal to correct
    ctx = penalties_view_of(session, later)["computation"]["context"]
    assert ctx["order_to_correct_date"] == "2026-11-20" and ctx["reinspection_date"] == "2026-11-30"
    assert ctx["reinspection"]["earlier_inspection"] == str(earlier.id)


def test_no_daily_line_for_a_category_the_law_does_not_list(session, world):
    site = make_construction_site(session)
    earlier = make_inspection(session, site, [FailedItem("voc_enclosed", VOC_KEYS)])
    assert "measure.order_to_correct" in keys(compute_penalties_for_inspection(session, earlier))
    later = reinspect(session, earlier, [FailedItem("voc_enclosed", VOC_KEYS)], days=10)
    lines = compute_penalties_for_inspection(session, later)
    assert "fine.air_law_108_voc" not in keys(lines)
    assert all(l.daily_days is None for l in lines)
    assert "measure.stop_production_voc" in keys(lines)


def test_another_item_failing_at_the_reinspection_is_a_new_violation_not_a_daily_penalty(session, world):
    site = make_construction_site(session)
    earlier = make_inspection(session, site, dust_failures("hoarding"))
    compute_penalties_for_inspection(session, earlier)
    later = reinspect(session, earlier, dust_failures("material_cover"), days=10)
    lines = compute_penalties_for_inspection(session, later)
    fine = by_key(lines, "fine.henan_76_construction_dust")
    assert fine.daily_days is None and fine.unit == "per_case"


def test_reinspection_passing_the_ordered_item_has_no_daily_penalty(session, world):
    site = make_construction_site(session)
    earlier = make_inspection(session, site, dust_failures("hoarding"))
    compute_penalties_for_inspection(session, earlier)
    later = reinspect(session, earlier, [], days=10)
    assert compute_penalties_for_inspection(session, later) == []


def test_without_an_order_on_the_earlier_inspection_no_daily_penalty(session, world):
    site = make_construction_site(session)
    earlier = make_inspection(session, site, dust_failures("hoarding"))  # never computed: no lines, no order
    later = reinspect(session, earlier, dust_failures("hoarding"), days=10)
    fine = by_key(compute_penalties_for_inspection(session, later), "fine.henan_76_construction_dust")
    assert fine.daily_days is None
    note = penalties_view_of(session, later)["computation"]["context"]["reinspection"]["note"]
    assert "no order" in note


# ------------------------------------------------------------------ counted units
def test_three_straw_fire_points_cost_1_5_million_yuan(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(
        session,
        site,
        [
            FailedItem("no_straw_fire_point", STRAW_CHECK_KEYS, severity="critical", source_refs=["002#20"]),
            FailedItem(
                "fire_point_count",
                ["fiscal.straw_burning_fire_point"],
                severity="critical",
                source_refs=["002#20"],
                answer={"count": 3},
            ),
        ],
    )
    fiscal = by_key(compute_penalties_for_inspection(session, inspection), "fiscal.straw_burning_fire_point")
    assert (fiscal.unit, fiscal.counted_units, fiscal.amount_fen) == ("per_fire_point", 3, 150_000_000)


def test_two_machines_in_the_nrmm_control_area_are_two_henan_74_fines(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(
        session,
        site,
        [
            FailedItem(
                "control_area_class_iii",
                NRMM_CONTROL_KEYS,
                severity="high",
                source_refs=["000#14"],
                answer={"verdict": "fail", "count": 2},
            )
        ],
    )
    lines = compute_penalties_for_inspection(session, inspection)
    fine = by_key(lines, "fine.henan_74_nrmm_banned_zone")
    assert fine.counted_units == 2
    assert 500_000 <= fine.base_amount_fen <= 2_000_000
    assert fine.amount_fen == 2 * fine.base_amount_fen == 2 * 1_625_000  # high 75%: 5,000 + 15,000 x 0.75
    assert by_key(lines, "measure.nrmm_stop_use_banned_zone").counted_units == 2


def test_a_machine_whose_count_was_not_recorded_counts_once(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(
        session,
        site,
        [
            FailedItem("control_area_class_iii", NRMM_CONTROL_KEYS, severity="high"),
            FailedItem("emission_stage", NRMM_CONTROL_KEYS, severity="high", answer={"choice": "china_2"}),
        ],
    )
    fine = by_key(compute_penalties_for_inspection(session, inspection), "fine.henan_74_nrmm_banned_zone")
    assert fine.counted_units == 1


# ------------------------------------------------------------------ discretion factors (supervisor)
def test_first_offence_slight_harm_and_prompt_correction_exempt_the_fine_but_not_the_fiscal_deduction(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(session, site, dust_failures("hoarding"))
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    view = recompute_view(
        session,
        inspection,
        "当事人首次违法、危害轻微并已当场改正",
        factors={"first_offence_slight_harm": True, "prompt_correction": True, "cooperation": True},
    )
    session.commit()
    fine = next(l for l in view["lines"] if l["rule_key"] == "fine.henan_76_construction_dust")
    assert (fine["status"], fine["amount_fen"]) == ("exempt", 0)
    assert any("第三十三条" in f["effect"] for f in fine["factors"])
    fiscal = next(l for l in view["lines"] if l["rule_key"] == "fiscal.dust_measure_failed")
    assert (fiscal["status"], fiscal["amount_fen"]) == ("computed", 10_000_000)
    stored = view["computation"]["discretion_factors"]
    assert stored["first_offence_slight_harm"] is True and stored["reason"].startswith("当事人")
    assert view["computation"]["context"]["prompt_correction"] is True
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty.recompute")).all()[-1]
    assert audit.after["discretion_factors"]["prompt_correction"] is True


def test_factors_stay_on_later_recomputes_until_changed(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(session, site, dust_failures("hoarding"))
    compute_penalties_for_inspection(session, inspection)
    recompute_view(session, inspection, "配合调查，记录裁量因素", factors={"cooperation": True})
    view = recompute_view(session, inspection, "规则更新后重新计算")
    fine = next(l for l in view["lines"] if l["rule_key"] == "fine.henan_76_construction_dust")
    assert {"name": "cooperation", "level": "yes", "effect": "-10%"} in fine["factors"]
    assert fine["amount_fen"] == 5_200_000  # 50% - 10% = 40%: 20,000 + 80,000 x 0.4


def test_finder_level_outside_000_5_2_drops_the_fiscal_deduction(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(session, site, dust_failures("hoarding"))
    compute_penalties_for_inspection(session, inspection)
    view = recompute_view(session, inspection, "区级自查发现", factors={"finder_level": "district"})
    assert "fiscal.dust_measure_failed" not in [l["rule_key"] for l in view["lines"]]


def test_without_a_recorded_order_the_days_count_from_the_earlier_inspections_own_date(session, world):
    # Inspected (and ordered on site) on 11-20 but submitted only on 11-25; re-inspected on 11-23. Counting
    # from the submission gave no daily penalty and skipped the stop-work order that follows a refusal.
    site = make_construction_site(session)
    earlier = make_inspection(session, site, dust_failures("hoarding"))
    earlier.submitted_at = STARTED + timedelta(days=5)
    compute_penalties_for_inspection(session, earlier)
    later = reinspect(session, earlier, dust_failures("hoarding"), days=3)
    lines = compute_penalties_for_inspection(session, later)
    assert by_key(lines, "fine.henan_76_construction_dust").daily_days == 3
    assert "measure.stop_work_construction_dust" in keys(lines)
    ctx = penalties_view_of(session, later)["computation"]["context"]
    assert ctx["order_to_correct_date"] == "2026-11-20"
    assert ctx["reinspection"]["order_date_source"].startswith("no order recorded")
