"""Job queue: procrastinate's schema (jobs, workers, events, periodic defers) and our record of job errors

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 12:00:00

"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# procrastinate's own schema SQL, copied from procrastinate 3.10.0 (procrastinate/sql/schema.sql) so this
# migration builds the same schema whatever version is installed later. Upgrading procrastinate means a new
# migration that applies the files of procrastinate/sql/migrations/ between the two versions.
SCHEMA = Path(__file__).resolve().parent.parent / "sql" / "procrastinate_3.10.0_schema.sql"


def upgrade():
    # Through the driver, without parameters: the file holds many statements and '%' signs, which
    # SQLAlchemy's text() and parameter styles would try to interpret. Same transaction as the migration.
    op.get_bind().connection.driver_connection.execute(SCHEMA.read_text())
    # Photos already waiting for derivatives (the old polling worker's queue) get their job now.
    op.execute("""
        SELECT procrastinate_defer_jobs_v1(ARRAY(
            SELECT ROW('default', 'make_derivatives', 0, NULL, NULL,
                       jsonb_build_object('photo_id', id::text), NOW())::procrastinate_job_to_defer_v1
              FROM photos WHERE derivatives_state = 'pending' ORDER BY created_at))
    """)
    # procrastinate keeps no error text: the worker records each failed attempt here (app.jobs.errors).
    op.create_table(
        'job_errors',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('job_id', sa.BigInteger(), nullable=False),
        sa.Column('task_name', sa.String(length=128), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_errors')),
    )
    op.create_index(op.f('ix_job_errors_job_id'), 'job_errors', ['job_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_job_errors_job_id'), table_name='job_errors')
    op.drop_table('job_errors')
    op.execute("""
        DO $$
        DECLARE f record;
        BEGIN
            DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
                                 procrastinate_workers CASCADE;
            FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                      JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
            END LOOP;
            DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
                                procrastinate_job_status CASCADE;
        END $$;
    """)
