"""Statistics dirty marks never wait: an append-only list (duplicates allowed), and penalty lines marked once per
statement instead of once per row

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01 09:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

# Keyed by (jurisdiction, month), a trigger's INSERT … ON CONFLICT DO NOTHING waits for every other uncommitted
# transaction that marked the same group: all submissions in one sub-district and month queued behind each other
# until commit (the map's marks had the same wait, 0036). A plain append never waits; the refresh job reads each
# group once however often it was marked (app/stats/rollup.py).

MARK_FUNCTIONS = """
CREATE OR REPLACE FUNCTION stats_mark_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state <> 'draft' THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        SELECT s.jurisdiction_id,
               date_trunc('month', lantian_local_day(COALESCE(OLD.started_at, OLD.submitted_at, OLD.created_at)))::date
          FROM sites s WHERE s.id = OLD.site_id{on_conflict};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state <> 'draft' THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        SELECT s.jurisdiction_id,
               date_trunc('month', lantian_local_day(COALESCE(NEW.started_at, NEW.submitted_at, NEW.created_at)))::date
          FROM sites s WHERE s.id = NEW.site_id{on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION stats_mark_by_inspection_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_dirty (jurisdiction_id, month)
    SELECT s.jurisdiction_id,
           date_trunc('month', lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)))::date
      FROM inspections i JOIN sites s ON s.id = i.site_id
     WHERE i.id = NEW.inspection_id AND i.state <> 'draft'{on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION stats_mark_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.jurisdiction_id IS DISTINCT FROM OLD.jurisdiction_id OR NEW.kind IS DISTINCT FROM OLD.kind THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        SELECT DISTINCT j.id,
               date_trunc('month', lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)))::date
          FROM inspections i CROSS JOIN (VALUES (OLD.jurisdiction_id), (NEW.jurisdiction_id)) AS j(id)
         WHERE i.site_id = NEW.id AND i.state <> 'draft'{on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION stats_mark_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (OLD.jurisdiction_id, date_trunc('month', lantian_local_day(OLD.created_at))::date){on_conflict};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (NEW.jurisdiction_id, date_trunc('month', lantian_local_day(NEW.created_at))::date){on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION stats_mark_correction_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_dirty (jurisdiction_id, month)
    SELECT c.jurisdiction_id, date_trunc('month', lantian_local_day(c.created_at))::date
      FROM cases c
     WHERE c.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.case_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.case_id END){on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION stats_mark_fiscal_deduction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (OLD.subdistrict_id, date_trunc('month', lantian_local_day(OLD.created_at))::date){on_conflict};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_dirty (jurisdiction_id, month)
        VALUES (NEW.subdistrict_id, date_trunc('month', lantian_local_day(NEW.created_at))::date){on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
"""

# A submission writes its penalty lines in one multi-row INSERT: one mark per statement (its inspections' groups,
# each once), not one trigger call and one mark per line. Transition tables allow one event per trigger.
PENALTY_LINES_BY_STATEMENT = """
CREATE FUNCTION stats_mark_penalty_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_dirty (jurisdiction_id, month)
    SELECT DISTINCT s.jurisdiction_id,
           date_trunc('month', lantian_local_day(COALESCE(i.started_at, i.submitted_at, i.created_at)))::date
      FROM (SELECT DISTINCT inspection_id FROM changed_lines) l
      JOIN inspections i ON i.id = l.inspection_id
      JOIN sites s ON s.id = i.site_id
     WHERE i.state <> 'draft';
    RETURN NULL;
END;
$$;
DROP TRIGGER stats_mark_penalty_line ON penalty_lines;
CREATE TRIGGER stats_mark_penalty_lines_inserted AFTER INSERT ON penalty_lines
    REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_penalty_lines();
CREATE TRIGGER stats_mark_penalty_lines_updated AFTER UPDATE ON penalty_lines
    REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_penalty_lines();
"""

PENALTY_LINES_BY_ROW = """
DROP TRIGGER stats_mark_penalty_lines_inserted ON penalty_lines;
DROP TRIGGER stats_mark_penalty_lines_updated ON penalty_lines;
DROP FUNCTION stats_mark_penalty_lines();
CREATE TRIGGER stats_mark_penalty_line AFTER INSERT OR UPDATE ON penalty_lines
    FOR EACH ROW EXECUTE FUNCTION stats_mark_by_inspection_id();
"""


def upgrade():
    op.drop_constraint('pk_stats_dirty', 'stats_dirty', type_='primary')
    op.add_column('stats_dirty', sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False))
    op.create_primary_key('pk_stats_dirty', 'stats_dirty', ['id'])
    op.create_index('ix_stats_dirty_group', 'stats_dirty', ['jurisdiction_id', 'month'])
    op.execute(MARK_FUNCTIONS.format(on_conflict=''))
    op.execute(PENALTY_LINES_BY_STATEMENT)


def downgrade():
    op.execute(PENALTY_LINES_BY_ROW)
    op.execute(
        "DELETE FROM stats_dirty d USING stats_dirty e"
        " WHERE (d.jurisdiction_id, d.month) = (e.jurisdiction_id, e.month) AND d.id > e.id"
    )
    op.drop_index('ix_stats_dirty_group', table_name='stats_dirty')
    op.drop_constraint('pk_stats_dirty', 'stats_dirty', type_='primary')
    op.drop_column('stats_dirty', 'id')
    op.create_primary_key('pk_stats_dirty', 'stats_dirty', ['jurisdiction_id', 'month'])
    op.execute(MARK_FUNCTIONS.format(on_conflict='\n        ON CONFLICT DO NOTHING'))
