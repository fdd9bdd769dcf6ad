"""Enforcement cases: party, stages and their dates, member inspections, events, orders to correct with
their real decision dates, fiscal deductions against sub-districts (000§五(二)), case settings per jurisdiction

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def _timestamps():
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    ]


def upgrade():
    op.create_table(
        'cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=16), server_default='filing', nullable=False),
        sa.Column('round', sa.SmallInteger(), server_default='1', nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('party_key', sa.String(length=200), nullable=False),
        sa.Column('party_kind', sa.String(length=16), nullable=False),
        sa.Column('party_name', sa.String(length=200), nullable=False),
        sa.Column('party_credit_code', sa.String(length=18), nullable=True),
        sa.Column('party_legal_representative', sa.String(length=100), nullable=True),
        sa.Column('party_address', sa.String(length=400), nullable=True),
        sa.Column('party_id_number', sa.String(length=18), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=False),
        sa.Column('filed_on', sa.Date(), nullable=True),
        sa.Column('filing_approved_by_id', sa.Integer(), nullable=True),
        sa.Column('notice_served_on', sa.Date(), nullable=True),
        sa.Column('proposed_fine_fen', sa.BigInteger(), nullable=True),
        sa.Column('hearing_right', sa.Boolean(), nullable=True),
        sa.Column('hearing_requested_on', sa.Date(), nullable=True),
        sa.Column('rights_waived', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decided_fine_fen', sa.BigInteger(), nullable=True),
        sa.Column('decided_measures', JSONB, nullable=True),
        sa.Column('decision_served_on', sa.Date(), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('paid_fen', sa.BigInteger(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('close_reason', sa.Text(), nullable=True),
        sa.Column('last_change_hash', sa.String(length=64), nullable=True),
        sa.Column('last_change_by_id', sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("stage IN ('filing', 'investigation', 'notice', 'decision', 'execution', 'closed')",
                           name=op.f('ck_cases_stage')),
        sa.CheckConstraint("party_kind IN ('unit', 'individual')", name=op.f('ck_cases_party_kind')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cases_site_id_sites')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_cases_jurisdiction_id_jurisdictions')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_cases_opened_by_id_users')),
        sa.ForeignKeyConstraint(['filing_approved_by_id'], ['users.id'],
                                name=op.f('fk_cases_filing_approved_by_id_users')),
        sa.ForeignKeyConstraint(['last_change_by_id'], ['users.id'], name=op.f('fk_cases_last_change_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    )
    op.create_index(op.f('ix_cases_site_id'), 'cases', ['site_id'], unique=False)
    op.create_index(op.f('ix_cases_jurisdiction_id'), 'cases', ['jurisdiction_id'], unique=False)
    op.create_index('uq_cases_open_site_party', 'cases', ['site_id', 'party_key'], unique=True,
                    postgresql_where=sa.text("stage <> 'closed'"))

    op.create_table(
        'case_inspections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Uuid(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_inspections_case_id_cases')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_case_inspections_inspection_id_inspections')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_inspections')),
        sa.UniqueConstraint('inspection_id', name=op.f('uq_case_inspections_inspection_id')),
    )
    op.create_index(op.f('ix_case_inspections_case_id'), 'case_inspections', ['case_id'], unique=False)

    op.create_table(
        'case_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('on_date', sa.Date(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('data', JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_case_events_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events')),
    )
    op.create_index(op.f('ix_case_events_case_id'), 'case_events', ['case_id'], unique=False)

    op.create_table(
        'correction_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Uuid(), nullable=False),
        sa.Column('item_keys', JSONB, nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('served_on', sa.Date(), nullable=True),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('reinspection_id', sa.Uuid(), nullable=True),
        sa.Column('outcome_on', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("status IN ('open', 'complied', 'refused')", name=op.f('ck_correction_orders_status')),
        sa.CheckConstraint('deadline >= decided_on', name=op.f('ck_correction_orders_deadline_after_decision')),
        sa.CheckConstraint('served_on IS NULL OR served_on >= decided_on',
                           name=op.f('ck_correction_orders_served_after_decision')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_correction_orders_case_id_cases')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_correction_orders_inspection_id_inspections')),
        sa.ForeignKeyConstraint(['reinspection_id'], ['inspections.id'],
                                name=op.f('fk_correction_orders_reinspection_id_inspections')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_correction_orders_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_orders')),
    )
    op.create_index(op.f('ix_correction_orders_case_id'), 'correction_orders', ['case_id'], unique=False)
    op.create_index(op.f('ix_correction_orders_inspection_id'), 'correction_orders', ['inspection_id'],
                    unique=False)

    op.create_table(
        'fiscal_deductions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subdistrict_id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Uuid(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('lines', JSONB, nullable=False),
        sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('notified_on', sa.Date(), nullable=True),
        sa.Column('settled_on', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        *_timestamps(),
        sa.CheckConstraint("status IN ('open', 'notified', 'settled')", name=op.f('ck_fiscal_deductions_status')),
        sa.ForeignKeyConstraint(['subdistrict_id'], ['jurisdictions.id'],
                                name=op.f('fk_fiscal_deductions_subdistrict_id_jurisdictions')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_fiscal_deductions_inspection_id_inspections')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_deductions')),
        sa.UniqueConstraint('inspection_id', name=op.f('uq_fiscal_deductions_inspection_id')),
    )
    op.create_index(op.f('ix_fiscal_deductions_subdistrict_id'), 'fiscal_deductions', ['subdistrict_id'],
                    unique=False)

    op.create_table(
        'case_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('statement_period_days', sa.SmallInteger(), nullable=True),
        sa.Column('statement_period_unit', sa.String(length=16), nullable=True),
        sa.Column('hearing_threshold_unit_fen', sa.BigInteger(), nullable=True),
        sa.Column('hearing_threshold_individual_fen', sa.BigInteger(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("statement_period_unit IN ('working_days', 'calendar_days')",
                           name=op.f('ck_case_settings_statement_unit')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_case_settings_jurisdiction_id_jurisdictions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_case_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_settings')),
        sa.UniqueConstraint('jurisdiction_id', name=op.f('uq_case_settings_jurisdiction_id')),
    )
    # The timeline's own entries are append-only, like the audit log.
    op.execute("""
        CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'case_events is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
            FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
    """)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
    op.execute("DROP FUNCTION IF EXISTS case_events_append_only()")
    op.drop_table('case_settings')
    op.drop_index(op.f('ix_fiscal_deductions_subdistrict_id'), table_name='fiscal_deductions')
    op.drop_table('fiscal_deductions')
    op.drop_index(op.f('ix_correction_orders_inspection_id'), table_name='correction_orders')
    op.drop_index(op.f('ix_correction_orders_case_id'), table_name='correction_orders')
    op.drop_table('correction_orders')
    op.drop_index(op.f('ix_case_events_case_id'), table_name='case_events')
    op.drop_table('case_events')
    op.drop_index(op.f('ix_case_inspections_case_id'), table_name='case_inspections')
    op.drop_table('case_inspections')
    op.drop_index('uq_cases_open_site_party', table_name='cases')
    op.drop_index(op.f('ix_cases_jurisdiction_id'), table_name='cases')
    op.drop_index(op.f('ix_cases_site_id'), table_name='cases')
    op.drop_table('cases')
