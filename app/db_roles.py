"""Database roles: what the runtime role may do, granted at the end of every ``flask db upgrade``.

Two roles. The **owner** (``DATABASE_OWNER_URL``) runs the migrations and owns every table, sequence, function
and trigger. The **runtime** role (``DATABASE_URL``; ``DATABASE_RUNTIME_ROLE``) is what the application,
the CLI and the photo worker connect as: it gets exactly the DML below, sequence USAGE and schema USAGE, and
nothing else — no ownership, so no ``ALTER``/``DROP``/``DISABLE TRIGGER``/``CREATE OR REPLACE FUNCTION``,
no ``TRUNCATE``, no ``CREATE`` on the schema. What is left writable is guarded by triggers the owner owns.

Why at the end of every upgrade rather than in one migration with ``ALTER DEFAULT PRIVILEGES``: the grants
are a function of this table, not of history. A new table with no entry here fails the upgrade (so nobody
ships a table the app cannot read, or one it may freely rewrite), a changed entry or a renamed runtime role
takes effect on the next upgrade, and evidence tables never inherit a blanket UPDATE/DELETE default.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

logger = logging.getLogger(__name__)

READ = ("SELECT",)
APPEND = ("SELECT", "INSERT")
EDIT = ("SELECT", "INSERT", "UPDATE")
FULL = ("SELECT", "INSERT", "UPDATE", "DELETE")

#: Each table of ours and the privileges the application needs on it. No DELETE on evidence (audit log,
#: photos, findings, photo links, penalty computations and lines, checklist and penalty rule versions), and
#: their remaining UPDATEs are limited by triggers (migrations 0001, 0003, 0004, 0006, 0008, 0010, 0012).
RUNTIME_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "alembic_version": READ,  # /readyz compares it with the heads
    "audit_log": APPEND,
    "users": EDIT,
    "user_jurisdictions": FULL,  # an admin edits a user's jurisdictions
    "auth_sessions": EDIT,  # revocation sets revoked_at
    "login_attempts": FULL,  # a successful login clears its failed attempts
    "jurisdictions": EDIT,
    "zones": EDIT,
    "sites": EDIT,
    "site_zones": FULL,  # derived from site and zone geometries, recomputed
    "checklist_versions": EDIT,  # is_current only (trigger)
    "checklist_parameter_values": FULL,
    "penalty_rule_versions": EDIT,  # is_current only (trigger)
    "jurisdiction_penalty_settings": FULL,
    "penalty_computations": EDIT,  # is_current → false only (trigger)
    "penalty_lines": EDIT,  # an audited override only (triggers)
    "photos": EDIT,  # scope and derivative columns only (trigger)
    "inspections": EDIT,  # state never goes back from submitted without a recorded return (trigger)
    "inspection_officers": FULL,  # an edit of a draft replaces the list
    "inspection_answers": FULL,  # an edit of a draft replaces the set
    "inspection_photo_links": EDIT,  # never removed; frozen once submitted except flags (trigger)
    "findings": APPEND,  # written once at a submission or a reviewer's amendment (trigger)
    "inspection_amendments": APPEND,  # a reviewer's amendments: evidence, never changed or removed (trigger, 0012)
    "review_settings": EDIT,  # an admin's waiver of the two-person rule, per jurisdiction (audited)
    "cases": EDIT,  # stage, party and dates change by audited transitions; never deleted
    "case_inspections": APPEND,
    "case_events": APPEND,  # the timeline's own entries (append-only trigger, 0013)
    "correction_orders": EDIT,  # outcome of the re-inspection recorded later
    "fiscal_deductions": EDIT,  # status: notified, settled
    "case_settings": EDIT,  # an admin's 陈述申辩 period and 听证 thresholds (audited)
    # Heavy-pollution alerts and reduction lists: append-only (a change of level is a new alert row; a new
    # list is a new version).
    "alerts": APPEND,
    "reduction_lists": APPEND,
    "reduction_entries": APPEND,
    "reduction_measures": APPEND,
    # The job queue (procrastinate's tables, migration 0009): workers claim, retry and finish jobs.
    "procrastinate_jobs": FULL,
    "procrastinate_events": FULL,
    "procrastinate_periodic_defers": FULL,
    "procrastinate_workers": FULL,  # a worker registers, heartbeats and unregisters itself
    "job_errors": APPEND,  # one row per failed attempt, kept
    # Enforcement documents (migration 0014): bytes written once, a void only; counters only step up (triggers).
    "documents": EDIT,
    "document_number_counters": EDIT,
    "document_settings": EDIT,  # an admin's settings per jurisdiction (audited)
    "party_signatures": APPEND,  # evidence: a signature or witnessed refusal, never changed
    # Statistics rollups (migration 0017): derived data, rewritten by the refresh job; dirty keys come and go.
    "stats_dirty": FULL,
    "stats_inspections": FULL,
    "stats_items": FULL,
    "stats_inspectors": FULL,
    "stats_sites": FULL,
    "stats_cases": FULL,
    "stats_case_deadlines": FULL,
    "stats_answers": FULL,  # built answers shared by the workers (0039): a cache, deleted by the refresh
    # Stored review-queue risk (migration 0027): derived data, rewritten by the refresh job; dirty marks come and go.
    "review_risk": FULL,
    "review_dirty": FULL,
    "review_dirty_photos": FULL,
    "review_risk_state": FULL,
    # Low-zoom map tiles' rollup (migration 0032): derived data, rewritten by the refresh job.
    "map_sites": FULL,
    "map_site_counts": FULL,
    "map_dirty": FULL,
    "map_rollup_state": FULL,
}

# Tables in the schema that are not ours (PostGIS's, owned by the superuser): left as PostGIS grants them.
FOREIGN_TABLES = frozenset({"spatial_ref_sys"})


class RoleSetupError(RuntimeError):
    """The runtime role cannot be given its privileges safely."""


def _ident(conn: Connection, name: str) -> str:
    return str(conn.scalar(text("SELECT quote_ident(:n)"), {"n": name}))


def grant_runtime_privileges(conn: Connection, role: str | None) -> None:
    """Give ``role`` exactly the runtime privileges on every table of the public schema (idempotent).

    Runs as the owner, in the migration's transaction. Skipped with a warning when the runtime role is the
    owner itself (a one-role deployment: nothing is separated). Refuses a runtime role that is a superuser,
    a member of the owner, or owns any of the tables, and a table that has no entry in RUNTIME_PRIVILEGES.
    """
    owner = str(conn.scalar(text("SELECT current_user")))
    if not role or role == owner:
        logger.warning(
            "runtime role is the owner role %r: privileges not separated (set DATABASE_OWNER_URL "
            "and DATABASE_URL to two roles)",
            owner,
        )
        return
    found = conn.execute(
        text("SELECT rolsuper, pg_has_role(:r, current_user, 'MEMBER') FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if found is None:
        raise RoleSetupError(f"runtime role {role!r} does not exist; create it (LOGIN, no other attribute)")
    if found[0] or found[1]:
        raise RoleSetupError(f"runtime role {role!r} is a superuser or a member of the owner {owner!r}")
    tables = dict(
        conn.execute(text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")).tuples().all()
    )
    owned_by_runtime = sorted(t for t, o in tables.items() if o == role)
    if owned_by_runtime:
        raise RoleSetupError(
            f"runtime role {role!r} owns {', '.join(owned_by_runtime)}; run "
            f"REASSIGN OWNED BY {role} TO {owner} as a superuser first"
        )
    unknown = sorted(set(tables) - set(RUNTIME_PRIVILEGES) - FOREIGN_TABLES)
    if unknown:
        raise RoleSetupError(f"no runtime privileges declared for {', '.join(unknown)} (app/db_roles.py)")
    r = _ident(conn, role)
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {r}"))
    conn.execute(text(f"REVOKE CREATE ON SCHEMA public FROM {r}"))
    for table, privileges in sorted(RUNTIME_PRIVILEGES.items()):
        if table not in tables:
            continue  # a downgrade to before the table existed
        t = _ident(conn, table)
        conn.execute(text(f"REVOKE ALL ON TABLE {t} FROM {r}"))
        conn.execute(text(f"GRANT {', '.join(privileges)} ON TABLE {t} TO {r}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {r}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}"))
