"""Level in force at a place and a moment: boundaries to the minute, changes as new records, city → district."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.alerts.levels import AlertRecord, changes_during, episode_start, highest_during, level_in_force

CST = timezone(timedelta(hours=8))
CITY, DISTRICT, SUBDISTRICT = "410800", "410811", "410811001"
CHAIN = ["410000", CITY, DISTRICT, SUBDISTRICT]
OTHER_CHAIN = ["410000", "410100", "410103"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CST)


ORANGE = AlertRecord(1, CITY, "orange", at(5, 12))


def test_start_minute_is_in_force_and_the_minute_before_is_not():
    assert level_in_force([ORANGE], CHAIN, at(5, 12)).level == "orange"
    assert level_in_force([ORANGE], CHAIN, at(5, 11, 59)).level == "none"


def test_end_minute_is_no_longer_in_force():
    bounded = AlertRecord(1, CITY, "yellow", at(5, 12), ends_at=at(6, 12))
    assert level_in_force([bounded], CHAIN, at(6, 11, 59)).level == "yellow"
    assert level_in_force([bounded], CHAIN, at(6, 12)).level == "none"


def test_a_city_alert_applies_to_a_site_of_its_district_and_not_to_another_city():
    found = level_in_force([ORANGE], CHAIN, at(5, 15))
    assert found.level == "orange" and found.alert_ids == (1,)
    assert level_in_force([ORANGE], OTHER_CHAIN, at(5, 15)).level == "none"


def test_an_upgrade_is_a_new_record_that_ends_the_earlier_one_at_its_start():
    red = AlertRecord(2, CITY, "red", at(6, 8), supersedes_id=1)
    assert level_in_force([ORANGE, red], CHAIN, at(6, 7, 59)).level == "orange"
    found = level_in_force([ORANGE, red], CHAIN, at(6, 8))
    assert found.level == "red" and found.alert_ids == (2,)


def test_an_upgrade_mid_inspection_is_a_change_during_it_not_the_level_at_its_start():
    red = AlertRecord(2, CITY, "red", at(6, 8, 30), supersedes_id=1)
    start, end = at(6, 8), at(6, 9)
    assert level_in_force([ORANGE, red], CHAIN, start).level == "orange"
    changes = changes_during([ORANGE, red], CHAIN, start, end)
    assert [(c.at, c.level) for c in changes] == [(at(6, 8, 30), "red")]


def test_a_lift_ends_the_alert_and_the_episode():
    lift = AlertRecord(2, CITY, "none", at(7, 19), supersedes_id=1)
    assert level_in_force([ORANGE, lift], CHAIN, at(7, 18, 59)).level == "orange"
    assert level_in_force([ORANGE, lift], CHAIN, at(7, 19)).level == "none"
    assert episode_start([ORANGE, lift], CHAIN, at(7, 19)) is None


def test_the_episode_begins_at_the_first_declaration_before_upgrades_and_downgrades():
    red = AlertRecord(2, CITY, "red", at(6, 8), supersedes_id=1)
    yellow = AlertRecord(3, CITY, "yellow", at(7, 19), supersedes_id=2)
    assert episode_start([ORANGE, red, yellow], CHAIN, at(8, 10)) == at(5, 12)


def test_overlapping_province_and_city_declarations_give_the_higher_level():
    province = AlertRecord(9, "410000", "yellow", at(5, 0))
    found = level_in_force([province, ORANGE], CHAIN, at(5, 13))
    assert found.level == "orange" and found.alert_ids == (1, 9)


def test_the_highest_level_of_a_day_counts_an_alert_starting_in_the_afternoon():
    assert highest_during([ORANGE], CHAIN, at(5, 0), at(6, 0)) == "orange"
    assert highest_during([ORANGE], CHAIN, at(4, 0), at(5, 0)) == "none"
