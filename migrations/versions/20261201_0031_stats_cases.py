"""Case statistics rollups: stats_cases and stats_case_deadlines, kept by the refresh job like the inspection
rollups (triggers on cases, orders to correct and fiscal deductions mark the group in stats_dirty)

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-01 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0029'
branch_labels = None
depends_on = None

OPEN = "('filing', 'investigation', 'notice', 'decision', 'execution')"
MEASURES = ("cases", "open_cases", "closed_cases", "open_filing", "open_investigation", "open_notice",
            "open_decision", "open_execution", "statutory_fine_proposed_fen", "statutory_fine_decided_fen",
            "statutory_fine_paid_fen", "orders", "fiscal_deductions", "fiscal_deduction_proposed_fen",
            "fiscal_deduction_notified_fen", "fiscal_deduction_settled_fen")
BIG = {m for m in MEASURES if m.endswith("_fen")}

# A case, its orders and a fiscal deduction mark the (jurisdiction, Asia/Shanghai month) they count in: a case
# and its orders in the case's jurisdiction and opening month, a deduction in its sub-district and its own month.
# The refresh job (app/stats/rollup.py, every minute) recomputes the marked groups after the writers committed.
TRIGGERS = """
CREATE FUNCTION stats_mark_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (OLD.jurisdiction_id, date_trunc('month', lantian_local_day(OLD.created_at))::date)
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (NEW.jurisdiction_id, date_trunc('month', lantian_local_day(NEW.created_at))::date)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_mark_case AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION stats_mark_case();

CREATE FUNCTION stats_mark_correction_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_dirty (jurisdiction_id, month)
    SELECT c.jurisdiction_id, date_trunc('month', lantian_local_day(c.created_at))::date
      FROM cases c
     WHERE c.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.case_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.case_id END)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_mark_correction_order AFTER INSERT OR UPDATE OR DELETE ON correction_orders
    FOR EACH ROW EXECUTE FUNCTION stats_mark_correction_order();

CREATE FUNCTION stats_mark_fiscal_deduction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (OLD.subdistrict_id, date_trunc('month', lantian_local_day(OLD.created_at))::date)
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (NEW.subdistrict_id, date_trunc('month', lantian_local_day(NEW.created_at))::date)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_mark_fiscal_deduction AFTER INSERT OR UPDATE OR DELETE ON fiscal_deductions
    FOR EACH ROW EXECUTE FUNCTION stats_mark_fiscal_deduction();
"""

# Backfill (the same definitions as app/stats/case_rollup.py, counted in every ancestor as rollup.rebuild_all
# does): month and week rows from the facts, year rows from the month rows.
FACTS = f"""
CREATE TEMP TABLE stats_case_facts ON COMMIT DROP AS
SELECT c.jurisdiction_id, lantian_local_day(c.created_at) AS day, NULL::date AS deadline, 1 AS cases,
       (c.stage IN {OPEN})::int AS open_cases, (c.stage = 'closed')::int AS closed_cases,
       (c.stage = 'filing')::int AS open_filing, (c.stage = 'investigation')::int AS open_investigation,
       (c.stage = 'notice')::int AS open_notice, (c.stage = 'decision')::int AS open_decision,
       (c.stage = 'execution')::int AS open_execution,
       COALESCE(c.proposed_fine_fen, 0) AS statutory_fine_proposed_fen,
       COALESCE(c.decided_fine_fen, 0) AS statutory_fine_decided_fen, COALESCE(c.paid_fen, 0) AS statutory_fine_paid_fen,
       (SELECT count(*) FROM correction_orders o WHERE o.case_id = c.id)::int AS orders,
       0 AS fiscal_deductions, 0::bigint AS fiscal_deduction_proposed_fen, 0::bigint AS fiscal_deduction_notified_fen,
       0::bigint AS fiscal_deduction_settled_fen, 0 AS open_orders
  FROM cases c
