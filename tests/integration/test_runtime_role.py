"""The application's database role cannot rewrite evidence: it owns nothing, has DML only, and what it can
still write is guarded by the owner's triggers (app/db_roles.py, migrations 0001–0010).

Every statement here runs on the application's own session, i.e. as the runtime role, and must be refused
with SQLSTATE 42501 (insufficient_privilege): a missing privilege, "must be owner", or a guard trigger.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db_roles import RUNTIME_PRIVILEGES
from app.inspections.models import Finding, InspectionAnswer, InspectionOfficer, InspectionPhotoLink
from app.penalties.computation import compute_penalties_for_inspection
from app.penalties.models import PenaltyLineRow
from tests.factories import make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import dust_failures, make_construction_site, make_inspection, make_penalty_world

INSUFFICIENT_PRIVILEGE = "42501"


def refused(
    session: Session, statement: str, params: dict[str, object] | None = None, *, at_commit: bool = False
) -> str:
    """Run ``statement`` as the runtime role; it (or the commit, for deferred checks) must be refused with
    insufficient_privilege. Returns the database's message."""
    with pytest.raises(DBAPIError) as caught:
        session.execute(text(statement), params or {})
        if at_commit:
            session.commit()
    session.rollback()
    assert getattr(caught.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, caught.value
    return str(caught.value.orig)


@pytest.fixture()
def world(session, tree):  # noqa: ANN001, ANN201
    """A submitted inspection built the way submission builds it: officers, answers and a photo link while it
    is a draft, then submitted with its findings and penalty lines in one transaction."""
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    inspector = make_user(session, "insp.owner", "inspector", ["410811"])
    supervisor = make_user(session, "sup.sy", "supervisor", ["410811"])
    site = make_construction_site(session)
    inspection = make_inspection(session, site, [], state="draft", created_by=inspector.id)
    session.add_all(
        [
            InspectionOfficer(inspection_id=inspection.id, user_id=inspector.id, position=0),
            InspectionAnswer(inspection_id=inspection.id, item_key="hoarding", data={"verdict": "fail"}),
            InspectionPhotoLink(inspection_id=inspection.id, item_key="hoarding", photo_id=uuid.uuid4(), position=0),
        ]
    )
    session.commit()

    inspection.state, inspection.submission_count, inspection.version = "submitted", 1, 3
    inspection.submitted_at = inspection.started_at + timedelta(hours=2)
    session.flush()
    for item in dust_failures("hoarding", "material_cover"):
        session.add(
            Finding(
                inspection_id=inspection.id,
                submission_no=1,
                item_key=item.item_key,
                checklist_key=inspection.checklist_key,
                checklist_version=inspection.checklist_version,
                checklist_hash=inspection.checklist_hash,
                verdict="fail",
                explanation={"zh": "不合格", "en": "failed"},
                severity=item.severity,
                source_refs=item.source_refs,
                penalty_keys=item.penalty_keys,
                answer={},
            )
        )
    session.flush()
    session.expire(inspection, ["findings"])
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    line = session.scalars(select(PenaltyLineRow.id).where(PenaltyLineRow.inspection_id == inspection.id)).first()
    assert line is not None
    return {"inspection": str(inspection.id), "line": line, "supervisor": supervisor.id}


def test_the_application_connects_as_a_runtime_role_that_owns_nothing(session) -> None:
    role = session.scalar(text("SELECT current_user"))
    assert role == "lantian_app"
    assert not session.scalar(
        text(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
    )
    assert session.scalars(text("SELECT tablename FROM pg_tables WHERE tableowner = current_user")).all() == []
    assert (
        session.scalars(
            text("SELECT proname FROM pg_proc WHERE proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)")
        ).all()
        == []
    )
    assert session.scalar(
        text(
            "SELECT datdba <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
            "FROM pg_database WHERE datname = current_database()"
        )
    )
    assert not session.scalar(text("SELECT has_schema_privilege('public', 'CREATE')"))


def test_runtime_privileges_are_exactly_the_declared_ones(session) -> None:
    granted: dict[str, set[str]] = {}
    for table, privilege in session.execute(
        text(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = current_user AND table_schema = 'public'"
        )
    ):
        granted.setdefault(table, set()).add(privilege)
    assert granted == {t: set(p) for t, p in RUNTIME_PRIVILEGES.items()}


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_no_update_delete ON audit_log",
        "DROP TRIGGER photos_evidence_guard ON photos",
        "ALTER TABLE penalty_lines DISABLE TRIGGER penalty_lines_override_audited",
        "CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END; $$",
        "CREATE OR REPLACE FUNCTION findings_written_once() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END; $$",
        "ALTER FUNCTION penalty_lines_immutable() OWNER TO lantian_app",
        "DROP FUNCTION photos_evidence_is_immutable() CASCADE",
        "TRUNCATE audit_log",
        "TRUNCATE findings CASCADE",
        "TRUNCATE penalty_lines, penalty_computations CASCADE",
        "TRUNCATE inspections CASCADE",
        "ALTER TABLE penalty_lines ADD COLUMN forged integer",
        "ALTER TABLE photos DROP CONSTRAINT pk_photos",
        "ALTER TABLE audit_log OWNER TO lantian_app",
        "DROP TABLE audit_log",
        "CREATE TABLE forged (id integer)",
        "CREATE FUNCTION forged() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
        "SET session_replication_role = replica",
    ],
)
def test_ddl_and_trigger_tampering_are_refused(session, statement: str) -> None:
    refused(session, statement)


