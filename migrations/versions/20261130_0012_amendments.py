"""A reviewer's amendments of a submitted inspection (append-only), findings revisions and waivers, and the
perceptual hash of photos

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Findings: as in 0010, written once by the transaction that makes them, now also naming the findings revision
# the inspection is at (0 at a submission, n after the reviewer's n-th amendment: app/inspections/amendments.py).
# Amendments: evidence like findings — inserted only for an inspection under review (submitted) and at its
# current submission, never changed or removed (the runtime role has INSERT and SELECT only: app/db_roles.py).
GUARDS = """
CREATE OR REPLACE FUNCTION findings_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    insp record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state, submission_count, findings_revision, xmin = pg_current_xact_id()::xid AS written_now
          INTO insp FROM inspections WHERE id = NEW.inspection_id;
        IF insp.state IS DISTINCT FROM 'submitted' OR NEW.submission_no IS DISTINCT FROM insp.submission_count
           OR NEW.revision IS DISTINCT FROM insp.findings_revision OR NOT insp.written_now THEN
            RAISE EXCEPTION 'findings are written only by the submission or amendment that makes them: INSERT refused'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'findings of a submitted inspection are evidence: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION inspection_amendments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    insp record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state, submission_count, findings_revision INTO insp FROM inspections WHERE id = NEW.inspection_id;
        IF insp.state IS DISTINCT FROM 'submitted' OR NEW.submission_no IS DISTINCT FROM insp.submission_count
           OR NEW.findings_revision IS DISTINCT FROM insp.findings_revision THEN
            RAISE EXCEPTION 'an amendment is made only to an inspection under review, at its current submission'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'amendments are evidence: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER inspection_amendments_append_only BEFORE INSERT OR UPDATE OR DELETE ON inspection_amendments
    FOR EACH ROW EXECUTE FUNCTION inspection_amendments_append_only();

-- A photo's perceptual hash is derived from the immutable original: set once (with the derivatives), then kept.
CREATE FUNCTION photos_phash_set_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.phash IS NOT NULL AND NEW.phash IS DISTINCT FROM OLD.phash THEN
        RAISE EXCEPTION 'photos: the perceptual hash is set once: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER photos_phash_set_once BEFORE UPDATE ON photos
    FOR EACH ROW EXECUTE FUNCTION photos_phash_set_once();
"""

# 0010's version of the findings guard, restored on downgrade.
FINDINGS_GUARD_0010 = """
CREATE OR REPLACE FUNCTION findings_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    insp record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state, submission_count, xmin = pg_current_xact_id()::xid AS written_now INTO insp
          FROM inspections WHERE id = NEW.inspection_id;
        IF insp.state IS DISTINCT FROM 'submitted' OR NEW.submission_no IS DISTINCT FROM insp.submission_count
           OR NOT insp.written_now THEN
            RAISE EXCEPTION 'findings are written only by the submission that makes them: INSERT refused'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'findings of a submitted inspection are evidence: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def upgrade():
    op.add_column('inspections', sa.Column('findings_revision', sa.SmallInteger(), server_default='0',
                                           nullable=False))
    op.add_column('findings', sa.Column('revision', sa.SmallInteger(), server_default='0', nullable=False))
    op.add_column('findings', sa.Column('waiver', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.drop_constraint('uq_findings_submission_item', 'findings', type_='unique')
    op.create_unique_constraint('uq_findings_submission_revision_item', 'findings',
                                ['inspection_id', 'submission_no', 'revision', 'item_key'])
    op.create_table(
        'inspection_amendments',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('inspection_id', sa.UUID(), nullable=False),
        sa.Column('submission_no', sa.SmallInteger(), nullable=False),
        sa.Column('seq', sa.SmallInteger(), nullable=False),
        sa.Column('findings_revision', sa.SmallInteger(), nullable=False),
        sa.Column('item_key', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('answer_before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('answer_after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('photo_ids', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('diff', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('change', 'waive', 'add_finding')", name=op.f('ck_inspection_amendments_kind')),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_inspection_amendments_by_id_users')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_inspection_amendments_inspection_id_inspections')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_amendments')),
        sa.UniqueConstraint('inspection_id', 'seq', name='uq_inspection_amendments_seq'),
    )
    op.create_index(op.f('ix_inspection_amendments_inspection_id'), 'inspection_amendments', ['inspection_id'])
    op.add_column('photos', sa.Column('phash', sa.BigInteger(), nullable=True))
    op.execute(GUARDS)


def downgrade():
    op.execute("DROP TRIGGER photos_phash_set_once ON photos")
    op.execute("DROP FUNCTION photos_phash_set_once()")
    op.drop_column('photos', 'phash')
    op.execute("DROP TRIGGER inspection_amendments_append_only ON inspection_amendments")
    op.execute("DROP FUNCTION inspection_amendments_append_only()")
    op.execute(FINDINGS_GUARD_0010)
    op.drop_index(op.f('ix_inspection_amendments_inspection_id'), table_name='inspection_amendments')
    op.drop_table('inspection_amendments')
    # Amended findings revisions cannot be kept under the old constraint: only the submitted set stays.
    op.execute("ALTER TABLE findings DISABLE TRIGGER findings_written_once")
    op.execute("DELETE FROM findings WHERE revision > 0")
    op.execute("ALTER TABLE findings ENABLE TRIGGER findings_written_once")
    op.drop_constraint('uq_findings_submission_revision_item', 'findings', type_='unique')
    op.create_unique_constraint('uq_findings_submission_item', 'findings', ['inspection_id', 'submission_no', 'item_key'])
    op.drop_column('findings', 'waiver')
    op.drop_column('findings', 'revision')
    op.drop_column('inspections', 'findings_revision')
