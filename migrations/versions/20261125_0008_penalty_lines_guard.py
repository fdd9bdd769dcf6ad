"""Computed penalty lines and computations are evidence: the database refuses rewriting them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 11:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# A penalty line is written once by the engine (on submit or an audited recompute, which adds a NEW
# computation). Afterwards the only change is a supervisor's override (app.penalties.services.
# override_penalty_line): amount_fen, status and explanation together with a new, non-empty `override`
# record (who, reason, when). Anything else — a silent amount change, a rewritten rule, a DELETE — is refused.
# A computation may only stop being current (a recompute supersedes it). TRUNCATE is left to the
# superuser-run test clean-up.
GUARD = """
CREATE FUNCTION penalty_lines_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'penalty_lines rows are evidence: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'amount_fen' - 'status' - 'explanation' - 'override')
            IS DISTINCT FROM (to_jsonb(OLD) - 'amount_fen' - 'status' - 'explanation' - 'override')
       OR NEW.override IS NULL OR NEW.override = 'null'::jsonb
       OR NEW.override IS NOT DISTINCT FROM OLD.override THEN
        RAISE EXCEPTION 'penalty_lines rows are evidence: only a recorded override may change a line'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER penalty_lines_immutable BEFORE UPDATE OR DELETE ON penalty_lines
    FOR EACH ROW EXECUTE FUNCTION penalty_lines_immutable();

CREATE FUNCTION penalty_computations_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'penalty_computations rows are evidence: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'is_current') IS DISTINCT FROM (to_jsonb(OLD) - 'is_current')
       OR (NEW.is_current AND NOT OLD.is_current) THEN
        RAISE EXCEPTION 'penalty_computations rows are evidence: only is_current may change (to false)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER penalty_computations_immutable BEFORE UPDATE OR DELETE ON penalty_computations
    FOR EACH ROW EXECUTE FUNCTION penalty_computations_immutable();
"""


def upgrade():
    op.execute(GUARD)


def downgrade():
    op.execute("DROP TRIGGER penalty_computations_immutable ON penalty_computations")
    op.execute("DROP FUNCTION penalty_computations_immutable()")
    op.execute("DROP TRIGGER penalty_lines_immutable ON penalty_lines")
    op.execute("DROP FUNCTION penalty_lines_immutable()")
