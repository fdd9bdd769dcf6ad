"""Penalties: immutable penalty rule versions, jurisdiction penalty settings, computed penalty lines (fen, BIGINT)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:29:58.572907

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
# On top of 0005 (itself the merge of the geo, checklist and photo branches) rather than down_revision "0001" +
# depends_on ("0005",): with that, Alembic 1.20 fails `upgrade heads` (KeyError '0001', see 0005) and /readyz
# never sees the database at head. Penalty lines reference inspections, so 0005 must come first anyway.
down_revision = '0005'
branch_labels = None
depends_on = None


# Rule versions are evidence (computed lines cite rule_hash): refuse DELETE and any UPDATE other than
# flipping is_current. TRUNCATE is left to the superuser-run test clean-up.
IMMUTABLE_GUARD = """
CREATE FUNCTION penalty_rule_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'penalty_rule_versions rows are immutable: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'is_current') IS DISTINCT FROM (to_jsonb(OLD) - 'is_current') THEN
        RAISE EXCEPTION 'penalty_rule_versions rows are immutable: only is_current may change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER penalty_rule_versions_immutable BEFORE UPDATE OR DELETE ON penalty_rule_versions
    FOR EACH ROW EXECUTE FUNCTION penalty_rule_versions_immutable();
"""


def upgrade():
    op.create_table('penalty_rule_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('rule_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('amount_status', sa.String(length=16), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('content', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('source_file', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_current', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalty_rule_versions')),
    sa.UniqueConstraint('rule_hash', name=op.f('uq_penalty_rule_versions_rule_hash'))
    )
    op.create_index(op.f('ix_penalty_rule_versions_key'), 'penalty_rule_versions', ['key'], unique=False)
    op.execute(IMMUTABLE_GUARD)
    op.create_table('jurisdiction_penalty_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('policy', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('discretion', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('amounts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_jurisdiction_penalty_settings_jurisdiction_id_jurisdictions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jurisdiction_penalty_settings')),
    sa.UniqueConstraint('jurisdiction_id', name=op.f('uq_jurisdiction_penalty_settings_jurisdiction_id'))
    )
    op.create_table('penalty_computations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('is_current', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('computed_by', sa.String(length=64), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('inspection_date', sa.Date(), nullable=False),
    sa.Column('context', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('skipped', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('policy_used', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_penalty_computations_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalty_computations'))
    )
    op.create_index(op.f('ix_penalty_computations_inspection_id'), 'penalty_computations', ['inspection_id'], unique=False)
    op.create_index('uq_penalty_computations_current', 'penalty_computations', ['inspection_id'], unique=True, postgresql_where=sa.text('is_current'))
    op.create_table('penalty_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('computation_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.UUID(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('rule_version_id', sa.Integer(), nullable=False),
    sa.Column('rule_key', sa.String(length=100), nullable=False),
    sa.Column('rule_version', sa.String(length=40), nullable=False),
    sa.Column('rule_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('payer_type', sa.String(length=32), nullable=False),
    sa.Column('payer_code', sa.String(length=64), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('counted_units', sa.Integer(), nullable=False),
    sa.Column('base_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('range_min_fen', sa.BigInteger(), nullable=True),
    sa.Column('range_max_fen', sa.BigInteger(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('factors', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('basis', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('authority', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('source_refs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('item_keys', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('blocking_reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('daily_days', sa.Integer(), nullable=True),
    sa.Column('amount_setting', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('override', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['computation_id'], ['penalty_computations.id'], name=op.f('fk_penalty_lines_computation_id_penalty_computations')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_penalty_lines_inspection_id_inspections')),
    sa.ForeignKeyConstraint(['rule_version_id'], ['penalty_rule_versions.id'], name=op.f('fk_penalty_lines_rule_version_id_penalty_rule_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalty_lines'))
    )
    op.create_index(op.f('ix_penalty_lines_computation_id'), 'penalty_lines', ['computation_id'], unique=False)
    op.create_index(op.f('ix_penalty_lines_inspection_id'), 'penalty_lines', ['inspection_id'], unique=False)
    op.create_index(op.f('ix_penalty_lines_rule_version_id'), 'penalty_lines', ['rule_version_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_penalty_lines_rule_version_id'), table_name='penalty_lines')
    op.drop_index(op.f('ix_penalty_lines_inspection_id'), table_name='penalty_lines')
    op.drop_index(op.f('ix_penalty_lines_computation_id'), table_name='penalty_lines')
    op.drop_table('penalty_lines')
    op.drop_index('uq_penalty_computations_current', table_name='penalty_computations', postgresql_where=sa.text('is_current'))
    op.drop_index(op.f('ix_penalty_computations_inspection_id'), table_name='penalty_computations')
    op.drop_table('penalty_computations')
    op.drop_table('jurisdiction_penalty_settings')
    op.execute("DROP TRIGGER penalty_rule_versions_immutable ON penalty_rule_versions")
    op.execute("DROP FUNCTION penalty_rule_versions_immutable()")
    op.drop_index(op.f('ix_penalty_rule_versions_key'), table_name='penalty_rule_versions')
    op.drop_table('penalty_rule_versions')
