"""Enforcement documents: issued documents (write-once PDF bytes), gapless number counters, document settings

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# The runtime role may INSERT and UPDATE documents (app/db_roles.py) but these owner-owned triggers leave it
# only: the render job writing the PDF once (bytes and their SHA-256, checked here to match), a failed render
# being retried, and a void (reason, who, when). Everything fixed at issue (kind, number, facts, digest,
# token, who issued) never changes; nothing is deleted. Counters only ever step up by one.
GUARDS = """
CREATE FUNCTION documents_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'documents are records: DELETE refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.pdf IS NOT NULL OR NEW.state <> 'rendering' THEN
            RAISE EXCEPTION 'documents: a new document starts rendering, without bytes'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.id, NEW.kind, NEW.inspection_id, NEW.case_id, NEW.jurisdiction_id, NEW.number, NEW.sequence_key,
        NEW.sequence_no, NEW.facts, NEW.content_sha256, NEW.verify_token, NEW.issued_on, NEW.issued_at,
        NEW.issued_by_id, NEW.replaces_id)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.inspection_id, OLD.case_id, OLD.jurisdiction_id, OLD.number, OLD.sequence_key,
        OLD.sequence_no, OLD.facts, OLD.content_sha256, OLD.verify_token, OLD.issued_on, OLD.issued_at,
        OLD.issued_by_id, OLD.replaces_id) THEN
        RAISE EXCEPTION 'documents: what was fixed at issue never changes' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.pdf IS NOT NULL AND (NEW.pdf IS DISTINCT FROM OLD.pdf OR NEW.pdf_sha256 IS DISTINCT FROM OLD.pdf_sha256
                                OR NEW.rendered_at IS DISTINCT FROM OLD.rendered_at) THEN
        RAISE EXCEPTION 'documents: issued bytes are written once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.pdf IS NOT NULL AND NEW.pdf_sha256 IS DISTINCT FROM encode(sha256(NEW.pdf), 'hex') THEN
        RAISE EXCEPTION 'documents: pdf_sha256 must be the SHA-256 of the bytes' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.state = 'voided' AND (to_jsonb(NEW) - 'job_id') IS DISTINCT FROM (to_jsonb(OLD) - 'job_id') THEN
        RAISE EXCEPTION 'documents: a voided document is final' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
            (OLD.state = 'rendering' AND NEW.state = 'issued' AND NEW.pdf IS NOT NULL)
         OR (OLD.state = 'rendering' AND NEW.state = 'failed')
         OR (OLD.state = 'failed' AND NEW.state = 'rendering')
         OR (OLD.state IN ('issued', 'failed') AND NEW.state = 'voided' AND NEW.voided_at IS NOT NULL
             AND NEW.voided_by_id IS NOT NULL AND COALESCE(NEW.void_reason, '') <> '')) THEN
        RAISE EXCEPTION 'documents: % → % is not a recorded transition', OLD.state, NEW.state
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.state <> 'voided' AND (NEW.voided_at IS NOT NULL OR NEW.void_reason IS NOT NULL) THEN
        RAISE EXCEPTION 'documents: only a void sets the void fields' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER documents_write_once BEFORE INSERT OR UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_write_once();

CREATE FUNCTION document_counters_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.last_value <> 1 THEN
            RAISE EXCEPTION 'document numbers start at 1' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.authority, NEW.prefix, NEW.type_code, NEW.year) IS DISTINCT FROM
       (OLD.authority, OLD.prefix, OLD.type_code, OLD.year) OR NEW.last_value <> OLD.last_value + 1 THEN
        RAISE EXCEPTION 'document numbers are never reused or skipped' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER document_counters_step BEFORE INSERT OR UPDATE ON document_number_counters
    FOR EACH ROW EXECUTE FUNCTION document_counters_step();
"""


def upgrade():
    op.create_table(
        'document_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('settings', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_document_settings_jurisdiction_id_jurisdictions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_settings')),
        sa.UniqueConstraint('jurisdiction_id', name=op.f('uq_document_settings_jurisdiction_id')),
    )
    op.create_table(
        'document_number_counters',
        sa.Column('authority', sa.String(length=200), nullable=False),
        sa.Column('prefix', sa.String(length=40), nullable=False),
        sa.Column('type_code', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('authority', 'prefix', 'type_code', 'year', name=op.f('pk_document_number_counters')),
    )
    op.create_table(
        'documents',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('inspection_id', sa.UUID(), nullable=False),
        sa.Column('case_id', sa.UUID(), nullable=True),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('number', sa.String(length=200), nullable=True),
        sa.Column('sequence_key', sa.String(length=400), nullable=True),
        sa.Column('sequence_no', sa.Integer(), nullable=True),
        sa.Column('facts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.Column('verify_token', sa.String(length=64), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('replaces_id', sa.UUID(), nullable=True),
        sa.Column('job_id', sa.BigInteger(), nullable=True),
        sa.Column('pdf', sa.LargeBinary(), nullable=True),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
        sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('render_error', sa.Text(), nullable=True),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voided_by_id', sa.Integer(), nullable=True),
        sa.Column('void_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_documents_inspection_id_inspections')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'],
                                name=op.f('fk_documents_jurisdiction_id_jurisdictions')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_documents_issued_by_id_users')),
        sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_documents_voided_by_id_users')),
        sa.ForeignKeyConstraint(['replaces_id'], ['documents.id'], name=op.f('fk_documents_replaces_id_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
        sa.UniqueConstraint('verify_token', name=op.f('uq_documents_verify_token')),
    )
    op.create_index(op.f('ix_documents_inspection_id'), 'documents', ['inspection_id'])
    op.create_index(op.f('ix_documents_case_id'), 'documents', ['case_id'])
    op.create_index(op.f('ix_documents_jurisdiction_id'), 'documents', ['jurisdiction_id'])
    op.create_index('uq_documents_replaces_id', 'documents', ['replaces_id'], unique=True,
                    postgresql_where=sa.text('replaces_id IS NOT NULL'))
    op.create_index('ix_documents_pdf_sha256', 'documents', ['pdf_sha256'])
    op.create_index('uq_documents_number', 'documents', ['number'], unique=True,
                    postgresql_where=sa.text('number IS NOT NULL'))
    op.create_table(
        'party_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.UUID(), nullable=False),
        sa.Column('photo_id', sa.UUID(), nullable=False),
        sa.Column('photo_sha256', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('signer_name', sa.String(length=100), nullable=True),
        sa.Column('witness', sa.String(length=200), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_party_signatures_inspection_id_inspections')),
        sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_party_signatures_photo_id_photos')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_party_signatures_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_party_signatures')),
    )
    op.create_index(op.f('ix_party_signatures_inspection_id'), 'party_signatures', ['inspection_id'])
    op.execute(GUARDS)


def downgrade():
    op.execute("DROP TRIGGER document_counters_step ON document_number_counters")
    op.execute("DROP FUNCTION document_counters_step()")
    op.execute("DROP TRIGGER documents_write_once ON documents")
    op.execute("DROP FUNCTION documents_write_once()")
    op.drop_table('party_signatures')
    op.drop_table('documents')
    op.drop_table('document_number_counters')
    op.drop_table('document_settings')
