"""Two writers that change figures of the same sub-district and month do not wait for each other: the
statistics' and the map's dirty marks are appended (0036, 0037), so neither writer queues behind the other's
uncommitted mark until it commits (with keyed marks, every submission of a sub-district and month did)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.extensions import db
from app.penalties.computation import compute_penalties_for_inspection
from app.stats.rollup import pending_groups, refresh_dirty
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import dust_failures, make_construction_site, make_inspection, make_penalty_world


def test_two_writers_marking_one_group_do_not_wait_and_the_group_is_refreshed_once(
    app: Flask, session: Session, tree: list[str]
) -> None:
    make_penalty_world(session)
    first = make_construction_site(session)
    second = make_construction_site(session, at=(113.271, 35.251), name_zh="第二工地")
    make_inspection(session, first, [])
    make_inspection(session, second, [])
    session.commit()
    while refresh_dirty(session).groups:
        session.commit()
    session.commit()
    assert pending_groups(session) == 0
    home = first.jurisdiction_id
    elsewhere = session.execute(
        text("SELECT id FROM jurisdictions WHERE id <> :j AND level = 'township' ORDER BY id LIMIT 1"), {"j": home}
    ).scalar_one()

    move = text("UPDATE sites SET jurisdiction_id = :to WHERE id = :site")
    with app.app_context():
        one, other = db.engine.connect(), db.engine.connect()
        try:
            one.execute(move, {"to": elsewhere, "site": first.id})  # uncommitted marks of (home, month), (elsewhere, …)
            # With keyed marks this statement waited for the first writer's commit: here it would time out.
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            other.execute(move, {"to": elsewhere, "site": second.id})
            other.commit()
            one.commit()
        finally:
            one.close()
            other.close()

    session.expire_all()
    marks = session.execute(text("SELECT count(*) FROM stats_dirty")).scalar_one()
    assert marks == 4  # each writer marked the month in both jurisdictions: duplicates kept, not waited for
    assert pending_groups(session) == 2
    assert refresh_dirty(session).groups == 2  # each group recomputed once, every mark of it gone
    session.commit()
    assert pending_groups(session) == 0


def test_a_computation_marks_its_group_once_per_statement_not_once_per_penalty_line(
    session: Session, tree: list[str]
) -> None:
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    site = make_construction_site(session)
    inspection = make_inspection(session, site, dust_failures("hoarding", "material_cover", "vehicle_wash"))
    session.commit()
    while refresh_dirty(session).groups:
        session.commit()
    session.commit()

    compute_penalties_for_inspection(session, inspection)
    session.commit()
    lines = session.execute(
        text("SELECT count(*) FROM penalty_lines WHERE inspection_id = :i"), {"i": inspection.id}
    ).scalar_one()
    marks = session.execute(text("SELECT count(*) FROM stats_dirty")).scalar_one()
    assert lines >= 3
    assert marks == 2  # the computation's row and the lines' one INSERT statement
    assert pending_groups(session) == 1
