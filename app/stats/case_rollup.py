"""The case statistics' rollups (stats_cases, stats_case_deadlines): the facts and inserts the refresh writes
(app/stats/rollup.py) for cases, their orders to correct and the fiscal deductions.

A case counts in the (Asia/Shanghai) month and week it was opened, in its jurisdiction and each ancestor, with
its stage and amounts as they stand now; its orders to correct count with it; a fiscal deduction counts in its
own month, in the sub-district it is charged to (000§五(二)). Triggers (migration 0031) mark the group of any
case, order or deduction written, so the refresh job rewrites it within a minute like the inspection rollups.

"Overdue" depends on the day it is asked (an order is overdue the day after its deadline, app/cases/overdue.py),
so open orders of open cases are kept per deadline (stats_case_deadlines) and counted against ``today`` when
read. Every figure equals the live computation over the base tables (``app.stats.case_queries.case_rows``; a
test compares them on generated data).
"""

from __future__ import annotations

from app.cases.transitions import OPEN_STAGES
from app.stats.models import CASE_MEASURES

_OPEN = ", ".join(f"'{s}'" for s in OPEN_STAGES)
_ZERO_CASE = ", ".join("0" for _ in range(3 + len(OPEN_STAGES) + 4))

CASE_FACTS = (
    """
DROP TABLE IF EXISTS stats_case_facts;
CREATE TEMP TABLE stats_case_facts ON COMMIT DROP AS
SELECT c.jurisdiction_id, lantian_local_day(c.created_at) AS day, NULL::date AS deadline, 1 AS cases,
       (c.stage IN ("""
    + _OPEN
    + """))::int AS open_cases, (c.stage = 'closed')::int AS closed_cases, """
    + ", ".join(f"(c.stage = '{s}')::int AS open_{s}" for s in OPEN_STAGES)
    + """,
       COALESCE(c.proposed_fine_fen, 0) AS statutory_fine_proposed_fen,
       COALESCE(c.decided_fine_fen, 0) AS statutory_fine_decided_fen, COALESCE(c.paid_fen, 0) AS statutory_fine_paid_fen,
       (SELECT count(*) FROM correction_orders o WHERE o.case_id = c.id)::int AS orders,
       0 AS fiscal_deductions, 0::bigint AS fiscal_deduction_proposed_fen, 0::bigint AS fiscal_deduction_notified_fen,
       0::bigint AS fiscal_deduction_settled_fen, 0 AS open_orders
  FROM cases c WHERE {case_where}
UNION ALL
SELECT f.subdistrict_id, lantian_local_day(f.created_at), NULL, """
    + ", ".join("0" for _ in range(3 + len(OPEN_STAGES) + 3))
    + """, 0, 1, f.amount_fen, CASE WHEN f.status IN ('notified', 'settled') THEN f.amount_fen ELSE 0 END,
       CASE WHEN f.status = 'settled' THEN f.amount_fen ELSE 0 END, 0
  FROM fiscal_deductions f WHERE {fiscal_where}
UNION ALL
SELECT c.jurisdiction_id, lantian_local_day(c.created_at), o.deadline, """
    + _ZERO_CASE
    + """, 0, 0, 0, 0, count(*)::int
  FROM correction_orders o JOIN cases c ON c.id = o.case_id
 WHERE o.status = 'open' AND c.stage IN ("""
    + _OPEN
    + """) AND {case_where}
 GROUP BY 1, 2, 3
"""
)

_COLS = ", ".join(CASE_MEASURES)
CASE_INSERTS = (
    f"INSERT INTO stats_cases (grain, period, jurisdiction_id, {_COLS})"
    " SELECT :grain, sf.period, a.id, "
    + ", ".join(f"sum(sf.{m})" for m in CASE_MEASURES)
    + " {rolled} WHERE {keep} AND sf.deadline IS NULL GROUP BY sf.period, a.id;"
    " INSERT INTO stats_case_deadlines (grain, period, jurisdiction_id, deadline, open_orders)"
    " SELECT :grain, sf.period, a.id, sf.deadline, sum(sf.open_orders)"
    " {rolled} WHERE {keep} AND sf.deadline IS NOT NULL GROUP BY sf.period, a.id, sf.deadline"
)


def case_facts_where(nodes: str | None, lo: str | None, hi: str | None) -> dict[str, str]:
    """WHERE clauses of CASE_FACTS: cases (and deductions) of the jurisdictions ``= <nodes>`` opened on a day in
    [:lo, :hi); everything when None."""
    if nodes is None:
        return {"case_where": "true", "fiscal_where": "true"}
    return {
        "case_where": f"c.jurisdiction_id = {nodes} AND lantian_local_day(c.created_at) >= :{lo}"
        f" AND lantian_local_day(c.created_at) < :{hi}",
        "fiscal_where": f"f.subdistrict_id = {nodes} AND lantian_local_day(f.created_at) >= :{lo}"
        f" AND lantian_local_day(f.created_at) < :{hi}",
    }
