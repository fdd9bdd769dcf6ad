"""Findings of repeatable groups name their object (group, index, the inspector's label): one finding per machine,
tank, vehicle or road (app/checklists/groups.py)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 03:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('findings', sa.Column('object_ref', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade():
    op.drop_column('findings', 'object_ref')
