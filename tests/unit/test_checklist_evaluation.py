import dataclasses
from pathlib import Path

import pytest

from app.checklists.evaluation import evaluate_answer
from app.checklists.files import load_checklist_file
from app.checklists.spec import ItemSpec

CHECKLISTS = Path(__file__).resolve().parents[2] / "checklists"
PHOTO = "3f1c2a8e-6d0b-4e57-9a1e-2b7c9d4e5f60"


def item(file, key):
    """An item of a shipped checklist, its own or a repeatable group's (by the group item's key)."""
    doc = load_checklist_file(CHECKLISTS / file)
    items = [*doc["items"], *(i for g in doc.get("groups") or [] for i in g["items"])]
    return ItemSpec.from_doc(next(i for i in items if i["key"] == key))


ROAD = ("road_dust.yaml", "dust_main_road_shanyang")  # 000#17: 主干道积尘不高于5克/平方米, ≥6 points


def test_le_limit_passes_exactly_at_the_limit():
    ev = evaluate_answer(item(*ROAD), {"values": [5, 5, 5, 5, 5, 5], "unit": "g/m2"})
    assert ev.verdict == "pass" and ev.errors == []


def test_le_limit_fails_just_above():
    ev = evaluate_answer(item(*ROAD), {"values": [1, 1, 1, 1, 1, 5.01], "photos": [PHOTO]})
    assert ev.verdict == "fail" and ev.errors == []
    assert "1 of 6" in ev.explanation["en"]


def test_road_fails_when_any_single_point_fails_even_if_mean_passes():
    ev = evaluate_answer(item(*ROAD), {"values": [0, 0, 0, 0, 0, 6], "photos": [PHOTO]})
    assert ev.verdict == "fail"


def test_too_few_readings_is_an_error():
    ev = evaluate_answer(item(*ROAD), {"values": [1, 1, 1, 1, 1]})
    assert ev.verdict == "incomplete" and [e.code for e in ev.errors] == ["too_few_readings"]
    assert ev.errors[0].path == "answers.dust_main_road_shanyang.values"


def test_missing_readings_is_an_error():
    ev = evaluate_answer(item(*ROAD), {})
    assert ev.verdict == "incomplete" and ev.errors[0].code == "readings_missing"


def test_unit_mismatch_is_an_error():
    ev = evaluate_answer(item(*ROAD), {"values": [1] * 6, "unit": "mg/m2"})
    assert [e.code for e in ev.errors] == ["unit_mismatch"]


def test_implausible_value_is_an_error():
    ev = evaluate_answer(item(*ROAD), {"values": [1, 1, 1, 1, 1, 9999]})
    assert ev.verdict == "incomplete" and ev.errors[0].code == "implausible_value"


def _measure(comparison, combine="max", limit=10.0):
    return ItemSpec.from_doc(
        {
            "key": "m",
            "kind": "measure",
            "prompt": {"zh": "测", "en": "m"},
            "unit": "mg/m3",
            "severity": "low",
            "source": ["000#17"],
            "limit": {"value": limit, "comparison": comparison, "wording_zh": "x"},
            "readings": {"min_count": 1, "combine": combine},
            "range": {"min": 0, "max": 1000},
        }
    )


@pytest.mark.parametrize(
    "comparison,at_limit,below,above",
    [
        ("le", "pass", "pass", "fail"),  # 不高于
        ("lt", "fail", "pass", "fail"),  # 低于
        ("ge", "pass", "fail", "pass"),  # 不低于
        ("gt", "fail", "fail", "pass"),  # 高于
    ],
)
def test_comparisons_at_and_around_the_limit(comparison, at_limit, below, above):
    it = _measure(comparison)
    assert evaluate_answer(it, {"values": [10]}).verdict == at_limit
    assert evaluate_answer(it, {"values": [9.99]}).verdict == below
    assert evaluate_answer(it, {"values": [10.01]}).verdict == above


def test_limit_comparison_uses_the_printed_decimal_values():
    it = _measure("le", limit=0.3)
    assert evaluate_answer(it, {"values": [0.1 + 0.2]}).verdict == "fail"  # 0.30000000000000004 is above 0.3
    assert evaluate_answer(it, {"values": [0.3]}).verdict == "pass"


def test_mean_combine_compares_the_mean():
    it = _measure("le", combine="mean")
    assert evaluate_answer(it, {"values": [8, 12]}).verdict == "pass"
    assert evaluate_answer(it, {"values": [8, 12.2]}).verdict == "fail"


def test_coating_limit_from_003_15():
    it = item("voc_sealing_erqi_2018.yaml", "coating_voc_auto_refinish_base_top")
    assert evaluate_answer(it, {"values": [420]}).verdict == "pass"
    assert evaluate_answer(it, {"values": [421], "photos": [PHOTO]}).verdict == "fail"


