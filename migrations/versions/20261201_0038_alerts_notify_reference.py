"""Alert declarations and reduction lists notify the reference caches; review marks are appended, once per
statement

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01 10:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

# Every submission judges the inspection with the alert level declared for the site's jurisdictions and the
# site's entries on the reduction lists in force (app/alerts/in_force.py): three to five reads per request of data
# that changes when an alert is declared or a list imported. app/reference_cache.py keeps them per process; like
# the tables of 0033, these send NOTIFY lantian_reference (statement-level: one per import), so every process
# forgets them once the writer commits.
TABLES = ("alerts", "reduction_lists", "reduction_entries", "reduction_measures")

# Review marks (0027) were keyed by inspection: a submission's INSERT … ON CONFLICT DO NOTHING waited for the
# refresh job when the job had just deleted that inspection's mark, while the job's upsert into review_risk waited
# (foreign key) for the submission's lock on the inspection: a deadlock, one submission answered 503 (seen in
# `make bench` right after boot, when the job marks and recomputes every inspection). A plain append never waits;
# the job reads each inspection once however often it was marked (app/review/risk_store.py), as the map (0036) and
# statistics (0037) marks do. The child tables mark once per statement from their transition tables (a new
# inspection's findings were one mark per row).
MARK_FUNCTIONS = """
CREATE OR REPLACE FUNCTION review_mark_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id) VALUES (NEW.id){on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION review_mark_photo_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO review_dirty (inspection_id) VALUES (OLD.inspection_id){on_conflict};
        INSERT INTO review_dirty_photos (photo_id) VALUES (OLD.photo_id){on_conflict};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO review_dirty (inspection_id) VALUES (NEW.inspection_id){on_conflict};
        INSERT INTO review_dirty_photos (photo_id) VALUES (NEW.photo_id){on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION review_mark_photo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id)
    SELECT DISTINCT l.inspection_id FROM inspection_photo_links l WHERE l.photo_id = NEW.id{on_conflict};
    INSERT INTO review_dirty_photos (photo_id) VALUES (NEW.id){on_conflict};
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION review_mark_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.geom IS DISTINCT FROM OLD.geom OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.jurisdiction_id IS DISTINCT FROM OLD.jurisdiction_id THEN
        INSERT INTO review_dirty (inspection_id) SELECT i.id FROM inspections i WHERE i.site_id = NEW.id{on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION review_mark_jurisdiction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.boundary IS DISTINCT FROM OLD.boundary OR NEW.path IS DISTINCT FROM OLD.path THEN
        INSERT INTO review_dirty (inspection_id)
        SELECT i.id FROM inspections i JOIN sites s ON s.id = i.site_id WHERE s.jurisdiction_id = NEW.id{on_conflict};
    END IF;
    RETURN NULL;
END;
$$;
"""

# Officers, findings, penalty computations and lines: the inspections of the statement's rows, once each.
CHILD_TABLES = (
    ("inspection_officers", "review_mark_officer"),
    ("findings", "review_mark_finding"),
    ("penalty_computations", "review_mark_penalty_computation"),
    ("penalty_lines", "review_mark_penalty_line"),
)
STATEMENT_FUNCTIONS = """
CREATE FUNCTION review_mark_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id) SELECT DISTINCT inspection_id FROM new_rows;
    RETURN NULL;
END;
$$;
CREATE FUNCTION review_mark_old_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id) SELECT DISTINCT inspection_id FROM old_rows;
    RETURN NULL;
END;
$$;
CREATE FUNCTION review_mark_changed_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_dirty (inspection_id)
    SELECT inspection_id FROM old_rows UNION SELECT inspection_id FROM new_rows;
    RETURN NULL;
END;
$$;
"""


def upgrade():
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_reference AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION lantian_notify_reference_change()"
        )
    for name, column in (("review_dirty", "inspection_id"), ("review_dirty_photos", "photo_id")):
        op.drop_constraint(f'pk_{name}', name, type_='primary')
        op.add_column(name, sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False))
        op.create_primary_key(f'pk_{name}', name, ['id'])
        op.create_index(f'ix_{name}_{column}', name, [column])
    op.execute(MARK_FUNCTIONS.format(on_conflict=''))
    op.execute(STATEMENT_FUNCTIONS)
    for table, trigger in CHILD_TABLES:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute(
            f"CREATE TRIGGER {trigger}_inserted AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION review_mark_new_rows()"
        )
        op.execute(
            f"CREATE TRIGGER {trigger}_updated AFTER UPDATE ON {table}"
            " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION review_mark_changed_rows()"
        )
        op.execute(
            f"CREATE TRIGGER {trigger}_deleted AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION review_mark_old_rows()"
        )


def downgrade():
    for table, trigger in CHILD_TABLES:
        for event in ("inserted", "updated", "deleted"):
            op.execute(f"DROP TRIGGER {trigger}_{event} ON {table}")
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION review_mark_by_inspection_id()"
        )
    op.execute("DROP FUNCTION review_mark_changed_rows()")
    op.execute("DROP FUNCTION review_mark_old_rows()")
    op.execute("DROP FUNCTION review_mark_new_rows()")
    for name, column in (("review_dirty", "inspection_id"), ("review_dirty_photos", "photo_id")):
        op.execute(f"DELETE FROM {name} d USING {name} e WHERE d.{column} = e.{column} AND d.id > e.id")
        op.drop_index(f'ix_{name}_{column}', table_name=name)
        op.drop_constraint(f'pk_{name}', name, type_='primary')
        op.drop_column(name, 'id')
        op.create_primary_key(f'pk_{name}', name, [column])
    op.execute(MARK_FUNCTIONS.format(on_conflict=' ON CONFLICT DO NOTHING'))
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_notify_reference ON {table}")
