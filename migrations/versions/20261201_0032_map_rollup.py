"""Map layers: per-site counts for low-zoom tiles (map_sites, map_site_counts), the dirty sites that keep them
current, and the rollup's version (the aggregated tiles' ETag)

Revision ID: 0032
Revises: 0035
Create Date: 2026-12-01 05:30:00

"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0035'
branch_labels = None
depends_on = None

# How the rollup stays current (app/maplayers/rollup.py, the same scheme as the statistics of 0017): row
# triggers on inspections, findings and sites write the site to map_dirty in the writer's own transaction; the
# periodic `refresh_map_layers` job (every minute) recomputes exactly those sites from the committed base rows
# and moves map_rollup_state.version, which the aggregated tiles' ETag is made of.
FUNCTIONS = """
CREATE FUNCTION map_mark_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO map_dirty (site_id) VALUES (OLD.site_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO map_dirty (site_id) VALUES (NEW.site_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER map_mark_inspection AFTER INSERT OR DELETE ON inspections
    FOR EACH ROW EXECUTE FUNCTION map_mark_inspection();
-- Only what the counts depend on: a phone's PUT of a draft (answers, position) marks nothing.
CREATE TRIGGER map_mark_inspection_update AFTER UPDATE ON inspections
    FOR EACH ROW WHEN (OLD.site_id IS DISTINCT FROM NEW.site_id OR OLD.state IS DISTINCT FROM NEW.state
                       OR OLD.checklist_key IS DISTINCT FROM NEW.checklist_key
                       OR OLD.submission_count IS DISTINCT FROM NEW.submission_count
                       OR OLD.findings_revision IS DISTINCT FROM NEW.findings_revision)
    EXECUTE FUNCTION map_mark_inspection();

-- Findings are written once per submission or amendment (0010), usually with the inspection row's update;
-- marked on their own too, per statement (a submission writes dozens at once).
CREATE FUNCTION map_mark_findings_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id)
    SELECT DISTINCT i.site_id FROM new_rows f JOIN inspections i ON i.id = f.inspection_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE FUNCTION map_mark_findings_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id)
    SELECT DISTINCT i.site_id FROM old_rows f JOIN inspections i ON i.id = f.inspection_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER map_mark_findings_insert AFTER INSERT ON findings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION map_mark_findings_new();
CREATE TRIGGER map_mark_findings_update AFTER UPDATE ON findings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION map_mark_findings_new();
CREATE TRIGGER map_mark_findings_delete AFTER DELETE ON findings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION map_mark_findings_old();

-- A site added, moved, re-kinded or given to another jurisdiction.
CREATE FUNCTION map_mark_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id) VALUES (COALESCE(NEW.id, OLD.id)) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER map_mark_site AFTER INSERT OR DELETE OR UPDATE OF geom, kind, jurisdiction_id ON sites
    FOR EACH ROW EXECUTE FUNCTION map_mark_site();

-- A jurisdiction moved (its path rewritten, app/jurisdictions/services.py): its sites carry the path.
CREATE FUNCTION map_mark_jurisdiction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id) SELECT id FROM sites WHERE jurisdiction_id = NEW.id ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER map_mark_jurisdiction AFTER UPDATE OF path ON jurisdictions
    FOR EACH ROW WHEN (OLD.path IS DISTINCT FROM NEW.path) EXECUTE FUNCTION map_mark_jurisdiction();
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS map_mark_jurisdiction ON jurisdictions;
DROP FUNCTION IF EXISTS map_mark_jurisdiction();
DROP TRIGGER IF EXISTS map_mark_site ON sites;
DROP TRIGGER IF EXISTS map_mark_findings_delete ON findings;
DROP TRIGGER IF EXISTS map_mark_findings_update ON findings;
DROP TRIGGER IF EXISTS map_mark_findings_insert ON findings;
DROP TRIGGER IF EXISTS map_mark_inspection_update ON inspections;
DROP TRIGGER IF EXISTS map_mark_inspection ON inspections;
DROP FUNCTION IF EXISTS map_mark_site();
DROP FUNCTION IF EXISTS map_mark_findings_old();
DROP FUNCTION IF EXISTS map_mark_findings_new();
DROP FUNCTION IF EXISTS map_mark_inspection();
"""

# The same statements as app/maplayers/rollup.py (COUNTS, then SITES) over every site: the backfill, so an
# upgraded database draws its low-zoom tiles at once.
STATES = ("draft", "submitted", "returned", "approved", "rejected")
TOTALS = [f"inspections_{st}" for st in STATES] + [f"failed_{st}" for st in STATES]
COUNTS = """
INSERT INTO map_site_counts (site_id, state, checklist_key, inspections, failed_findings)
SELECT i.site_id, i.state, i.checklist_key, count(*), COALESCE(sum(f.n), 0)
  FROM inspections i
  LEFT JOIN (SELECT inspection_id, submission_no, revision, count(*) AS n FROM findings WHERE verdict = 'fail'
              GROUP BY inspection_id, submission_no, revision) f
         ON f.inspection_id = i.id AND f.submission_no = i.submission_count AND f.revision = i.findings_revision
 GROUP BY i.site_id, i.state, i.checklist_key