def test_parameter_limit_blocks_until_the_jurisdiction_sets_it():
    it = item("voc_sealing_henan.yaml", "hood_capture_velocity")
    ev = evaluate_answer(it, {"values": [0.5, 0.6, 0.4]})
    assert ev.verdict == "incomplete" and ev.errors[0].code == "limit_not_configured"
    ok = evaluate_answer(it, {"values": [0.5, 0.6, 0.4]}, params={"hood_capture_velocity_min_m_s": 0.4})
    assert ok.verdict == "pass"


def test_failed_check_without_photos_requires_evidence():
    it = item("construction_dust_henan.yaml", "hoarding")
    ev = evaluate_answer(it, {"verdict": "fail"})
    assert ev.verdict == "fail" and [e.code for e in ev.errors] == ["evidence_required"]
    assert ev.errors[0].path == "answers.hoarding.photos"
    assert evaluate_answer(it, {"verdict": "fail", "photos": [PHOTO]}).errors == []


def test_always_evidence_needs_photo_even_when_passed():
    it = item("nrmm_labels.yaml", "info_card_posted")
    assert [e.code for e in evaluate_answer(it, {"verdict": "pass"}).errors] == ["evidence_required"]
    assert evaluate_answer(it, {"verdict": "pass", "photos": [PHOTO]}).errors == []


def test_photo_ids_must_be_uuids():
    it = item("construction_dust_henan.yaml", "hoarding")
    ev = evaluate_answer(it, {"verdict": "fail", "photos": ["IMG_001.jpg"]})
    assert {e.code for e in ev.errors} == {"invalid_uuid", "evidence_required"}


def test_check_verdict_is_the_inspectors_observation():
    it = item("construction_dust_henan.yaml", "management_systems")
    assert evaluate_answer(it, {"verdict": "pass"}).verdict == "pass"
    assert evaluate_answer(it, {}).errors[0].code == "verdict_missing"


def test_na_only_where_allowed():
    assert evaluate_answer(
        item("construction_dust_henan.yaml", "strong_wind_controls"), {"verdict": "na"}
    ).not_applicable
    ev = evaluate_answer(item("construction_dust_henan.yaml", "hoarding"), {"verdict": "na"})
    assert ev.verdict == "incomplete" and ev.errors[0].code == "na_not_allowed"


def test_choice_verdict_is_recomputed_not_trusted():
    it = item("nrmm_labels.yaml", "emission_stage")
    ev = evaluate_answer(it, {"choice": "china_2", "verdict": "pass", "photos": [PHOTO]})
    assert ev.verdict == "fail"
    assert evaluate_answer(it, {"choice": "china_3"}).verdict == "pass"
    assert evaluate_answer(it, {"choice": "china_9"}).errors[0].code == "invalid_choice"


def test_code_format_is_checked_and_normalised():
    it = item("nrmm_labels.yaml", "registration_code")
    assert evaluate_answer(it, {"code": " 豫h 123456 "}).verdict == "pass"
    bad = evaluate_answer(it, {"code": "ab#1"})
    assert bad.verdict == "incomplete" and bad.errors[0].code == "code_format"
    assert bad.errors[0].path == "answers.registration_code.code"


def test_code_pattern_can_be_set_by_the_jurisdiction():
    it = item("nrmm_labels.yaml", "registration_code")
    params = {"nrmm_registration_code_pattern": r"^豫H[0-9]{6}$"}
    assert evaluate_answer(it, {"code": "豫H123456"}, params=params).verdict == "pass"
    assert evaluate_answer(it, {"code": "豫A123456"}, params=params).errors[0].code == "code_format"


def test_count_of_seized_fireworks_above_zero_fails():
    it = item("fireworks_ban.yaml", "seized_fireworks_count")
    assert evaluate_answer(it, {"count": 0}).verdict == "pass"
    assert evaluate_answer(it, {"count": 3, "photos": [PHOTO]}).verdict == "fail"
    assert evaluate_answer(it, {"count": -1}).errors[0].code == "count_invalid"


def test_evaluation_is_frozen():
    ev = evaluate_answer(item(*ROAD), {"values": [1] * 6})
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.verdict = "fail"  # type: ignore[misc]


def test_is_unanswered_sees_content_in_any_answer_field_and_nothing_else() -> None:
    from app.checklists.evaluation import is_unanswered

    assert is_unanswered(None) and is_unanswered({}) and is_unanswered({"verdict": None, "text": "  ", "values": []})
    assert is_unanswered({"photos": ["3f1b0c7e-4f52-4bd4-9d55-2f0f64b3c2a1"], "note": "x"})
    assert not is_unanswered({"count": 0})  # zero is an answer
    assert not is_unanswered({"verdict": "na"})
