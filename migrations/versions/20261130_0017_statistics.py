"""Statistics rollups (monthly and weekly, per jurisdiction), the dirty keys that keep them current, and the
coordinate functions the map layers use

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# How the rollups stay current (app/stats/rollup.py): row triggers on inspections, penalty computations and
# lines, and sites write the (jurisdiction, Asia/Shanghai month) an inspection counts in to stats_dirty, in
# the writer's own transaction; the periodic `refresh_statistics` job (every minute) recomputes exactly those
# groups from the base tables after they committed. Recomputing from committed rows (rather than adding deltas
# inside the writer's transaction) keeps concurrent submissions in one group exact.
FUNCTIONS = """
-- An inspection's Asia/Shanghai date (app/localtime.py): the phone's start, else submission, else creation.
CREATE FUNCTION lantian_local_day(ts timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ts AT TIME ZONE 'Asia/Shanghai')::date
$$;

CREATE FUNCTION stats_mark_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state <> 'draft' THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        SELECT s.jurisdiction_id,
               date_trunc('month', lantian_local_day(COALESCE(OLD.started_at, OLD.submitted_at, OLD.created_at)))::date
          FROM sites s WHERE s.id = OLD.site_id
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state <> 'draft' THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        SELECT s.jurisdiction_id,
               date_trunc('month', lantian_local_day(COALESCE(NEW.started_at, NEW.submitted_at, NEW.created_at)))::date
          FROM sites s WHERE s.id = NEW.site_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_mark_inspection AFTER INSERT OR UPDATE OR DELETE ON inspections
    FOR EACH ROW EXECUTE FUNCTION stats_mark_inspection();

-- A recompute or an override changes money without necessarily touching the inspection row.
CREATE FUNCTION stats_mark_by_inspection_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_dirty (jurisdiction_id, month)
    SELECT s.jurisdiction_id,
           date_trunc('month', lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)))::date
      FROM inspections i JOIN sites s ON s.id = i.site_id
     WHERE i.id = NEW.inspection_id AND i.state <> 'draft'
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_mark_penalty_computation AFTER INSERT OR UPDATE ON penalty_computations
    FOR EACH ROW EXECUTE FUNCTION stats_mark_by_inspection_id();
CREATE TRIGGER stats_mark_penalty_line AFTER INSERT OR UPDATE ON penalty_lines
    FOR EACH ROW EXECUTE FUNCTION stats_mark_by_inspection_id();

-- A site moved to another jurisdiction or re-kinded: every month its inspections count in, old and new.
CREATE FUNCTION stats_mark_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.jurisdiction_id IS DISTINCT FROM OLD.jurisdiction_id OR NEW.kind IS DISTINCT FROM OLD.kind THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        SELECT DISTINCT j.id,
               date_trunc('month', lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)))::date
          FROM inspections i CROSS JOIN (VALUES (OLD.jurisdiction_id), (NEW.jurisdiction_id)) AS j(id)
         WHERE i.site_id = NEW.id AND i.state <> 'draft'
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_mark_site AFTER UPDATE ON sites
    FOR EACH ROW EXECUTE FUNCTION stats_mark_site();

-- GCJ-02 and BD-09 in SQL, so map layers are built by PostGIS whatever system the caller asks for. The same
-- formulas as prcoords (app/geo/crs.py; a test keeps them equal): outside prcoords' China box GCJ-02 is WGS-84.
CREATE FUNCTION lantian_wgs_to_gcj(g geometry) RETURNS geometry LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    lon double precision := ST_X(g);
    lat double precision := ST_Y(g);
    x double precision := lon - 105;
    y double precision := lat - 35;
    dlat double precision;
    dlon double precision;
    radlat double precision;
    magic double precision;
    a constant double precision := 6378245;
    ee constant double precision := 0.00669342162296594323;
BEGIN
    IF g IS NULL THEN
        RETURN NULL;
    END IF;
    IF NOT (lat BETWEEN 0.8293 AND 55.8271 AND lon BETWEEN 72.004 AND 137.8347) THEN
        RETURN g;
    END IF;
    dlat := -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x)) + (
        2 * sin(x * 6 * pi()) + 2 * sin(x * 2 * pi()) + 2 * sin(y * pi()) + 4 * sin(y / 3 * pi())
        + 16 * sin(y / 12 * pi()) + 32 * sin(y / 30 * pi())) * 20 / 3;
    dlon := 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x)) + (
        2 * sin(x * 6 * pi()) + 2 * sin(x * 2 * pi()) + 2 * sin(x * pi()) + 4 * sin(x / 3 * pi())
        + 15 * sin(x / 12 * pi()) + 30 * sin(x / 30 * pi())) * 20 / 3;
    radlat := radians(lat);
    magic := 1 - ee * power(sin(radlat), 2);
    RETURN ST_SetSRID(ST_MakePoint(
        lon + dlon / radians(a * cos(radlat) / sqrt(magic)),
        lat + dlat / radians((a * (1 - ee)) / power(magic, 1.5))), 4326);
