"""Checklists: immutable checklist versions (one current per key) and jurisdiction-set checklist parameters

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 09:26:49.266750

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


# Versions are evidence (inspections cite key + version/hash): refuse DELETE and any UPDATE other than
# flipping is_current. TRUNCATE is left to the superuser-run test clean-up.
IMMUTABLE_GUARD = """
CREATE FUNCTION checklist_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'checklist_versions rows are immutable: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'is_current') IS DISTINCT FROM (to_jsonb(OLD) - 'is_current') THEN
        RAISE EXCEPTION 'checklist_versions rows are immutable: only is_current may change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER checklist_versions_immutable BEFORE UPDATE OR DELETE ON checklist_versions
    FOR EACH ROW EXECUTE FUNCTION checklist_versions_immutable();
"""


def upgrade():
    op.create_table('checklist_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('site_kinds', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('source_file', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_current', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_versions')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_checklist_versions_content_hash')),
    sa.UniqueConstraint('key', 'version', name='uq_checklist_versions_key_version')
    )
    op.create_index('uq_checklist_versions_current_key', 'checklist_versions', ['key'], unique=True,
                    postgresql_where=sa.text('is_current'))
    op.execute(IMMUTABLE_GUARD)
    op.create_table('checklist_parameter_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('checklist_key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_checklist_parameter_values_jurisdiction_id_jurisdictions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_parameter_values')),
    sa.UniqueConstraint('jurisdiction_id', 'checklist_key', 'name', name='uq_checklist_parameter_values_jurisdiction_key_name')
    )


def downgrade():
    op.drop_table('checklist_parameter_values')
    op.execute("DROP TRIGGER checklist_versions_immutable ON checklist_versions")
    op.execute("DROP FUNCTION checklist_versions_immutable()")
    op.drop_index('uq_checklist_versions_current_key', table_name='checklist_versions',
                  postgresql_where=sa.text('is_current'))
    op.drop_table('checklist_versions')
