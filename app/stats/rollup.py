"""Keeping the statistics rollups current: recompute the dirty (jurisdiction, month) groups from the base tables.

Triggers (migration 0017) mark a group in the writer's own transaction; ``refresh_dirty`` runs every minute on
the job queue (``app.stats.tasks``), after those writers committed, so a figure is at most about a minute old
(``MAX_STALENESS_SECONDS``), and a group two writers changed at once is recomputed from both committed changes.
``rebuild_all`` recomputes everything (the bench generator after a bulk load; ``flask stats rebuild``).

What counts: inspections out of draft (submitted, returned, approved, rejected) on their Asia/Shanghai date
(app/localtime.py: the phone's start, else submission, else creation); their current findings; the lines of
their current penalty computation (money is integer fen, as stored). A figure here always equals the sum of
the per-inspection lines: a test recomputes it from penalty_lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_STALENESS_SECONDS = 60  # the refresh job's cron period: every minute

_FACTS = """
DROP TABLE IF EXISTS stats_facts;
CREATE TEMP TABLE stats_facts ON COMMIT DROP AS
SELECT i.id, i.checklist_key, s.kind AS site_kind, s.jurisdiction_id, i.created_by_id, i.submission_count,
       i.state, d.day, i.site_id, COALESCE(i.started_at, i.submitted_at, i.created_at) AS moment,
       COALESCE(f.findings, 0) AS findings, COALESCE(f.failed, 0) AS failed,
       COALESCE(p.fiscal, 0) AS fiscal, COALESCE(p.fine, 0) AS fine, COALESCE(p.blocked, 0) AS blocked
  FROM inspections i
  JOIN sites s ON s.id = i.site_id
  CROSS JOIN LATERAL (SELECT lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)) AS day) d
  LEFT JOIN LATERAL (
        SELECT count(*) AS findings, count(*) FILTER (WHERE fi.verdict = 'fail') AS failed
          FROM findings fi WHERE fi.inspection_id = i.id AND fi.submission_no = i.submission_count) f ON true
  LEFT JOIN LATERAL (
        SELECT sum(l.amount_fen) FILTER (WHERE l.kind = 'fiscal_deduction') AS fiscal,
               sum(l.amount_fen) FILTER (WHERE l.kind = 'statutory_fine') AS fine,
               count(*) FILTER (WHERE l.status = 'blocked_amount_to_be_set') AS blocked
          FROM penalty_lines l JOIN penalty_computations c ON c.id = l.computation_id AND c.is_current
         WHERE l.inspection_id = i.id) p ON true
 WHERE i.state <> 'draft' AND {where};
"""

# Every fact counts in its site's jurisdiction and in each ancestor (the path's codes): a row holds the figures of
# a jurisdiction's whole subtree, so any level is read from its own rows, never summed over the tree at query time.
# stats_inspections also gets a '*'/'*' row per jurisdiction and period (GROUPING SETS): the totals across
# checklists and kinds that most questions ask for, a few rows per jurisdiction and month.
_ROLLED = """
  FROM (SELECT f.*, date_trunc(:trunc, f.day)::date AS period FROM stats_facts f) sf
  JOIN jurisdictions j ON j.id = sf.jurisdiction_id
  CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM j.path), '/')) AS anc(code)
  JOIN jurisdictions a ON a.code = anc.code
"""

_INSERTS = (
    """
INSERT INTO stats_inspections (grain, period, jurisdiction_id, checklist_key, site_kind, inspections, passed,
       approved, rejected, findings, failed_findings, fiscal_deduction_fen, statutory_fine_fen, blocked_lines)
SELECT :grain, sf.period, a.id, COALESCE(sf.checklist_key, '*'), COALESCE(sf.site_kind, '*'), count(*),
       count(*) FILTER (WHERE sf.failed = 0), count(*) FILTER (WHERE sf.state = 'approved'),
       count(*) FILTER (WHERE sf.state = 'rejected'), sum(sf.findings), sum(sf.failed), sum(sf.fiscal), sum(sf.fine),
       sum(sf.blocked)
"""
    + _ROLLED
    + """
 WHERE {keep} AND {nodes}
 GROUP BY GROUPING SETS ((sf.period, a.id, sf.checklist_key, sf.site_kind), (sf.period, a.id));
