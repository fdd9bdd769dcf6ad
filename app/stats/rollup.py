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

from app.stats.case_rollup import CASE_FACTS, CASE_INSERTS, case_facts_where
from app.stats.models import CASE_MEASURES, TOTAL_MEASURES

MAX_STALENESS_SECONDS = 60  # the refresh job's cron period: every minute
_REFRESH_LOCK = 7_301_701  # arbitrary: pg_advisory_xact_lock key of the statistics refresh

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
# A full rebuild counts each fact in every ancestor at once (_ROLLED); a refresh writes the facts of the affected
# jurisdictions' own sites only (_OWN) and adds their children's rows afterwards (``_add_children``).
_ROLLED = """
  FROM (SELECT f.*, date_trunc(:trunc, f.day)::date AS period FROM {facts} f) sf
  JOIN jurisdictions j ON j.id = sf.jurisdiction_id
  CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM j.path), '/')) AS anc(code)
  JOIN jurisdictions a ON a.code = anc.code
"""
_OWN = """
  FROM (SELECT f.*, date_trunc(:trunc, f.day)::date AS period FROM {facts} f) sf
  CROSS JOIN LATERAL (SELECT sf.jurisdiction_id AS id) AS a
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
    + "{rolled}"
    + """
 WHERE {keep} AND {nodes}
 GROUP BY GROUPING SETS ((sf.period, a.id, sf.checklist_key, sf.site_kind), (sf.period, a.id));
INSERT INTO stats_items (grain, period, jurisdiction_id, checklist_key, item_key, findings, failed, na)
SELECT :grain, sf.period, a.id, sf.checklist_key,
       -- a repeatable group's findings (machines.3.emission_stage) count under the group item (machines.*.emission_stage)
       regexp_replace(fi.item_key, '^([a-z][a-z0-9_]*)\\.[0-9]+\\.', '\\1.*.'), count(*),
       count(*) FILTER (WHERE fi.verdict = 'fail'), count(*) FILTER (WHERE fi.verdict = 'na')
"""
    + "{rolled}"
    + """
  JOIN findings fi ON fi.inspection_id = sf.id AND fi.submission_no = sf.submission_count
 WHERE {keep} AND {nodes} GROUP BY 2, 3, 4, 5;
INSERT INTO stats_inspectors (grain, period, jurisdiction_id, inspector_id, inspections, passed, failed_findings,
       fiscal_deduction_fen, statutory_fine_fen)
SELECT :grain, sf.period, a.id, sf.created_by_id, count(*),
       count(*) FILTER (WHERE sf.failed = 0), sum(sf.failed), sum(sf.fiscal), sum(sf.fine)
