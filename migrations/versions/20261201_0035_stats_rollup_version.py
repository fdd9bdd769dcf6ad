"""Statistics: a version of the rollups, advanced by every refresh that rewrote a group and by a rebuild, so a
finished answer can be kept and revalidated (ETag) until the figures change; index-only ranges over the case
rollups' periods (a province's townships are joined, not listed)

Revision ID: 0035
Revises: 0031
Create Date: 2026-12-01 06:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0031'
branch_labels = None
depends_on = None

CASE_MEASURES = ["cases", "open_cases", "closed_cases", "open_filing", "open_investigation", "open_notice",
                 "open_decision", "open_execution", "statutory_fine_proposed_fen", "statutory_fine_decided_fen",
                 "statutory_fine_paid_fen", "orders", "fiscal_deductions", "fiscal_deduction_proposed_fen",
                 "fiscal_deduction_notified_fen", "fiscal_deduction_settled_fen"]


def upgrade():
    op.execute("CREATE SEQUENCE stats_rollup_version")
    op.create_index('ix_stats_cases_grain', 'stats_cases', ['grain', 'period'],
                    postgresql_include=['jurisdiction_id', *CASE_MEASURES])
    op.create_index('ix_stats_case_deadlines_grain', 'stats_case_deadlines', ['grain', 'period'],
                    postgresql_include=['jurisdiction_id', 'deadline', 'open_orders'])


def downgrade():
    op.drop_index('ix_stats_case_deadlines_grain', table_name='stats_case_deadlines')
    op.drop_index('ix_stats_cases_grain', table_name='stats_cases')
    op.execute("DROP SEQUENCE stats_rollup_version")
