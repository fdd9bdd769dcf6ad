"""The low-zoom tiles' rollup (migration 0032), kept current like the statistics (app/stats/rollup.py).

Row triggers write a changed site to ``map_dirty`` in the writer's own transaction; the ``refresh_map_layers``
job (every minute, app/maplayers/tasks.py) recomputes exactly those sites from the committed base rows:
their point in each coordinate system (``map_sites``) and their inspections and failed findings per state and
checklist (``map_site_counts``), and moves ``map_rollup_state.version`` (the aggregated tiles' ETag). An
aggregated tile is therefore at most about a minute behind (``MAX_STALENESS_SECONDS``); ``pending_sites`` says
what waits. Recomputing from committed rows (not adding deltas in the writer's transaction) keeps two writers
of one site exact.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_STALENESS_SECONDS = 60  # the refresh job's cron period: every minute
_REFRESH_LOCK = 7_301_702  # arbitrary: pg_advisory_xact_lock key of the map rollup's refresh

STATES = ("draft", "submitted", "returned", "approved", "rejected")  # inspections.state (ck_inspections_state)
TOTALS = [f"inspections_{st}" for st in STATES] + [f"failed_{st}" for st in STATES]

# {where} selects inspections (i) or sites (s); the migration's backfill is the same with every site.
# Failed findings as the findings layer counts them: the inspection's current submission and revision.
COUNTS = """
INSERT INTO map_site_counts (site_id, state, checklist_key, inspections, failed_findings)
SELECT i.site_id, i.state, i.checklist_key, count(*), COALESCE(sum(f.n), 0)
  FROM inspections i
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM findings f
                       WHERE f.inspection_id = i.id AND f.submission_no = i.submission_count
                         AND f.revision = i.findings_revision AND f.verdict = 'fail') f
 WHERE {where}
 GROUP BY i.site_id, i.state, i.checklist_key
"""
# Then per site: its point in each system, its jurisdiction's path, and its totals per state from the counts.
SITES = (
    "INSERT INTO map_sites (site_id, jurisdiction_id, jurisdiction_path, kind, p_wgs84, p_gcj02, p_bd09, "
    + ", ".join(TOTALS)
    + ") SELECT s.id, s.jurisdiction_id, j.path, s.kind, ST_Transform(p.p, 3857),"
    " ST_Transform(lantian_to_crs(p.p, 'gcj02'), 3857), ST_Transform(lantian_to_crs(p.p, 'bd09'), 3857), "
    + ", ".join(f"COALESCE(c.{t}, 0)" for t in TOTALS)
    + " FROM sites s JOIN jurisdictions j ON j.id = s.jurisdiction_id"
    " CROSS JOIN LATERAL (SELECT ST_PointOnSurface(s.geom) AS p) p"
    " LEFT JOIN (SELECT site_id, "
    + ", ".join(f"sum(inspections) FILTER (WHERE state = '{st}') AS inspections_{st}" for st in STATES)
    + ", "
    + ", ".join(f"sum(failed_findings) FILTER (WHERE state = '{st}') AS failed_{st}" for st in STATES)
    + " FROM map_site_counts WHERE {counts_where} GROUP BY site_id) c ON c.site_id = s.id WHERE {where}"
)


def refresh_dirty(session: Session, *, batch: int = 2000) -> int:
    """Recompute up to ``batch`` dirty sites → how many (the caller commits)."""
    # One refresh at a time (the job, `flask map refresh`, a rebuild): with appended marks two could take one site
    # and write its rows twice. The other waits for this batch's commit, then finds what is left.
    lock_refresh(session)
    # Marks are appended (a site may be marked many times); each site read is recomputed once. A mark committed
    # after this statement's snapshot stays for the next run.
    ids = sorted(
        set(
            session.scalars(
                text(
                    "DELETE FROM map_dirty WHERE site_id IN (SELECT site_id FROM map_dirty ORDER BY id LIMIT :n"
                    " FOR UPDATE SKIP LOCKED) RETURNING site_id"
                ),
                {"n": batch},
            )
        )
    )
    if ids:
        recompute_sites(session, ids)
    return len(ids)


def recompute_sites(session: Session, ids: Sequence[int]) -> None:
    params = {"ids": list(ids)}
    session.execute(text("DELETE FROM map_site_counts WHERE site_id = ANY(:ids)"), params)
    session.execute(text(COUNTS.format(where="i.site_id = ANY(:ids)")), params)
    session.execute(text("DELETE FROM map_sites WHERE site_id = ANY(:ids)"), params)
    session.execute(text(SITES.format(where="s.id = ANY(:ids)", counts_where="site_id = ANY(:ids)")), params)
    _bump(session)


def lock_refresh(session: Session) -> None:
    """Wait for any other refresh or rebuild of the map rollup to commit (held until this transaction ends)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _REFRESH_LOCK})


def rebuild_all(session: Session) -> None:
    """Recompute the whole rollup from the base tables (after a bulk load; the caller commits)."""
    lock_refresh(session)
    for table in ("map_sites", "map_site_counts", "map_dirty"):
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(text(COUNTS.format(where="true")))
    session.execute(text(SITES.format(where="true", counts_where="true")))
    _bump(session)


def _bump(session: Session) -> None:
    session.execute(
        text(
            "INSERT INTO map_rollup_state (id, version) VALUES (true, 1) ON CONFLICT (id)"
            " DO UPDATE SET version = map_rollup_state.version + 1, refreshed_at = now()"
        )
    )


def rollup_version(session: Session) -> str:
    """What a rollup tile's ETag and kept bytes depend on. With the time of the refresh that set it: a version
    number alone can come round again with other figures (a database restored from an older backup, then
    refreshed), and a process would keep serving the tile it built for the first."""
    row = session.execute(
        text("SELECT version, (extract(epoch FROM refreshed_at) * 1e6)::bigint FROM map_rollup_state")
    ).first()
    return "0" if row is None else f"{row[0]}.{row[1]}"


def pending_sites(session: Session) -> int:
    """Sites waiting for the next refresh (0: every aggregated tile is current)."""
    return int(session.scalar(text("SELECT count(DISTINCT site_id) FROM map_dirty")) or 0)
