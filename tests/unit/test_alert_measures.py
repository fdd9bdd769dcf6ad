"""Measures → checklist items: one per measure, worded from it, with evidence and penalty rules; self-reducing
sites (A grade, 引领性, full low-VOC substitution: 000#27, 003#36) get one 自主减排 item instead."""

from __future__ import annotations

from datetime import date

from app.alerts.measures import (
    ALERT_MEASURE_FINE,
    PRODUCTION_DEDUCTION,
    WORKS_FINE,
    EntrySpec,
    MeasureSpec,
    alert_items,
    is_alert_item_key,
)

ON = date(2026, 12, 6)
MEASURES = (
    MeasureSpec(11, "orange", "stop_line", "示例清单第2行", target="2号生产线"),
    MeasureSpec(12, "orange", "trucks_china5_plus", "示例清单第3行"),
    MeasureSpec(13, "yellow", "limit_output", "示例清单第4行", target="1号窑", percent=20),
    MeasureSpec(
        14, "staggered", "stop_line", "000#37", target="3号窑", starts_on=date(2026, 11, 15), ends_on=date(2027, 3, 15)
    ),
    MeasureSpec(15, "red", "no_earthworks", "示例清单第5行"),
)


def entry(grade: str = "C", low_voc: bool = False, measures: tuple[MeasureSpec, ...] = MEASURES) -> EntrySpec:
    return EntrySpec(1, grade, "砖瓦窑", low_voc, "示例减排清单", "2026", "示例〔2026〕1号", True, measures)


def test_each_measure_of_the_level_and_the_staggered_period_becomes_one_item_worded_from_it():
    items = alert_items(entry(), "orange", ON)
    assert [i["key"] for i in items] == ["alert.m11", "alert.m12", "alert.m14"]
    prompts = [i["prompt"]["zh"] for i in items]
    assert prompts[0] == "2号生产线应停产"
    assert prompts[1] == "橙色预警期间禁止国四及以下柴油货车进出"
    assert prompts[2] == "3号窑应停产"
    assert all(is_alert_item_key(i["key"]) for i in items)
    assert "演示用示例清单" in items[0]["applies_because"]["zh"]


def test_items_carry_their_evidence_sources_and_penalty_rules():
    stop, trucks, _ = alert_items(entry(), "orange", ON)
    assert stop["evidence"] == {"always": True, "min_photos": 2}
    assert stop["source"][0] == "示例清单第2行" and "000#35" in stop["source"]
    assert stop["penalties"] == [PRODUCTION_DEDUCTION, ALERT_MEASURE_FINE]
    assert "门禁" in trucks["guidance"]["zh"] and "003#37" in trucks["source"]
    (earthworks,) = [i for i in alert_items(entry(), "red", ON) if i["alert_measure"]["kind"] == "no_earthworks"]
    assert earthworks["penalties"] == [WORKS_FINE]
    assert "大气污染防治法第一百二十一条第二款" in earthworks["source"]


def test_a_limit_names_its_percentage_and_no_alert_means_no_alert_items():
    (limit,) = [i for i in alert_items(entry(), "yellow", ON) if i["alert_measure"]["kind"] == "limit_output"]
    assert limit["prompt"]["zh"] == "黄色预警期间1号窑限产20%（按清单基准产能）"
    assert [i["key"] for i in alert_items(entry(), "none", ON)] == ["alert.m14"]  # staggering only
    assert alert_items(entry(), "none", date(2027, 3, 16)) == []


def test_an_a_grade_site_gets_one_self_reduction_item_instead_of_the_cuts():
    (item,) = alert_items(entry(grade="A"), "orange", ON)
    assert item["alert_measure"]["kind"] == "autonomous"
    assert sorted(item["alert_measure"]["replaces"]) == [11, 12, 14]
    assert "000#27" in item["source"] and "003#36" in item["source"]
    assert item["penalties"] == []
    assert "自主减排" in item["applies_because"]["zh"]


def test_a_low_voc_substituted_site_is_exempted_likewise_and_a_b_grade_site_is_not():
    (item,) = alert_items(entry(grade="B", low_voc=True), "orange", ON)
    assert item["alert_measure"]["kind"] == "autonomous"
    assert len(alert_items(entry(grade="B"), "orange", ON)) == 3


def test_answer_keys_of_generated_items_are_recognised_and_nothing_else():
    assert is_alert_item_key("alert.m12")
    assert not is_alert_item_key("alert.mx") and not is_alert_item_key("hoarding")