def test_audit_rows_cannot_be_changed_or_removed(session, world) -> None:  # noqa: ANN001
    assert "permission denied" in refused(session, "UPDATE audit_log SET action = 'forged'")
    assert "permission denied" in refused(session, "DELETE FROM audit_log")


def test_stored_photo_hash_cannot_be_changed(session, world, app, tmp_path) -> None:  # noqa: ANN001
    import io

    from app.auth.principal import Principal
    from app.photos import upload
    from app.photos.evidence_links import NO_EVIDENCE_LINKS
    from tests.factories_photos import photo_bytes, sha256_hex, temporary_photo_store

    user = make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    principal = Principal(user.id, user.username, user.role, ("/410000/410800/410811/",))
    data = photo_bytes("derived__gps_fractional_seconds.jpg")
    with temporary_photo_store(app, tmp_path / "photos") as store:
        result = upload.put_photo(
            session,
            store,
            principal,
            uuid.uuid4(),
            io.BytesIO(data),
            sha256_hex(data),
            max_bytes=None,
            max_pixels=50_000_000,
            links=NO_EVIDENCE_LINKS,
        )
        session.commit()
    pid = result.photo.id
    assert "immutable" in refused(session, "UPDATE photos SET sha256 = :h WHERE id = :id", {"h": "0" * 64, "id": pid})
    assert "permission denied" in refused(session, "DELETE FROM photos WHERE id = :id", {"id": pid})


def test_findings_of_a_submitted_inspection_cannot_be_changed(session, world) -> None:  # noqa: ANN001
    ident = {"id": world["inspection"]}
    # No UPDATE privilege at all (the trigger refuses it to the owner too: test_audit_triggers_hold_for_the_owner_too).
    assert "permission denied" in refused(
        session, "UPDATE findings SET verdict = 'pass' WHERE inspection_id = :id", ident
    )
    assert "permission denied" in refused(session, "DELETE FROM findings WHERE inspection_id = :id", ident)
    # Nor added to after the fact, even with the current submission number.
    assert "only by the submission" in refused(
        session,
        """
        INSERT INTO findings (inspection_id, submission_no, item_key, checklist_key, checklist_version,
                              checklist_hash, verdict, explanation, source_refs, penalty_keys, answer)
        SELECT id, submission_count, 'forged', checklist_key, checklist_version, checklist_hash, 'fail',
               '{}', '[]', '[]', '{}' FROM inspections WHERE id = :id""",
        ident,
    )


