"""Reduction-list spreadsheet rows (Chinese headers): typed rows or every error, addressed by row and column."""

from __future__ import annotations

from datetime import date

from app.alerts.list_rows import parse_table

HEADER = [
    "场所编号",
    "企业名称",
    "行业",
    "绩效分级",
    "低VOCs源头替代",
    "预警级别",
    "措施类型",
    "管控对象",
    "限产比例",
    "开始日期",
    "结束日期",
    "措施依据",
]


def test_good_rows_are_typed():
    rows, errors = parse_table(
        [
            HEADER,
            ["S-1", "甲厂", "砖瓦窑", "C", "否", "橙色", "停产", "2号生产线", "", "", "", "清单第2行"],
            ["S-1", "甲厂", "砖瓦窑", "C", "否", "黄色", "限产", "", "30%", "", "", ""],
            ["S-1", "甲厂", "砖瓦窑", "C", "否", "错峰生产", "停产", "3号窑", "", "2026-11-15", "2027/3/15", ""],
            ["", "", "", "", "", "", "", "", "", "", "", ""],
        ]
    )
    assert errors == []
    assert [(r.row_no, r.trigger, r.kind) for r in rows] == [
        (2, "orange", "stop_line"),
        (3, "yellow", "limit_output"),
        (4, "staggered", "stop_line"),
    ]
    assert rows[1].percent == 30 and rows[2].ends_on == date(2027, 3, 15) and rows[0].source == "清单第2行"


def test_every_bad_row_is_reported_by_row_and_column():
    _, errors = parse_table(
        [
            HEADER,
            ["S-1", "甲厂", "砖瓦窑", "E", "否", "紫色", "停产", "", "", "", "", ""],
            ["S-2", "乙厂", "铸造", "B", "否", "黄色", "限产", "", "150", "", "", ""],
            ["S-3", "丙厂", "水泥", "D", "否", "错峰生产", "停产", "1号线", "", "2026-12-01", "", ""],
            ["S-4", "丁厂", "家具", "B", "否", "橙色", "喷漆", "", "", "", "", ""],
        ]
    )
    found = {(e.path, e.code) for e in errors}
    assert ("rows.2.绩效分级", "invalid_choice") in found
    assert ("rows.2.预警级别", "invalid_choice") in found
    assert ("rows.2.管控对象", "required") in found
    assert ("rows.3.限产比例", "invalid_percent") in found
    assert ("rows.4.开始日期", "required") in found
    assert ("rows.5.措施类型", "invalid_choice") in found
    assert all(e.message_zh and e.message_en for e in errors)


def test_unknown_and_missing_columns_stop_before_any_row():
    _, errors = parse_table([["企业名称", "等级"], ["甲厂", "A"]])
    codes = {(e.path, e.code) for e in errors}
    assert ("header.等级", "unknown_column") in codes
    assert ("header.行业", "missing_column") in codes
    assert ("header.场所编号", "missing_column") in codes


def test_a_site_with_two_grades_is_inconsistent():
    _, errors = parse_table(
        [
            HEADER,
            ["S-1", "甲厂", "砖瓦窑", "C", "否", "橙色", "停产", "2号生产线", "", "", "", ""],
            ["S-1", "甲厂", "砖瓦窑", "B", "否", "红色", "停产", "2号生产线", "", "", "", ""],
        ]
    )
    assert [(e.path, e.code) for e in errors] == [("rows.3.绩效分级", "inconsistent_site")]
