"""Supervisor decisions on inspections (approve/reject: who, when, reason), per-item review comments,
and per-jurisdiction review settings (the two-person rule and its waiver)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('inspections', sa.Column('review_item_comments', postgresql.JSONB(astext_type=sa.Text()),
                                           nullable=True))
    op.add_column('inspections', sa.Column('decision', sa.String(length=8), nullable=True))
    op.add_column('inspections', sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('inspections', sa.Column('decided_by_id', sa.Integer(), nullable=True))
    op.add_column('inspections', sa.Column('decision_reason', sa.Text(), nullable=True))
    op.add_column('inspections', sa.Column('decision_item_comments', postgresql.JSONB(astext_type=sa.Text()),
                                           nullable=True))
    op.create_foreign_key(op.f('fk_inspections_decided_by_id_users'), 'inspections', 'users',
                          ['decided_by_id'], ['id'])
    # No endpoint could reach approved/rejected before this revision, so existing rows satisfy the check.
    op.create_check_constraint(
        op.f('ck_inspections_decision'), 'inspections',
        "(decision IS NULL AND state NOT IN ('approved', 'rejected'))"
        " OR (decision = 'approve' AND state = 'approved' AND decided_at IS NOT NULL)"
        " OR (decision = 'reject' AND state = 'rejected' AND decided_at IS NOT NULL"
        " AND decision_reason IS NOT NULL)")
    op.create_table(
        'review_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('two_person_rule', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_review_settings_jurisdiction_id_jurisdictions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_review_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_settings')),
        sa.UniqueConstraint('jurisdiction_id', name=op.f('uq_review_settings_jurisdiction_id')),
    )


def downgrade():
    op.drop_table('review_settings')
    op.drop_constraint(op.f('ck_inspections_decision'), 'inspections', type_='check')
    op.drop_constraint(op.f('fk_inspections_decided_by_id_users'), 'inspections', type_='foreignkey')
    for column in ('decision_item_comments', 'decision_reason', 'decided_by_id', 'decided_at', 'decision',
                   'review_item_comments'):
        op.drop_column('inspections', column)
