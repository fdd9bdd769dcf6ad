"""Tell app servers when a checklist's current version changes (NOTIFY lantian_checklists, '<key>'), so their
in-process caches of current content hashes forget it at once (app/checklists/hash_cache.py)

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-01 00:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE FUNCTION lantian_notify_checklist_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('lantian_checklists', COALESCE(NEW.key, OLD.key));
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER checklist_versions_notify_change AFTER INSERT OR UPDATE OR DELETE ON checklist_versions
        FOR EACH ROW EXECUTE FUNCTION lantian_notify_checklist_change()
    """)


def downgrade():
    op.execute("DROP TRIGGER checklist_versions_notify_change ON checklist_versions")
    op.execute("DROP FUNCTION lantian_notify_checklist_change()")
