"""Statistics: year rows in stats_inspections, an index-only index for the totals, repeat sites per month

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0027'
branch_labels = None
depends_on = None

MEASURES = ("inspections", "passed", "approved", "rejected", "findings", "failed_findings", "fiscal_deduction_fen",
            "statutory_fine_fen", "blocked_lines")

# Backfills at upgrade, so an upgraded database answers at once (app/stats/rollup.py keeps both current from then
# on, in the refresh job, with the month's other rollups):
# - year rows ('y'): the sums of each year's month rows (the same statement as rollup._YEARS);
# - stats_sites: per site and month, the inspections out of draft with a failed finding of their current
#   submission and the last one's moment (the same definition as rollup._SITES over rollup._FACTS).
YEARS = (
    "INSERT INTO stats_inspections (grain, period, jurisdiction_id, checklist_key, site_kind, " + ", ".join(MEASURES) + ")"
    " SELECT 'y', date_trunc('year', period)::date, jurisdiction_id, checklist_key, site_kind, "
    + ", ".join(f"sum({m})" for m in MEASURES)
    + " FROM stats_inspections WHERE grain = 'm'"
    " GROUP BY date_trunc('year', period)::date, jurisdiction_id, checklist_key, site_kind"
)
SITES = """
INSERT INTO stats_sites (period, site_id, jurisdiction_id, failed_inspections, last_failed_at)
SELECT date_trunc('month', lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)))::date,
       i.site_id, s.jurisdiction_id, count(*), max(COALESCE(i.started_at, i.submitted_at, i.created_at))
  FROM inspections i JOIN sites s ON s.id = i.site_id
 WHERE i.state <> 'draft'
   AND EXISTS (SELECT 1 FROM findings f WHERE f.inspection_id = i.id AND f.submission_no = i.submission_count
                  AND f.verdict = 'fail')
 GROUP BY 1, 2, 3
"""


def upgrade():
    op.create_table(
        'stats_sites',
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('failed_inspections', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('period', 'site_id', name=op.f('pk_stats_sites')),
    )
    op.create_index('ix_stats_sites_jurisdiction', 'stats_sites', ['jurisdiction_id', 'period'])
    # Repeat sites over a range of months read (period, site, jurisdiction, count, last) index-only.
    op.create_index('ix_stats_sites_period', 'stats_sites', ['period'],
                    postgresql_include=['site_id', 'jurisdiction_id', 'failed_inspections', 'last_failed_at'])
    op.execute("DELETE FROM stats_inspections WHERE grain = 'y'")
    op.execute(YEARS)
    op.execute(SITES)
    op.create_index(
        'ix_stats_inspections_totals', 'stats_inspections', ['jurisdiction_id', 'grain', 'period'],
        postgresql_where=sa.text("checklist_key = '*' AND site_kind = '*'"), postgresql_include=list(MEASURES),
    )


def downgrade():
    op.drop_index('ix_stats_inspections_totals', table_name='stats_inspections')
    op.execute("DELETE FROM stats_inspections WHERE grain = 'y'")
    op.drop_index('ix_stats_sites_period', table_name='stats_sites')
    op.drop_index('ix_stats_sites_jurisdiction', table_name='stats_sites')
    op.drop_table('stats_sites')
