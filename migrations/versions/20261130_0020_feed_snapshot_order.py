"""The sync feed orders changes by (writer transaction id, change_seq) and hands out only changes below the
oldest running transaction, instead of serialising every inspection write under one advisory lock

Revision ID: 0020
Revises: 0017
Create Date: 2026-11-30 19:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows take the migration's own id: all of them are committed, so any position works for them.
    op.execute("ALTER TABLE inspections ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.create_index('ix_inspections_change_xid_seq', 'inspections', ['change_xid', 'change_seq'])


def downgrade():
    op.drop_index('ix_inspections_change_xid_seq', table_name='inspections')
    op.drop_column('inspections', 'change_xid')
