"""Tell app servers when a user's access changes (NOTIFY lantian_auth, '<user id>'), so their in-process
session caches evict at once: a session revoked, a user disabled or given another role, jurisdictions changed

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 20:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE FUNCTION lantian_notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            affected integer;
        BEGIN
            IF TG_TABLE_NAME = 'users' THEN
                affected := COALESCE(NEW.id, OLD.id);
            ELSE
                affected := COALESCE(NEW.user_id, OLD.user_id);
            END IF;
            PERFORM pg_notify('lantian_auth', affected::text);
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER auth_sessions_notify_revocation AFTER UPDATE OF revoked_at OR DELETE ON auth_sessions
        FOR EACH ROW EXECUTE FUNCTION lantian_notify_auth_change()
    """)
    op.execute("""
        CREATE TRIGGER users_notify_access_change AFTER UPDATE OF is_active, role, username OR DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION lantian_notify_auth_change()
    """)
    op.execute("""
        CREATE TRIGGER user_jurisdictions_notify_change AFTER INSERT OR UPDATE OR DELETE ON user_jurisdictions
        FOR EACH ROW EXECUTE FUNCTION lantian_notify_auth_change()
    """)


def downgrade():
    op.execute("DROP TRIGGER user_jurisdictions_notify_change ON user_jurisdictions")
    op.execute("DROP TRIGGER users_notify_access_change ON users")
    op.execute("DROP TRIGGER auth_sessions_notify_revocation ON auth_sessions")
    op.execute("DROP FUNCTION lantian_notify_auth_change()")
