"""What the runtime role can still write is guarded: findings, a submitted inspection's records, returns, overrides

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 12:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Since the application connects as a runtime role that owns nothing (app/db_roles.py), these triggers stay
# the owner's: the runtime role cannot disable, drop or replace them. None needs SECURITY DEFINER: they read
# only tables the runtime role may read (inspections, audit_log).
#
# "Recorded in this transaction" below means an audit_log row whose xmin is the current transaction id:
# record_audit adds the row in the same transaction as the change (app/audit/services.py), outside any
# savepoint. The checks are deferred constraint triggers, so they run at COMMIT, after the ORM has flushed
# the audit row, whichever order it flushed the two in.
GUARDS = """
-- Findings are the server's verdicts at one submission (app/inspections/submission.py): written once, by the
-- submission that makes them (in the transaction that submitted the inspection: its row was written in this
-- transaction, it is submitted, and this is its current submission number), then never changed or removed. A re-submission after a return adds findings with the next number and keeps
-- the earlier ones.
CREATE FUNCTION findings_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER findings_written_once BEFORE INSERT OR UPDATE OR DELETE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_written_once();

-- Officers, answers and photo links of an inspection change only while it is a draft or returned (the
-- phone's PUT, app/inspections/capture.py). Once submitted (approved, rejected) they are what was submitted;
-- the trigger arguments name the columns that may still change (photo links: the evidence flags, derived
-- from the frozen photo and link, recomputed at submission and when a late photo arrives).
CREATE FUNCTION inspection_records_frozen_once_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER inspection_photo_links_frozen BEFORE INSERT OR UPDATE OR DELETE ON inspection_photo_links
    FOR EACH ROW EXECUTE FUNCTION inspection_records_frozen_once_submitted('flags', 'flags_computed_at');
CREATE TRIGGER inspection_answers_frozen BEFORE INSERT OR UPDATE OR DELETE ON inspection_answers
    FOR EACH ROW EXECUTE FUNCTION inspection_records_frozen_once_submitted();
CREATE TRIGGER inspection_officers_frozen BEFORE INSERT OR UPDATE OR DELETE ON inspection_officers
    FOR EACH ROW EXECUTE FUNCTION inspection_records_frozen_once_submitted();

-- The lifecycle (app/inspections/rules.py TRANSITIONS) as the database sees it: nothing goes back to draft,
-- approved and rejected are final, the submission count never decreases, and submitted → returned is a
-- supervisor's return (app/inspections/review.py): reviewer, comment, a new version, and an
-- "inspection.return" audit row for that version in the same transaction (checked at commit, below).
CREATE FUNCTION inspections_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'a % inspection is evidence: DELETE refused', OLD.state
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.submission_count < OLD.submission_count THEN
        RAISE EXCEPTION 'inspections: the submission count never decreases'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state AND (
            (NEW.state = 'draft')
            OR (OLD.state IN ('approved', 'rejected'))
            OR (OLD.state = 'submitted' AND NEW.state = 'returned' AND (
                NEW.reviewed_by_id IS NULL OR NEW.review_comment IS NULL OR NEW.version <= OLD.version))) THEN
        RAISE EXCEPTION 'inspections: % → % is not a recorded transition', OLD.state, NEW.state
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER inspections_lifecycle BEFORE UPDATE OR DELETE ON inspections
    FOR EACH ROW EXECUTE FUNCTION inspections_lifecycle();

CREATE FUNCTION inspections_return_audited() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM audit_log a
     WHERE a.action = 'inspection.return' AND a.entity_type = 'inspection' AND a.entity_id = NEW.id::text
       AND a.xmin = pg_current_xact_id()::xid
       AND a.after->>'state' = NEW.state AND a.after->>'version' = NEW.version::text;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inspections: a return from submitted needs its inspection.return audit row'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER inspections_return_audited AFTER UPDATE ON inspections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state = 'submitted' AND NEW.state = 'returned')
    EXECUTE FUNCTION inspections_return_audited();

-- A penalty line's amount changes only by an override (0008 checks the shape) that is audited: the
-- "penalty.override" row for this line, with this amount and this override record, in the same transaction
-- (app/penalties/computation.py override_penalty_line).
CREATE FUNCTION penalty_lines_override_audited() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM audit_log a
     WHERE a.action = 'penalty.override' AND a.entity_type = 'penalty_line' AND a.entity_id = NEW.id::text
       AND a.xmin = pg_current_xact_id()::xid
       AND a.after->'amount_fen' = to_jsonb(NEW.amount_fen) AND a.after->'override' = NEW.override;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'penalty_lines: an override needs its penalty.override audit row'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER penalty_lines_override_audited AFTER UPDATE ON penalty_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION penalty_lines_override_audited();
"""


def upgrade():
    op.execute(GUARDS)


def downgrade():
    op.execute("DROP TRIGGER penalty_lines_override_audited ON penalty_lines")
    op.execute("DROP FUNCTION penalty_lines_override_audited()")
    op.execute("DROP TRIGGER inspections_return_audited ON inspections")
    op.execute("DROP FUNCTION inspections_return_audited()")
    op.execute("DROP TRIGGER inspections_lifecycle ON inspections")
    op.execute("DROP FUNCTION inspections_lifecycle()")
    for table in ("inspection_officers", "inspection_answers", "inspection_photo_links"):
        op.execute(f"DROP TRIGGER {table}_frozen ON {table}")
    op.execute("DROP FUNCTION inspection_records_frozen_once_submitted()")
    op.execute("DROP TRIGGER findings_written_once ON findings")
    op.execute("DROP FUNCTION findings_written_once()")
