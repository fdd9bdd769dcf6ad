"""An inspection created and submitted in one request is written once: its officers, answers and photo links may
be inserted after its row when this very transaction created it; app servers are told when the reference data a
submission reads changes (NOTIFY lantian_reference), so their caches forget it

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 06:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

# 0010's guard froze an inspection's officers, answers and photo links once it is submitted. The one-request
# create-and-submit (app/inspections/put_and_submit.py) now inserts the inspection already submitted and then its
# records, instead of inserting a draft and updating it. The guard keeps refusing every change to the records of
# an inspection submitted by an earlier transaction; it lets this transaction insert records for a row it created
# itself (the row's version is this transaction's, xmin, and its creation time is this transaction's start,
# created_at = now(): a row created earlier and updated now has an older created_at) — what the draft's PUT and
# the submission in the same transaction allowed before. UPDATE and DELETE are judged as before.
GUARD = """
CREATE OR REPLACE FUNCTION inspection_records_frozen_once_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
    created_now boolean := false;
    mutable text[] := COALESCE(TG_ARGV, '{}'::text[]);
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state, (xmin = pg_current_xact_id()::xid AND created_at = now()) INTO st, created_now
          FROM inspections WHERE id = NEW.inspection_id;
    ELSE
        SELECT state INTO st FROM inspections WHERE id = OLD.inspection_id;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.inspection_id IS DISTINCT FROM OLD.inspection_id THEN
        RAISE EXCEPTION '% rows never move to another inspection: UPDATE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF st IS NULL OR st IN ('draft', 'returned') OR (TG_OP = 'INSERT' AND created_now) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - mutable) = (to_jsonb(OLD) - mutable) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of a % inspection are evidence: % refused', TG_TABLE_NAME, st, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

# 0010's version, restored on downgrade.
GUARD_0010 = """
CREATE OR REPLACE FUNCTION inspection_records_frozen_once_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
    mutable text[] := COALESCE(TG_ARGV, '{}'::text[]);
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state INTO st FROM inspections WHERE id = NEW.inspection_id;
    ELSE
        SELECT state INTO st FROM inspections WHERE id = OLD.inspection_id;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.inspection_id IS DISTINCT FROM OLD.inspection_id THEN
        RAISE EXCEPTION '% rows never move to another inspection: UPDATE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF st IS NULL OR st IN ('draft', 'returned') THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - mutable) = (to_jsonb(OLD) - mutable) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of a % inspection are evidence: % refused', TG_TABLE_NAME, st, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

# What lets the creating transaction insert its records is the row's created_at = now(): it must never be set
# again, or an UPDATE of an earlier inspection's created_at (the lifecycle trigger does not look at it) would open
# its records to insertion in the updating transaction.
CREATED_AT_FIXED = """
CREATE FUNCTION inspections_created_at_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inspections: created_at is set once, at creation: UPDATE refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER inspections_created_at_fixed BEFORE UPDATE ON inspections
    FOR EACH ROW WHEN (NEW.created_at IS DISTINCT FROM OLD.created_at)
    EXECUTE FUNCTION inspections_created_at_fixed();
"""


# app/reference_cache.py keeps the current penalty rules, each chain's merged penalty settings and checklist
# parameters, and each site's zones and responsible sub-district per process; any change to what they are read from
# empties it on every app server once the writer commits. Statement-level: a sync of the whole catalogue is one
# notification (PostgreSQL also folds equal notifications of one transaction into one).
REFERENCE_TABLES = (
    "penalty_rule_versions",
    "jurisdiction_penalty_settings",
    "checklist_parameter_values",
    "jurisdictions",
    "sites",
    "site_zones",
    "zones",
)
NOTIFY_FUNCTION = """
CREATE FUNCTION lantian_notify_reference_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lantian_reference', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
"""


def upgrade():
    op.execute(CREATED_AT_FIXED)
    op.execute(GUARD)
    op.execute(NOTIFY_FUNCTION)
    for table in REFERENCE_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_reference AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION lantian_notify_reference_change()"
        )


def downgrade():
    for table in REFERENCE_TABLES:
        op.execute(f"DROP TRIGGER {table}_notify_reference ON {table}")
    op.execute("DROP FUNCTION lantian_notify_reference_change()")
    op.execute(GUARD_0010)
    op.execute("DROP TRIGGER inspections_created_at_fixed ON inspections")
    op.execute("DROP FUNCTION inspections_created_at_fixed()")