INSERT INTO stats_items (grain, period, jurisdiction_id, checklist_key, item_key, findings, failed, na)
SELECT :grain, sf.period, a.id, sf.checklist_key,
       -- a repeatable group's findings (machines.3.emission_stage) count under the group item (machines.*.emission_stage)
       regexp_replace(fi.item_key, '^([a-z][a-z0-9_]*)\\.[0-9]+\\.', '\\1.*.'), count(*),
       count(*) FILTER (WHERE fi.verdict = 'fail'), count(*) FILTER (WHERE fi.verdict = 'na')
"""
    + _ROLLED
    + """
  JOIN findings fi ON fi.inspection_id = sf.id AND fi.submission_no = sf.submission_count
 WHERE {keep} AND {nodes} GROUP BY 2, 3, 4, 5;
INSERT INTO stats_inspectors (grain, period, jurisdiction_id, inspector_id, inspections, passed, failed_findings,
       fiscal_deduction_fen, statutory_fine_fen)
SELECT :grain, sf.period, a.id, sf.created_by_id, count(*),
       count(*) FILTER (WHERE sf.failed = 0), sum(sf.failed), sum(sf.fiscal), sum(sf.fine)
"""
    + _ROLLED
    + """
 WHERE {keep} AND {nodes} GROUP BY 2, 3, 4;
"""
)

_TABLES = ("stats_inspections", "stats_items", "stats_inspectors")

# Sites found failing, per month (repeat offenders, app/stats/repeat_sites.py): inspections with a failed current
# finding and the last one's moment, per site and month, in the site's jurisdiction (a site's count is not a sum
# of jurisdiction figures, so it is kept per site).
_SITES = """
INSERT INTO stats_sites (period, site_id, jurisdiction_id, failed_inspections, last_failed_at)
SELECT date_trunc('month', sf.day)::date, sf.site_id, sf.jurisdiction_id, count(*), max(sf.moment)
  FROM stats_facts sf
 WHERE sf.failed > 0 AND {where}
 GROUP BY 1, 2, 3