UNION ALL
SELECT f.subdistrict_id, lantian_local_day(f.created_at), NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, f.amount_fen,
       CASE WHEN f.status IN ('notified', 'settled') THEN f.amount_fen ELSE 0 END,
       CASE WHEN f.status = 'settled' THEN f.amount_fen ELSE 0 END, 0
  FROM fiscal_deductions f
UNION ALL
SELECT c.jurisdiction_id, lantian_local_day(c.created_at), o.deadline, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       count(*)::int
  FROM correction_orders o JOIN cases c ON c.id = o.case_id
 WHERE o.status = 'open' AND c.stage IN {OPEN}
 GROUP BY 1, 2, 3
"""
ROLLED = """
  FROM (SELECT f.*, date_trunc('{trunc}', f.day)::date AS period FROM stats_case_facts f) sf
  JOIN jurisdictions j ON j.id = sf.jurisdiction_id
  CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM j.path), '/')) AS anc(code)
  JOIN jurisdictions a ON a.code = anc.code
"""


def _inserts(grain, trunc):
    rolled = ROLLED.format(trunc=trunc)
    return [
        f"INSERT INTO stats_cases (grain, period, jurisdiction_id, {', '.join(MEASURES)})"
        f" SELECT '{grain}', sf.period, a.id, {', '.join(f'sum(sf.{m})' for m in MEASURES)}"
        f" {rolled} WHERE sf.deadline IS NULL GROUP BY sf.period, a.id",
        "INSERT INTO stats_case_deadlines (grain, period, jurisdiction_id, deadline, open_orders)"
        f" SELECT '{grain}', sf.period, a.id, sf.deadline, sum(sf.open_orders)"
        f" {rolled} WHERE sf.deadline IS NOT NULL GROUP BY sf.period, a.id, sf.deadline",
    ]


YEARS = [
    f"INSERT INTO stats_cases (grain, period, jurisdiction_id, {', '.join(MEASURES)})"
    f" SELECT 'y', date_trunc('year', period)::date, jurisdiction_id, {', '.join(f'sum({m})' for m in MEASURES)}"
    " FROM stats_cases WHERE grain = 'm' GROUP BY date_trunc('year', period)::date, jurisdiction_id",
    "INSERT INTO stats_case_deadlines (grain, period, jurisdiction_id, deadline, open_orders)"
    " SELECT 'y', date_trunc('year', period)::date, jurisdiction_id, deadline, sum(open_orders)"
    " FROM stats_case_deadlines WHERE grain = 'm' GROUP BY date_trunc('year', period)::date, jurisdiction_id, deadline",
]


def upgrade():
    op.create_table(
        'stats_cases',
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        *[sa.Column(m, sa.BigInteger() if m in BIG else sa.Integer(), nullable=False) for m in MEASURES],
        sa.PrimaryKeyConstraint('jurisdiction_id', 'grain', 'period', name=op.f('pk_stats_cases')),
    )
    op.create_table(
        'stats_case_deadlines',
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('open_orders', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('jurisdiction_id', 'grain', 'period', 'deadline', name=op.f('pk_stats_case_deadlines')),
    )
    op.execute(TRIGGERS)
    op.execute(FACTS)
    for grain, trunc in (('m', 'month'), ('w', 'week')):
        for statement in _inserts(grain, trunc):
            op.execute(statement)
    for statement in YEARS:
        op.execute(statement)
    op.execute("DROP TABLE stats_case_facts")


def downgrade():
    op.execute("DROP TRIGGER stats_mark_fiscal_deduction ON fiscal_deductions")
    op.execute("DROP TRIGGER stats_mark_correction_order ON correction_orders")
    op.execute("DROP TRIGGER stats_mark_case ON cases")
    op.execute("DROP FUNCTION stats_mark_fiscal_deduction()")
    op.execute("DROP FUNCTION stats_mark_correction_order()")
    op.execute("DROP FUNCTION stats_mark_case()")
    op.drop_table('stats_case_deadlines')
    op.drop_table('stats_cases')