"""
    + "{rolled}"
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


@dataclass(frozen=True)
class Rollup:
    """A rollup table: its key columns besides (grain, period, jurisdiction_id), its additive measures, and
    whether it keeps year rows (the sums of a year's month rows)."""

    table: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    years: bool


ROLLUPS = (
    Rollup("stats_inspections", ("checklist_key", "site_kind"), TOTAL_MEASURES, True),
    Rollup("stats_items", ("checklist_key", "item_key"), ("findings", "failed", "na"), False),
    Rollup(
        "stats_inspectors",
        ("inspector_id",),
        ("inspections", "passed", "failed_findings", "fiscal_deduction_fen", "statutory_fine_fen"),
        False,
    ),
    Rollup("stats_cases", (), CASE_MEASURES, True),
    Rollup("stats_case_deadlines", ("deadline",), ("open_orders",), True),
)


def _years_sql(r: Rollup, where: str) -> str:
    """Year rows (grain 'y'): the sums of a calendar year's month rows, so a question over years (by jurisdiction
    at township level over every year: 2,512 townships) reads a few rows per jurisdiction instead of one per
    month (app/stats/queries.py reads months only for the partial years at either end)."""
    cols = ", ".join((*r.keys, *r.measures))
    keys = "".join(f", {k}" for k in r.keys)
    sums = ", ".join(f"sum({m})" for m in r.measures)
    return (
        f"INSERT INTO {r.table} (grain, period, jurisdiction_id, {cols})"
        f" SELECT 'y', date_trunc('year', period)::date, jurisdiction_id{keys}, {sums}"
        f" FROM {r.table} WHERE grain = 'm' AND {where}"
        f" GROUP BY date_trunc('year', period)::date, jurisdiction_id{keys}"
    )


def _children_sql(r: Rollup) -> str:
    """Add the rows of the children of ``:parents`` to the parents' rows (the month and its weeks): a parent's
    row holds its own sites' figures plus its children's subtrees."""
    cols = ", ".join(("grain", "period", "jurisdiction_id", *r.keys, *r.measures))
    keys = "".join(f", t.{k}" for k in r.keys)
    sums = ", ".join(f"sum(t.{m})" for m in r.measures)
    conflict = ", ".join(("grain", "period", "jurisdiction_id", *r.keys))
    update = ", ".join(f"{m} = {r.table}.{m} + EXCLUDED.{m}" for m in r.measures)
    return (
        f"INSERT INTO {r.table} ({cols})"
        f" SELECT t.grain, t.period, j.parent_id{keys}, {sums}"
        f" FROM {r.table} t JOIN jurisdictions j ON j.id = t.jurisdiction_id"
        " WHERE j.parent_id = ANY(:parents) AND ((t.grain = 'm' AND t.period = :m_lo)"
        " OR (t.grain = 'w' AND t.period >= :w_lo AND t.period < :w_hi))"
        f" GROUP BY t.grain, t.period, j.parent_id{keys}"
        f" ON CONFLICT ({conflict}) DO UPDATE SET {update}"
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


def _insert(session: Session, grain: str, keep: str, *, own: bool, params: dict[str, object]) -> None:
    """Insert the ``grain`` rows of the facts kept by ``keep``: in every ancestor (a rebuild) or in each fact's
    own jurisdiction only (``own``: a refresh, which adds the children's rows afterwards)."""
    trunc = "month" if grain == "m" else "week"
    frm = _OWN if own else _ROLLED
    keep = keep.replace("day", "sf.day")
    sql = _INSERTS.format(keep=keep, nodes="true", rolled=frm.format(facts="stats_facts"))
    sql += ";" + CASE_INSERTS.format(keep=keep, rolled=frm.format(facts="stats_case_facts"))
    _run(session, sql, {"grain": grain, "trunc": trunc, **params})


def _affected(session: Session, jurisdiction_ids: list[int]) -> list[tuple[int, int]]:
    """(id, depth) of the jurisdictions and all their ancestors, deepest first."""
    rows = session.execute(
        text(
            "SELECT DISTINCT a.id, a.path FROM jurisdictions j"
            " CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM j.path), '/')) AS anc(code)"
            " JOIN jurisdictions a ON a.code = anc.code WHERE j.id = ANY(:ids)"
        ),
        {"ids": jurisdiction_ids},
    ).all()
    return sorted(((i, p.count("/")) for i, p in rows), key=lambda r: (-r[1], r[0]))


def recompute_month(session: Session, jurisdiction_ids: list[int], month: date) -> None:
    """Rewrite the month row and the overlapping week rows of these jurisdictions and all their ancestors.

    Only the facts of these jurisdictions' own sites (cases, deductions) are read from the base tables; each
    ancestor's row is its own facts plus the sum of its children's rows, written deepest level first, so a
    change in one township reads that township's month and a few rows per level above it (a test checks the
    result equals a full rebuild)."""
    end = next_month(month)
    w_lo, w_hi = week_start(month), week_start(end - timedelta(days=1)) + timedelta(days=7)
    affected = _affected(session, jurisdiction_ids)
    nodes = [i for i, _ in affected]
    params: dict[str, object] = {"nodes": nodes, "m_lo": month, "m_hi": end, "w_lo": w_lo, "w_hi": w_hi}
    for r in ROLLUPS:
        session.execute(
            text(
                f"DELETE FROM {r.table} WHERE jurisdiction_id = ANY(:nodes) AND ((grain = 'm' AND period = :m_lo)"
                " OR (grain = 'w' AND period >= :w_lo AND period < :w_hi))"
            ),
            params,
        )
    _run(session, _FACTS.format(where="s.jurisdiction_id = ANY(:nodes) AND d.day >= :w_lo AND d.day < :w_hi"), params)
    _run(session, CASE_FACTS.format(**case_facts_where("ANY(:nodes)", "w_lo", "w_hi")), params)
    _insert(session, "m", "day >= :m_lo AND day < :m_hi", own=True, params=params)
    _insert(session, "w", "true", own=True, params=params)
    for depth in sorted({d for _, d in affected}, reverse=True):
        parents = [i for i, d in affected if d == depth]
        for r in ROLLUPS:
            session.execute(text(_children_sql(r)), {**params, "parents": parents})
    # A site's rows go wherever they were recorded (a moved site's old jurisdiction may not be marked).
    session.execute(
        text(
            "DELETE FROM stats_sites WHERE period = :m_lo AND (jurisdiction_id = ANY(:nodes)"
            " OR site_id IN (SELECT id FROM sites WHERE jurisdiction_id = ANY(:nodes)))"
        ),
        params,
    )
    session.execute(text(_SITES.format(where="sf.day >= :m_lo AND sf.day < :m_hi")), params)
    session.execute(text("DROP TABLE stats_facts"))
    session.execute(text("DROP TABLE stats_case_facts"))
    recompute_year(session, nodes, month)


def recompute_year(session: Session, nodes: list[int], month: date) -> None:
    """Rewrite the year rows of ``month``'s year for these jurisdictions from their (current) month rows."""
    year = month.replace(month=1, day=1)
    params: dict[str, object] = {"nodes": nodes, "y_lo": year, "y_hi": year.replace(year=year.year + 1)}
    for r in ROLLUPS:
        if not r.years:
            continue
        session.execute(
            text(f"DELETE FROM {r.table} WHERE grain = 'y' AND period = :y_lo AND jurisdiction_id = ANY(:nodes)"),
            params,
        )
        session.execute(
            text(_years_sql(r, "period >= :y_lo AND period < :y_hi AND jurisdiction_id = ANY(:nodes)")), params
        )


def refresh_dirty(session: Session, *, batch: int = 500) -> RefreshResult:
    """Recompute the groups of the oldest ``batch`` marks (the caller commits)."""
    # One refresh at a time (the job, `flask stats refresh`, a rebuild): two refreshes of different groups of one
    # month both rewrite the ancestors' rows, and with appended marks (0037) two could even take one group. The
    # other waits for this batch's commit, then finds what is left.
    lock_refresh(session)
    # Marks are appended (0037): every mark of a taken group goes, however often it was marked.
    keys = set(
        session.execute(
            text(
                "DELETE FROM stats_dirty WHERE (jurisdiction_id, month) IN (SELECT jurisdiction_id, month"
                " FROM stats_dirty ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING jurisdiction_id, month"
            ),
            {"n": batch},
        ).tuples()
    )
    by_month: dict[date, list[int]] = {}
    for jurisdiction_id, month in keys:
        by_month.setdefault(month, []).append(jurisdiction_id)
    for month in sorted(by_month):
        recompute_month(session, sorted(by_month[month]), month)
    if keys:
        advance_version(session)
    return RefreshResult(groups=len(keys))


def lock_refresh(session: Session) -> None:
    """Wait for any other refresh or rebuild of these rollups to commit (held until this transaction ends)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _REFRESH_LOCK})


def rebuild_all(session: Session) -> None:
    """Recompute every rollup from the base tables (after a bulk load; the caller commits)."""
    lock_refresh(session)
    for table in (*(r.table for r in ROLLUPS), "stats_sites", "stats_dirty"):
        session.execute(text(f"DELETE FROM {table}"))
    _run(session, _FACTS.format(where="true"), {})
    _run(session, CASE_FACTS.format(**case_facts_where(None, None, None)), {})
    _insert(session, "m", "true", own=False, params={})
    _insert(session, "w", "true", own=False, params={})
    session.execute(text(_SITES.format(where="true")))
    session.execute(text("DROP TABLE stats_facts"))
    session.execute(text("DROP TABLE stats_case_facts"))
    for r in ROLLUPS:
        if r.years:
            session.execute(text(_years_sql(r, "true")))
    advance_version(session)


def advance_version(session: Session) -> None:
    """Every finished answer cached for an older version is stale (app/stats/answer_cache.py). A sequence never
    rolls back: a refresh that fails still advances it, which only costs a recomputed answer."""
    session.execute(text("SELECT nextval('stats_rollup_version')"))
    # Built answers of older versions are never asked for again (their tag names the version); a day-old one
    # belongs to another day's "as of" figures.
    session.execute(
        text(
            "DELETE FROM stats_answers WHERE rollup_version < currval('stats_rollup_version')"
            " OR built_at < now() - interval '1 day'"
        )
    )


def rollup_state(session: Session) -> tuple[int, int]:
    """(rollup version, groups waiting for the next refresh): what a cached answer depends on."""
    version, pending = session.execute(
        # last_value reads 1 both before and after the first nextval: is_called tells them apart.
        text(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END,"
            " (SELECT count(*) FROM (SELECT DISTINCT jurisdiction_id, month FROM stats_dirty) AS g)"
            " FROM stats_rollup_version"
        )
    ).one()
    return int(version), int(pending)


def pending_groups(session: Session) -> int:
    """Groups waiting for the next refresh (0: every figure is current)."""
    groups = "SELECT count(*) FROM (SELECT DISTINCT jurisdiction_id, month FROM stats_dirty) AS g"
    return int(session.scalar(text(groups)) or 0)
