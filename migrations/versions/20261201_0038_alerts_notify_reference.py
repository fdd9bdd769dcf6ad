"""Alert declarations and reduction lists notify the reference caches: a submission reads them from memory

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01 10:10:00

"""
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


def upgrade():
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_reference AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION lantian_notify_reference_change()"
        )


def downgrade():
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_notify_reference ON {table}")
