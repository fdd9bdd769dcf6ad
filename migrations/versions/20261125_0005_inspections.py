"""Inspections: phone-generated UUIDs, officers, answers, photo links with evidence flags, findings; feed sequence

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-25 09:29:00.780400

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005'
# A merge of the geo, checklist and photo branches rather than down_revision "0001" + depends_on: with
# sibling depends_on, Alembic 1.20 treats the step as a merge whose "from" set still contains "0001" and
# fails with KeyError('0001') on `upgrade heads` (migration.py merge_branch_idents).
down_revision = ('0002', '0003', '0004')
branch_labels = None
depends_on = None


def upgrade():
    # Sync-feed order; values are taken under an advisory lock at commit time (app/inspections/services.py).
    op.execute(sa.schema.CreateSequence(sa.Sequence('inspection_change_seq')))
    op.create_geospatial_table('inspections',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('checklist_key', sa.String(length=100), nullable=False),
    sa.Column('checklist_version', sa.String(length=40), nullable=False),
    sa.Column('checklist_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('change_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('location_accuracy_m', sa.Float(), nullable=True),
    sa.Column('location_crs', sa.String(length=8), nullable=True),
    sa.Column('alert_level', sa.String(length=8), server_default='none', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('last_put_hash', sa.String(length=64), nullable=False),
    sa.Column('last_put_version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_from_version', sa.Integer(), nullable=True),
    sa.Column('submission_count', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('site_context', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("alert_level IN ('none', 'blue', 'yellow', 'orange', 'red')", name=op.f('ck_inspections_alert_level')),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'returned', 'approved', 'rejected')", name=op.f('ck_inspections_state')),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklist_versions.id'], name=op.f('fk_inspections_checklist_version_id_checklist_versions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspections_created_by_id_users')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_inspections_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_inspections_site_id_sites')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_inspections_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('change_seq', name=op.f('uq_inspections_change_seq'))
    )
    op.create_index(op.f('ix_inspections_checklist_version_id'), 'inspections', ['checklist_version_id'], unique=False)
    op.create_index(op.f('ix_inspections_created_by_id'), 'inspections', ['created_by_id'], unique=False)
    op.create_index(op.f('ix_inspections_site_id'), 'inspections', ['site_id'], unique=False)
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('submission_no', sa.SmallInteger(), nullable=False),
    sa.Column('item_key', sa.String(length=100), nullable=False),
    sa.Column('checklist_key', sa.String(length=100), nullable=False),
    sa.Column('checklist_version', sa.String(length=40), nullable=False),
    sa.Column('checklist_hash', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('phone_verdict', sa.String(length=8), nullable=True),
    sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('source_refs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('penalty_keys', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('answer', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("verdict IN ('pass', 'fail', 'na')", name=op.f('ck_findings_verdict')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_findings_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('inspection_id', 'submission_no', 'item_key', name='uq_findings_submission_item')
    )
    op.create_index(op.f('ix_findings_inspection_id'), 'findings', ['inspection_id'], unique=False)
    op.create_index('ix_findings_item_key_verdict', 'findings', ['item_key', 'verdict'], unique=False)
    op.create_table('inspection_answers',
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('item_key', sa.String(length=100), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('phone_verdict', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_answers_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inspection_id', 'item_key', name=op.f('pk_inspection_answers'))
    )
    op.create_table('inspection_officers',
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('badge_number', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_officers_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_officers_user_id_users')),
    sa.PrimaryKeyConstraint('inspection_id', 'user_id', name=op.f('pk_inspection_officers'))
    )
    op.create_index(op.f('ix_inspection_officers_user_id'), 'inspection_officers', ['user_id'], unique=False)
    op.create_table('inspection_photo_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('item_key', sa.String(length=100), nullable=False),
    sa.Column('photo_id', sa.UUID(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('flags', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('flags_computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_photo_links_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photo_links')),
    sa.UniqueConstraint('inspection_id', 'item_key', 'photo_id', name='uq_inspection_photo_links_item_photo')
    )
    op.create_index(op.f('ix_inspection_photo_links_photo_id'), 'inspection_photo_links', ['photo_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_inspection_photo_links_photo_id'), table_name='inspection_photo_links')
    op.drop_table('inspection_photo_links')
    op.drop_index(op.f('ix_inspection_officers_user_id'), table_name='inspection_officers')
    op.drop_table('inspection_officers')
    op.drop_table('inspection_answers')
    op.drop_index('ix_findings_item_key_verdict', table_name='findings')
    op.drop_index(op.f('ix_findings_inspection_id'), table_name='findings')
    op.drop_table('findings')
    op.drop_index(op.f('ix_inspections_site_id'), table_name='inspections')
    op.drop_index(op.f('ix_inspections_created_by_id'), table_name='inspections')
    op.drop_index(op.f('ix_inspections_checklist_version_id'), table_name='inspections')
    op.drop_geospatial_table('inspections')
    op.execute(sa.schema.DropSequence(sa.Sequence('inspection_change_seq')))