END;
$$;

CREATE FUNCTION lantian_gcj_to_bd(g geometry) RETURNS geometry LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    x double precision := ST_X(g);
    y double precision := ST_Y(g);
    r double precision;
    theta double precision;
BEGIN
    IF g IS NULL THEN
        RETURN NULL;
    END IF;
    r := sqrt(x * x + y * y) + 0.00002 * sin(radians(y) * 3000);
    theta := atan2(y, x) + 0.000003 * cos(radians(x) * 3000);
    RETURN ST_SetSRID(ST_MakePoint(r * cos(theta) + 0.0065, r * sin(theta) + 0.006), 4326);
END;
$$;

-- A point (WGS-84 stored) in the caller's system: 'wgs84', 'gcj02' or 'bd09'.
CREATE FUNCTION lantian_to_crs(g geometry, crs text) RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE crs WHEN 'gcj02' THEN lantian_wgs_to_gcj(g)
                    WHEN 'bd09' THEN lantian_gcj_to_bd(lantian_wgs_to_gcj(g))
                    ELSE g END
$$;
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS stats_mark_site ON sites;
DROP TRIGGER IF EXISTS stats_mark_penalty_line ON penalty_lines;
DROP TRIGGER IF EXISTS stats_mark_penalty_computation ON penalty_computations;
DROP TRIGGER IF EXISTS stats_mark_inspection ON inspections;
DROP FUNCTION IF EXISTS stats_mark_site();
DROP FUNCTION IF EXISTS stats_mark_by_inspection_id();
DROP FUNCTION IF EXISTS stats_mark_inspection();
DROP FUNCTION IF EXISTS lantian_to_crs(geometry, text);
DROP FUNCTION IF EXISTS lantian_gcj_to_bd(geometry);
DROP FUNCTION IF EXISTS lantian_wgs_to_gcj(geometry);
DROP FUNCTION IF EXISTS lantian_local_day(timestamptz);
"""


def _grain_columns():
    return [
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    ]


def upgrade():
    op.create_table(
        'stats_dirty',
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('jurisdiction_id', 'month', name=op.f('pk_stats_dirty')),
    )
    op.create_table(
        'stats_inspections',
        *_grain_columns(),
        sa.Column('checklist_key', sa.String(length=100), nullable=False),
        sa.Column('site_kind', sa.String(length=32), nullable=False),
        sa.Column('inspections', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Integer(), nullable=False),
        sa.Column('approved', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('findings', sa.Integer(), nullable=False),
        sa.Column('failed_findings', sa.Integer(), nullable=False),
        sa.Column('fiscal_deduction_fen', sa.BigInteger(), nullable=False),
        sa.Column('statutory_fine_fen', sa.BigInteger(), nullable=False),
        sa.Column('blocked_lines', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'period', 'jurisdiction_id', 'checklist_key', 'site_kind',
                                name=op.f('pk_stats_inspections')),
    )
    op.create_index('ix_stats_inspections_jurisdiction', 'stats_inspections',
                    ['jurisdiction_id', 'grain', 'period'])
    op.create_table(
        'stats_items',
        *_grain_columns(),
        sa.Column('checklist_key', sa.String(length=100), nullable=False),
        sa.Column('item_key', sa.String(length=100), nullable=False),
        sa.Column('findings', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('na', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'period', 'jurisdiction_id', 'checklist_key', 'item_key',
                                name=op.f('pk_stats_items')),
    )
    op.create_index('ix_stats_items_jurisdiction', 'stats_items', ['jurisdiction_id', 'grain', 'period'])
    op.create_table(
        'stats_inspectors',
        *_grain_columns(),
        sa.Column('inspector_id', sa.Integer(), nullable=False),
        sa.Column('inspections', sa.Integer(), nullable=False),
        sa.Column('passed', sa.Integer(), nullable=False),
        sa.Column('failed_findings', sa.Integer(), nullable=False),
        sa.Column('fiscal_deduction_fen', sa.BigInteger(), nullable=False),
        sa.Column('statutory_fine_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'period', 'jurisdiction_id', 'inspector_id',
                                name=op.f('pk_stats_inspectors')),
    )
    op.create_index('ix_stats_inspectors_jurisdiction', 'stats_inspectors', ['jurisdiction_id', 'grain', 'period'])
    # Map layers select inspections by bbox and tile (app/maplayers): a GiST index on the phone position.
    op.create_index('idx_inspections_location', 'inspections', ['location'], postgresql_using='gist')
    op.execute(FUNCTIONS)


def downgrade():
    op.execute(DROP_FUNCTIONS)
    op.drop_index('idx_inspections_location', table_name='inspections')
    op.drop_table('stats_inspectors')
    op.drop_table('stats_items')
    op.drop_table('stats_inspections')
    op.drop_table('stats_dirty')
