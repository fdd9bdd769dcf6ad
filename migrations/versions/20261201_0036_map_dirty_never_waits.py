"""Map dirty marks never wait: an append-only list of marks (duplicates allowed) instead of one row per site

Revision ID: 0036
Revises: 0033
Create Date: 2026-12-01 07:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0033'
branch_labels = None
depends_on = None

# With site_id as the key, a trigger's INSERT … ON CONFLICT DO NOTHING waits for any other uncommitted
# transaction that marked the same site; two submissions at one site that also mark the statistics' (jurisdiction,
# month) in another order deadlocked (one answered 500 under `make bench`). A plain append never waits on another
# writer; the refresh job reads each site once however often it was marked (app/maplayers/rollup.py).


MARK_FUNCTIONS = """
CREATE OR REPLACE FUNCTION map_mark_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO map_dirty (site_id) VALUES (OLD.site_id){on_conflict};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO map_dirty (site_id) VALUES (NEW.site_id){on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION map_mark_findings_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id)
    SELECT DISTINCT i.site_id FROM new_rows f JOIN inspections i ON i.id = f.inspection_id{on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION map_mark_findings_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id)
    SELECT DISTINCT i.site_id FROM old_rows f JOIN inspections i ON i.id = f.inspection_id{on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION map_mark_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id) VALUES (COALESCE(NEW.id, OLD.id)){on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION map_mark_jurisdiction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO map_dirty (site_id) SELECT id FROM sites WHERE jurisdiction_id = NEW.id{on_conflict};
    RETURN NULL;
END;
$$;
"""


def upgrade():
    op.drop_constraint('pk_map_dirty', 'map_dirty', type_='primary')
    op.add_column('map_dirty', sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False))
    op.create_primary_key('pk_map_dirty', 'map_dirty', ['id'])
    op.create_index('ix_map_dirty_site_id', 'map_dirty', ['site_id'])
    op.execute(MARK_FUNCTIONS.format(on_conflict=''))


def downgrade():
    op.execute("DELETE FROM map_dirty d USING map_dirty e WHERE d.site_id = e.site_id AND d.id > e.id")
    op.drop_index('ix_map_dirty_site_id', table_name='map_dirty')
    op.drop_constraint('pk_map_dirty', 'map_dirty', type_='primary')
    op.drop_column('map_dirty', 'id')
    op.create_primary_key('pk_map_dirty', 'map_dirty', ['site_id'])
    op.execute(MARK_FUNCTIONS.format(on_conflict=' ON CONFLICT DO NOTHING'))
