"""The review queue's risk reasons (pure): each reason, its points, and the configured weights."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.review.risk import InspectionFacts, RiskSettings, RiskWeights, assess

CLEAN = InspectionFacts(
    site_kind="construction_site",
    officer_count=2,
    failed_without_photo=0,
    flag_codes=(),
    reused_photos=0,
    distance_m=10.0,
    outside_jurisdiction=False,
    duration_s=3600.0,
    total_amount_fen=0,
)


def _codes(facts: InspectionFacts, settings: RiskSettings | None = None) -> list[str]:
    return [r.code for r in assess(facts, settings or RiskSettings()).reasons]


def test_a_clean_inspection_scores_zero():
    assert assess(CLEAN, RiskSettings()).score == 0


def test_each_flag_kind_counts_once_and_the_stored_reuse_flag_is_left_to_the_live_check():
    facts = replace(CLEAN, flag_codes=("no_gps", "no_gps", "reused_photo", "something_new"))
    result = assess(facts, RiskSettings())
    assert [(r.code, r.count, r.points) for r in result.reasons] == [
        ("photo_no_gps", 2, 5),
        ("photo_other_flag", 1, 5),
    ]
    assert result.score == 10


def test_officer_minimum_cites_article_42_and_thresholds_are_configurable():
    facts = replace(CLEAN, officer_count=1, duration_s=600.0, total_amount_fen=500)
    settings = RiskSettings(min_duration_s=300, high_amount_fen=500)
    result = assess(facts, settings)
    assert [r.code for r in result.reasons] == ["too_few_officers", "high_amount"]
    assert "第四十二条" in result.reasons[0].message_zh


def test_weights_from_json_refuse_unknown_codes_and_bad_points():
    assert RiskWeights.from_json('{"high_amount": 40}').high_amount == 40
    assert RiskWeights.from_json(None) == RiskWeights()
    with pytest.raises(ValueError, match="unknown"):
        RiskWeights.from_json('{"typo": 1}')
    with pytest.raises(ValueError):
        RiskWeights.from_json('{"high_amount": "lots"}')


def test_a_phone_claimed_alert_level_unlike_the_declared_one_is_a_review_flag():
    mismatch = replace(CLEAN, alert_claimed="none", alert_in_force="orange")
    assessment = assess(mismatch, RiskSettings())
    assert [r.code for r in assessment.reasons] == ["alert_level_mismatch"]
    assert "orange" in assessment.reasons[0].message_en and assessment.score == RiskWeights().alert_level_mismatch
    assert _codes(replace(CLEAN, alert_claimed="orange", alert_in_force="orange")) == []
    assert _codes(replace(CLEAN, alert_claimed="red", alert_in_force=None)) == []  # not submitted yet