"""

# Year rows (grain 'y', stats_inspections only): the sums of a calendar year's month rows, so a question over
# years (by jurisdiction at township level over every year: 2,512 townships) reads a few rows per jurisdiction
# instead of one per month (app/stats/queries.py reads months only for the partial years at either end).
_MEASURES = (
    "inspections, passed, approved, rejected, findings, failed_findings, fiscal_deduction_fen, statutory_fine_fen,"
    " blocked_lines"
)
_YEARS = (
    f"INSERT INTO stats_inspections (grain, period, jurisdiction_id, checklist_key, site_kind, {_MEASURES})"
    " SELECT 'y', date_trunc('year', period)::date, jurisdiction_id, checklist_key, site_kind, "
    + ", ".join(f"sum({m.strip()})" for m in _MEASURES.split(","))
    + " FROM stats_inspections WHERE grain = 'm' AND {where}"
    " GROUP BY date_trunc('year', period)::date, jurisdiction_id, checklist_key, site_kind"
)


@dataclass(frozen=True)
class RefreshResult:
    groups: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _run(session: Session, sql: str, params: dict[str, object]) -> None:
    for statement in (s.strip() for s in sql.split(";")):
        if statement:
            session.execute(text(statement), params)


def _insert(session: Session, grain: str, keep: str, nodes: str, params: dict[str, object]) -> None:
    trunc = "month" if grain == "m" else "week"
    sql = _INSERTS.format(keep=keep.replace("day", "sf.day"), nodes=nodes)
    _run(session, sql, {"grain": grain, "trunc": trunc, **params})


def _ancestors_or_self(session: Session, jurisdiction_ids: list[int]) -> tuple[list[int], list[str]]:
    """(ids of the jurisdictions and all their ancestors, paths of the topmost of them)."""
    rows = session.execute(
        text(
            "SELECT DISTINCT a.id, a.path FROM jurisdictions j"
            " CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM j.path), '/')) AS anc(code)"
            " JOIN jurisdictions a ON a.code = anc.code WHERE j.id = ANY(:ids)"
        ),
        {"ids": jurisdiction_ids},
    ).all()
    paths = sorted(p for _, p in rows)
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return [i for i, _ in rows], tops


def recompute_month(session: Session, jurisdiction_ids: list[int], month: date) -> None:
    """Rewrite the month row and the overlapping week rows of these jurisdictions and all their ancestors."""
    end = next_month(month)
    w_lo, w_hi = week_start(month), week_start(end - timedelta(days=1)) + timedelta(days=7)
    nodes, tops = _ancestors_or_self(session, jurisdiction_ids)
    params: dict[str, object] = {"nodes": nodes, "tops": tops, "m_lo": month, "m_hi": end, "w_lo": w_lo, "w_hi": w_hi}
    for table in _TABLES:
        session.execute(
            text(
                f"DELETE FROM {table} WHERE jurisdiction_id = ANY(:nodes) AND ((grain = 'm' AND period = :m_lo)"
                " OR (grain = 'w' AND period >= :w_lo AND period < :w_hi))"
            ),
            params,
        )
    where = (
        "s.jurisdiction_id IN (SELECT id FROM jurisdictions WHERE path LIKE ANY(SELECT unnest(CAST(:tops AS text[]))"
        " || '%')) AND d.day >= :w_lo AND d.day < :w_hi"
    )
    _run(session, _FACTS.format(where=where), params)
    _insert(session, "m", "day >= :m_lo AND day < :m_hi", "a.id = ANY(:nodes)", params)
    _insert(session, "w", "true", "a.id = ANY(:nodes)", params)
    session.execute(
        text(
            "DELETE FROM stats_sites WHERE period = :m_lo AND jurisdiction_id IN (SELECT id FROM jurisdictions"
            " WHERE path LIKE ANY(SELECT unnest(CAST(:tops AS text[])) || '%'))"
        ),
        params,
    )
    session.execute(text(_SITES.format(where="sf.day >= :m_lo AND sf.day < :m_hi")), params)
    session.execute(text("DROP TABLE stats_facts"))
    recompute_year(session, nodes, month)


def recompute_year(session: Session, nodes: list[int], month: date) -> None:
    """Rewrite the year rows of ``month``'s year for these jurisdictions from their (current) month rows."""
    year = month.replace(month=1, day=1)
    params: dict[str, object] = {"nodes": nodes, "y_lo": year, "y_hi": year.replace(year=year.year + 1)}
    session.execute(
        text("DELETE FROM stats_inspections WHERE grain = 'y' AND period = :y_lo AND jurisdiction_id = ANY(:nodes)"),
        params,
    )
    session.execute(
        text(_YEARS.format(where="period >= :y_lo AND period < :y_hi AND jurisdiction_id = ANY(:nodes)")), params
    )


def refresh_dirty(session: Session, *, batch: int = 500) -> RefreshResult:
    """Recompute up to ``batch`` dirty groups (the caller commits). Groups another refresh holds are skipped."""
    keys = session.execute(
        text(
            "DELETE FROM stats_dirty WHERE (jurisdiction_id, month) IN (SELECT jurisdiction_id, month FROM stats_dirty"
            " ORDER BY marked_at LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING jurisdiction_id, month"
        ),
        {"n": batch},
    ).all()
    by_month: dict[date, list[int]] = {}
    for jurisdiction_id, month in keys:
        by_month.setdefault(month, []).append(jurisdiction_id)
    for month in sorted(by_month):
        recompute_month(session, sorted(by_month[month]), month)
    return RefreshResult(groups=len(keys))


def rebuild_all(session: Session) -> None:
    """Recompute every rollup from the base tables (after a bulk load; the caller commits)."""
    for table in (*_TABLES, "stats_sites", "stats_dirty"):
        session.execute(text(f"DELETE FROM {table}"))
    _run(session, _FACTS.format(where="true"), {})
    _insert(session, "m", "true", "true", {})
    _insert(session, "w", "true", "true", {})
    session.execute(text(_SITES.format(where="true")))
    session.execute(text("DROP TABLE stats_facts"))
    session.execute(text(_YEARS.format(where="true")))


def pending_groups(session: Session) -> int:
    """Groups waiting for the next refresh (0: every figure is current)."""
    return int(session.scalar(text("SELECT count(*) FROM stats_dirty")) or 0)
