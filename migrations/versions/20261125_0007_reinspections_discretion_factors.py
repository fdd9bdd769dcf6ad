"""Re-inspections (inspections.reinspection_of_id) and supervisor discretion factors on penalty computations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('inspections', sa.Column('reinspection_of_id', sa.Uuid(), nullable=True))
    op.create_index(op.f('ix_inspections_reinspection_of_id'), 'inspections', ['reinspection_of_id'], unique=False)
    op.create_foreign_key(op.f('fk_inspections_reinspection_of_id_inspections'), 'inspections', 'inspections',
                          ['reinspection_of_id'], ['id'])
    op.add_column('penalty_computations',
                  sa.Column('discretion_factors', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade():
    op.drop_column('penalty_computations', 'discretion_factors')
    op.drop_constraint(op.f('fk_inspections_reinspection_of_id_inspections'), 'inspections', type_='foreignkey')
    op.drop_index(op.f('ix_inspections_reinspection_of_id'), table_name='inspections')
    op.drop_column('inspections', 'reinspection_of_id')
