"""Two writers that change figures of the same sub-district and month do not wait for each other: the
statistics' and the map's dirty marks are appended (0036, 0037), so neither writer queues behind the other's
uncommitted mark until it commits (with keyed marks, every submission of a sub-district and month did). The review
queue's marks likewise (0038): a writer never waits for the refresh job that is clearing the same inspection's mark
(with keyed marks the two deadlocked: the job's upsert waits for the writer's lock on the inspection)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.extensions import db
from app.penalties.computation import compute_penalties_for_inspection
from app.review.risk import RiskSettings
from app.review.risk_store import pending_inspections
from app.review.risk_store import refresh_dirty as refresh_review_risk
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


def test_a_writer_marking_an_inspection_does_not_wait_for_the_refresh_clearing_its_mark(
    app: Flask, session: Session, tree: list[str]
) -> None:
    make_penalty_world(session)
    inspection = make_inspection(session, make_construction_site(session), dust_failures("hoarding"))
    session.commit()
    while not refresh_review_risk(session, RiskSettings()).done:
        session.commit()
    session.commit()
    session.execute(text("UPDATE inspections SET note = 'marked' WHERE id = :i"), {"i": inspection.id})
    session.commit()
    assert pending_inspections(session) == 1

    with app.app_context():
        job, writer = db.engine.connect(), db.engine.connect()
        try:
            # The refresh job's batch: the mark taken (deleted, uncommitted), the stored risk recomputed next.
            job.execute(text("DELETE FROM review_dirty WHERE inspection_id = :i"), {"i": inspection.id})
            # With keyed marks this writer's mark waited for the job's commit: here it would time out.
            writer.execute(text("SET LOCAL lock_timeout = '2s'"))
            writer.execute(text("UPDATE inspections SET note = 'changed again' WHERE id = :i"), {"i": inspection.id})
            writer.commit()
            job.commit()
        finally:
            job.close()
            writer.close()

    session.expire_all()
    assert pending_inspections(session) == 1  # the writer's mark outlives the job's batch: recomputed next time
    assert not refresh_review_risk(session, RiskSettings()).done
    session.commit()
    assert pending_inspections(session) == 0


def test_a_new_inspections_findings_mark_it_once_per_statement(session: Session, tree: list[str]) -> None:
    make_penalty_world(session)
    # Not committed: the evidence guards let the transaction that created an inspection add its findings.
    inspection = make_inspection(session, make_construction_site(session), [])
    session.flush()
    session.execute(text("DELETE FROM review_dirty"))
    session.execute(
        text(
            "INSERT INTO findings (inspection_id, submission_no, revision, item_key, checklist_key,"
            " checklist_version, checklist_hash, verdict, explanation, source_refs, penalty_keys, answer)"
            " SELECT id, submission_count, 0, k, checklist_key, checklist_version, checklist_hash, 'pass', '{}', '[]', '[]', '{}'"
            " FROM inspections, unnest(ARRAY['a', 'b', 'c']) AS k WHERE id = :i"
        ),
        {"i": inspection.id},
    )
    marks = session.execute(text("SELECT count(*) FROM review_dirty")).scalar_one()
    assert marks == 1  # three findings, one statement, one mark (was one per row)
    session.rollback()
