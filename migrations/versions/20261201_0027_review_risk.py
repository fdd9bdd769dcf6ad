"""Stored review-queue risk facts and score per inspection (review_risk), the dirty marks that keep them current

Revision ID: 0027
Revises: 0030
Create Date: 2026-12-01 02:30:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0030'
branch_labels = None
depends_on = None

# How review_risk stays current (app/review/risk_store.py): row triggers on everything an inspection's risk
# facts are computed from write the inspection's id to review_dirty in the writer's own transaction; the queue
# reads stored rows only for inspections that are not dirty and computes the dirty ones live (so a page is
# always exact), and the periodic `refresh_review_risk` job (every minute) recomputes the dirty ones from the
# committed rows. A photo's reuse by *another* inspection (same sha256, or a near-duplicate perceptual hash)
# goes through review_dirty_photos: the job expands it to the inspections linking those photos.
FUNCTIONS = """
CREATE FUNCTION review_mark_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_mark_inspection AFTER INSERT OR UPDATE ON inspections
    FOR EACH ROW EXECUTE FUNCTION review_mark_inspection();

-- Officers, findings, photo links, penalty computations and lines: the inspection they belong to.
CREATE FUNCTION review_mark_by_inspection_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO review_dirty (inspection_id) VALUES (OLD.inspection_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO review_dirty (inspection_id) VALUES (NEW.inspection_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_mark_officer AFTER INSERT OR UPDATE OR DELETE ON inspection_officers
    FOR EACH ROW EXECUTE FUNCTION review_mark_by_inspection_id();
CREATE TRIGGER review_mark_finding AFTER INSERT OR UPDATE OR DELETE ON findings
    FOR EACH ROW EXECUTE FUNCTION review_mark_by_inspection_id();
CREATE TRIGGER review_mark_penalty_computation AFTER INSERT OR UPDATE OR DELETE ON penalty_computations
    FOR EACH ROW EXECUTE FUNCTION review_mark_by_inspection_id();
CREATE TRIGGER review_mark_penalty_line AFTER INSERT OR UPDATE OR DELETE ON penalty_lines
    FOR EACH ROW EXECUTE FUNCTION review_mark_by_inspection_id();

-- A photo link: its inspection now, and (through the job) every inspection linking the same or a similar photo.
CREATE FUNCTION review_mark_photo_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO review_dirty (inspection_id) VALUES (OLD.inspection_id) ON CONFLICT DO NOTHING;
        INSERT INTO review_dirty_photos (photo_id) VALUES (OLD.photo_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO review_dirty (inspection_id) VALUES (NEW.inspection_id) ON CONFLICT DO NOTHING;
        INSERT INTO review_dirty_photos (photo_id) VALUES (NEW.photo_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_mark_photo_link AFTER INSERT OR UPDATE OR DELETE ON inspection_photo_links
    FOR EACH ROW EXECUTE FUNCTION review_mark_photo_link();

-- A photo arrives or gets its perceptual hash: the inspections linking it now, the others through the job.
CREATE FUNCTION review_mark_photo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id)
    SELECT DISTINCT l.inspection_id FROM inspection_photo_links l WHERE l.photo_id = NEW.id
    ON CONFLICT DO NOTHING;
    INSERT INTO review_dirty_photos (photo_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_mark_photo AFTER INSERT OR UPDATE OF sha256, phash ON photos
    FOR EACH ROW EXECUTE FUNCTION review_mark_photo();

-- A site moved, re-kinded or moved to another jurisdiction: distance, limits and scope of its inspections.
CREATE FUNCTION review_mark_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.geom IS DISTINCT FROM OLD.geom OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.jurisdiction_id IS DISTINCT FROM OLD.jurisdiction_id THEN
        INSERT INTO review_dirty (inspection_id) SELECT i.id FROM inspections i WHERE i.site_id = NEW.id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_mark_site AFTER UPDATE ON sites
    FOR EACH ROW EXECUTE FUNCTION review_mark_site();

-- A boundary imported or a path changed: the inspections of the sites directly in that jurisdiction.
CREATE FUNCTION review_mark_jurisdiction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.boundary IS DISTINCT FROM OLD.boundary OR NEW.path IS DISTINCT FROM OLD.path THEN
        INSERT INTO review_dirty (inspection_id)
        SELECT i.id FROM inspections i JOIN sites s ON s.id = i.site_id WHERE s.jurisdiction_id = NEW.id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_mark_jurisdiction AFTER UPDATE ON jurisdictions
    FOR EACH ROW EXECUTE FUNCTION review_mark_jurisdiction();
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS review_mark_jurisdiction ON jurisdictions;
DROP TRIGGER IF EXISTS review_mark_site ON sites;
DROP TRIGGER IF EXISTS review_mark_photo ON photos;
DROP TRIGGER IF EXISTS review_mark_photo_link ON inspection_photo_links;
DROP TRIGGER IF EXISTS review_mark_penalty_line ON penalty_lines;
DROP TRIGGER IF EXISTS review_mark_penalty_computation ON penalty_computations;
DROP TRIGGER IF EXISTS review_mark_finding ON findings;
DROP TRIGGER IF EXISTS review_mark_officer ON inspection_officers;
DROP TRIGGER IF EXISTS review_mark_inspection ON inspections;
DROP FUNCTION IF EXISTS review_mark_jurisdiction();
DROP FUNCTION IF EXISTS review_mark_site();
DROP FUNCTION IF EXISTS review_mark_photo();
DROP FUNCTION IF EXISTS review_mark_photo_link();
DROP FUNCTION IF EXISTS review_mark_by_inspection_id();
DROP FUNCTION IF EXISTS review_mark_inspection();
"""


def upgrade():
    op.create_table(
        'review_risk',
        sa.Column('inspection_id', sa.Uuid(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('has_failed', sa.Boolean(), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('jurisdiction_path', sa.String(length=200), nullable=False),
        sa.Column('site_kind', sa.String(length=32), nullable=False),
        sa.Column('officer_count', sa.Integer(), nullable=False),
        sa.Column('failed_without_photo', sa.Integer(), nullable=False),
        sa.Column('flag_codes', postgresql.ARRAY(sa.String()), nullable=False),
        sa.Column('reused_photos', sa.Integer(), nullable=False),
        sa.Column('near_duplicate_photos', sa.Integer(), nullable=False),
        sa.Column('distance_m', sa.Float(), nullable=True),
        sa.Column('outside_jurisdiction', sa.Boolean(), nullable=True),
        sa.Column('duration_s', sa.Float(), nullable=True),
        sa.Column('total_amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('alert_claimed', sa.String(length=16), nullable=False),
        sa.Column('alert_in_force', sa.String(length=16), nullable=True),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_review_risk_inspection_id_inspections'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('inspection_id', name=op.f('pk_review_risk')),
    )
    # The queue's order (score desc, then longest waiting, then id) per state: a page is an index range.
    op.execute(
        "CREATE INDEX ix_review_risk_order ON review_risk (state, score DESC, queued_at, inspection_id)"
    )
    # Counts per state (index-only, up to the cap) and a county's page: state, the scope's path prefix, has_failed.
    op.execute(
        "CREATE INDEX ix_review_risk_scope ON review_risk (state, jurisdiction_path varchar_pattern_ops, has_failed)"
        " INCLUDE (inspection_id)"
    )
    op.create_table(
        'review_dirty',
        sa.Column('inspection_id', sa.Uuid(), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('inspection_id', name=op.f('pk_review_dirty')),
    )
    op.create_table(
        'review_dirty_photos',
        sa.Column('photo_id', sa.Uuid(), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('photo_id', name=op.f('pk_review_dirty_photos')),
    )
    # One row: the fingerprint of the risk settings the stored scores were computed with. NULL (as after this
    # upgrade) means nothing stored is trusted: the queue computes everything live, as before, until the job
    # has marked every inspection dirty under the current settings and recomputed them.
    op.create_table(
        'review_risk_state',
        sa.Column('id', sa.SmallInteger(), nullable=False),
        sa.Column('scored_with', sa.String(length=64), nullable=True),
        sa.CheckConstraint('id = 1', name=op.f('ck_review_risk_state_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_risk_state')),
    )
    op.execute("INSERT INTO review_risk_state (id, scored_with) VALUES (1, NULL)")
    op.execute(FUNCTIONS)


def downgrade():
    op.execute(DROP_FUNCTIONS)
    op.drop_table('review_risk_state')
    op.drop_table('review_dirty_photos')
    op.drop_table('review_dirty')
    op.drop_table('review_risk')
