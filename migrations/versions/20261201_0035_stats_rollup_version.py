"""Statistics: a version of the rollups, advanced by every refresh that rewrote a group and by a rebuild, so a
finished answer can be cached and revalidated (ETag) until the figures change

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


def upgrade():
    op.execute("CREATE SEQUENCE stats_rollup_version")


def downgrade():
    op.execute("DROP SEQUENCE stats_rollup_version")
