"""Heavy-pollution alerts (append-only declarations), emergency reduction lists with their site entries and
measures, and the server's alert level on an inspection

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-30 20:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('issuer', sa.String(length=200), nullable=False),
        sa.Column('doc_ref', sa.String(length=200), nullable=False),
        sa.Column('batch_code', sa.String(length=40), nullable=True),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("level IN ('none', 'blue', 'yellow', 'orange', 'red')", name=op.f('ck_alerts_level')),
        sa.CheckConstraint('ends_at IS NULL OR ends_at > starts_at', name=op.f('ck_alerts_window')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_alerts_jurisdiction_id_jurisdictions')),
        sa.ForeignKeyConstraint(['supersedes_id'], ['alerts.id'], name=op.f('fk_alerts_supersedes_id_alerts')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_alerts_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    )
    op.create_index(op.f('ix_alerts_jurisdiction_id'), 'alerts', ['jurisdiction_id'])
    op.create_index(op.f('ix_alerts_supersedes_id'), 'alerts', ['supersedes_id'], unique=True)
    op.create_table(
        'reduction_lists',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('doc_ref', sa.String(length=200), nullable=False),
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('effective_to', sa.Date(), nullable=True),
        sa.Column('illustrative', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_reduction_lists_jurisdiction_id_jurisdictions')),
        sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_reduction_lists_imported_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reduction_lists')),
    )
    op.create_index(op.f('ix_reduction_lists_jurisdiction_id'), 'reduction_lists', ['jurisdiction_id'])
    op.create_table(
        'reduction_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('grade', sa.String(length=8), nullable=False),
        sa.Column('industry', sa.String(length=100), nullable=False),
        sa.Column('low_voc_substituted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.CheckConstraint("grade IN ('A', 'B', 'B-', 'C', 'D', '引领性', '非引领性', '未分级')",
                           name=op.f('ck_reduction_entries_grade')),
        sa.ForeignKeyConstraint(['list_id'], ['reduction_lists.id'],
                                name=op.f('fk_reduction_entries_list_id_reduction_lists')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_reduction_entries_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reduction_entries')),
    )
    op.create_index(op.f('ix_reduction_entries_list_id'), 'reduction_entries', ['list_id'])
    op.create_index(op.f('ix_reduction_entries_site_id'), 'reduction_entries', ['site_id'])
    op.create_table(
        'reduction_measures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('trigger', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=True),
        sa.Column('percent', sa.SmallInteger(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.CheckConstraint("trigger IN ('yellow', 'orange', 'red', 'staggered')",
                           name=op.f('ck_reduction_measures_trigger')),
        sa.CheckConstraint(
            "trigger <> 'staggered' OR (starts_on IS NOT NULL AND ends_on IS NOT NULL AND ends_on >= starts_on)",
            name=op.f('ck_reduction_measures_staggered_period')),
        sa.CheckConstraint('percent IS NULL OR (percent > 0 AND percent <= 100)',
                           name=op.f('ck_reduction_measures_percent')),
        sa.ForeignKeyConstraint(['entry_id'], ['reduction_entries.id'],
                                name=op.f('fk_reduction_measures_entry_id_reduction_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reduction_measures')),
    )
    op.create_index(op.f('ix_reduction_measures_entry_id'), 'reduction_measures', ['entry_id'])
    # The level the server found in force when the inspection began (the phone's claim stays in alert_level).
    op.add_column('inspections', sa.Column('alert_level_in_force', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('inspections', 'alert_level_in_force')
    op.drop_table('reduction_measures')
    op.drop_table('reduction_entries')
    op.drop_table('reduction_lists')
    op.drop_table('alerts')