def test_records_of_a_submitted_inspection_cannot_be_changed(session, world) -> None:  # noqa: ANN001
    ident = {"id": world["inspection"]}
    assert "evidence" in refused(
        session, "UPDATE inspection_photo_links SET photo_id = gen_random_uuid() WHERE inspection_id = :id", ident
    )
    assert "evidence" in refused(
        session,
        "INSERT INTO inspection_photo_links (inspection_id, item_key, photo_id, position) "
        "VALUES (:id, 'hoarding', gen_random_uuid(), 1)",
        ident,
    )
    assert "permission denied" in refused(
        session, "DELETE FROM inspection_photo_links WHERE inspection_id = :id", ident
    )
    assert "evidence" in refused(
        session, "UPDATE inspection_answers SET data = '{\"verdict\": \"pass\"}' WHERE inspection_id = :id", ident
    )
    assert "evidence" in refused(session, "DELETE FROM inspection_officers WHERE inspection_id = :id", ident)
    # The derived evidence flags may still be recomputed.
    session.execute(
        text("UPDATE inspection_photo_links SET flags = '[]', flags_computed_at = now() WHERE inspection_id = :id"),
        ident,
    )
    session.commit()


def test_a_submitted_inspections_records_stay_closed_to_a_transaction_that_rewrites_its_creation(
    session, world
) -> None:  # noqa: ANN001
    # The creating transaction may insert a submitted inspection's records (created_at = now()): setting an older
    # inspection's created_at to now() is refused, so its records cannot be opened that way.
    ident = {"id": world["inspection"]}
    assert "created_at" in refused(session, "UPDATE inspections SET created_at = now() WHERE id = :id", ident)
    assert "evidence" in refused(
        session,
        "INSERT INTO inspection_officers (inspection_id, user_id, position) "
        "SELECT :id, created_by_id, 9 FROM inspections WHERE id = :id",
        ident,
    )


def test_a_submitted_inspection_does_not_go_back_without_a_recorded_return(session, world) -> None:  # noqa: ANN001
    params = {"id": world["inspection"], "by": world["supervisor"]}
    refused(session, "UPDATE inspections SET state = 'draft' WHERE id = :id", params)
    refused(session, "UPDATE inspections SET state = 'returned' WHERE id = :id", params)  # no reviewer
    refused(session, "UPDATE inspections SET submission_count = 0 WHERE id = :id", params)
    refused(session, "DELETE FROM inspections WHERE id = :id", params)
    # Shaped like a return, but no inspection.return audit row: refused at commit.
    message = refused(
        session,
        "UPDATE inspections SET state = 'returned', reviewed_by_id = :by, "
        "review_comment = 'x', version = version + 1 WHERE id = :id",
        params,
        at_commit=True,
    )
    assert "inspection.return" in message
    assert session.scalar(text("SELECT state FROM inspections WHERE id = :id"), params) == "submitted"


def test_a_penalty_amount_does_not_change_without_an_audited_override(session, world) -> None:  # noqa: ANN001
    line = {"id": world["line"]}
    assert "penalty_lines" in refused(session, "UPDATE penalty_lines SET amount_fen = 1 WHERE id = :id", line)
    # Shaped like an override (passes the 0008 guard), but not audited: refused at commit.
    message = refused(
        session,
        "UPDATE penalty_lines SET amount_fen = 1, override = '{\"by\": \"x\"}' WHERE id = :id",
        line,
        at_commit=True,
    )
    assert "penalty.override" in message
    # An audit row for another amount does not cover it either.
    session.execute(text("UPDATE penalty_lines SET amount_fen = 1, override = '{\"by\": \"x\"}' WHERE id = :id"), line)
    refused(
        session,
        """INSERT INTO audit_log (action, entity_type, entity_id, after, digest)
        VALUES ('penalty.override', 'penalty_line', :id, '{"amount_fen": 2, "override": {"by": "x"}}', 'x')""",
        line,
        at_commit=True,
    )
    assert "permission denied" in refused(session, "DELETE FROM penalty_lines WHERE id = :id", line)


def test_audit_triggers_hold_for_the_owner_too(world, owner_database_url: str) -> None:  # noqa: ANN001
    engine = create_engine(owner_database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT current_user")) == "lantian_owner"
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text("UPDATE audit_log SET action = 'forged'"))
            conn.rollback()
            with pytest.raises(DBAPIError, match="evidence"):
                conn.execute(text("UPDATE findings SET verdict = 'pass'"))
            conn.rollback()
    finally:
        engine.dispose()