"""
SITES = (
    "INSERT INTO map_sites (site_id, jurisdiction_id, jurisdiction_path, kind, p_wgs84, p_gcj02, p_bd09, "
    + ", ".join(TOTALS) + ")"
    " SELECT s.id, s.jurisdiction_id, j.path, s.kind, ST_Transform(p.p, 3857),"
    " ST_Transform(lantian_to_crs(p.p, 'gcj02'), 3857), ST_Transform(lantian_to_crs(p.p, 'bd09'), 3857), "
    + ", ".join(f"COALESCE(c.{t}, 0)" for t in TOTALS)
    + " FROM sites s JOIN jurisdictions j ON j.id = s.jurisdiction_id"
    " CROSS JOIN LATERAL (SELECT ST_PointOnSurface(s.geom) AS p) p"
    " LEFT JOIN (SELECT site_id, "
    + ", ".join(f"sum(inspections) FILTER (WHERE state = '{st}') AS inspections_{st}" for st in STATES) + ", "
    + ", ".join(f"sum(failed_findings) FILTER (WHERE state = '{st}') AS failed_{st}" for st in STATES)
    + " FROM map_site_counts GROUP BY site_id) c ON c.site_id = s.id"
)


def upgrade():
    op.create_table(
        'map_sites',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_path', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('p_wgs84', Geometry(geometry_type='POINT', srid=3857, spatial_index=False), nullable=False),
        sa.Column('p_gcj02', Geometry(geometry_type='POINT', srid=3857, spatial_index=False), nullable=False),
        sa.Column('p_bd09', Geometry(geometry_type='POINT', srid=3857, spatial_index=False), nullable=False),
        *[sa.Column(total, sa.Integer(), nullable=False) for total in TOTALS],
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_map_sites')),
    )
    for crs in ('wgs84', 'gcj02', 'bd09'):
        op.create_index(f'ix_map_sites_p_{crs}', 'map_sites', [f'p_{crs}'], postgresql_using='gist')
    op.create_table(
        'map_site_counts',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('checklist_key', sa.String(length=100), nullable=False),
        sa.Column('inspections', sa.Integer(), nullable=False),
        sa.Column('failed_findings', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('site_id', 'state', 'checklist_key', name=op.f('pk_map_site_counts')),
    )
    op.create_table(
        'map_dirty',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_map_dirty')),
    )
    op.create_table(
        'map_rollup_state',
        sa.Column('id', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('id', name=op.f('ck_map_rollup_state_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_map_rollup_state')),
    )
    op.execute("INSERT INTO map_rollup_state (version) VALUES (1)")
    op.execute(COUNTS)
    op.execute(SITES)
    op.execute("ANALYZE map_sites")
    op.execute("ANALYZE map_site_counts")
    op.execute(FUNCTIONS)


def downgrade():
    op.execute(DROP_FUNCTIONS)
    op.drop_table('map_rollup_state')
    op.drop_table('map_dirty')
    op.drop_table('map_site_counts')
    for crs in ('wgs84', 'gcj02', 'bd09'):
        op.drop_index(f'ix_map_sites_p_{crs}', table_name='map_sites')
    op.drop_table('map_sites')
