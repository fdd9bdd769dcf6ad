"""Photos: one row per client UUID over content-addressed originals; evidence columns immutable

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 09:28:07.201212

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None

EVIDENCE_COLUMNS = (
    "id", "sha256", "uploader_id", "size_bytes", "format", "mime", "width", "height", "orientation",
    "taken_at_local", "taken_at_offset_min", "taken_at_source", "modified_at_local", "location",
    "gps_accuracy_m", "gps_time_utc", "gps_problem", "make", "model", "software", "exif_problem", "created_at",
)

# Originals are evidence: after the INSERT only the scope and the derivative
# columns may change, and rows are never deleted (app.photos.models.MUTABLE_COLUMNS).
EVIDENCE_GUARD = """
CREATE FUNCTION photos_evidence_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'photos rows are evidence: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ({new}) IS DISTINCT FROM ({old}) THEN
        RAISE EXCEPTION 'photos evidence columns are immutable: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER photos_evidence_guard BEFORE UPDATE OR DELETE ON photos
    FOR EACH ROW EXECUTE FUNCTION photos_evidence_is_immutable();
""".format(
    new=", ".join(f"NEW.{c}" for c in EVIDENCE_COLUMNS),
    old=", ".join(f"OLD.{c}" for c in EVIDENCE_COLUMNS),
)


def upgrade():
    op.create_geospatial_table('photos',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('scope_paths', postgresql.ARRAY(sa.String(length=200)), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('mime', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('orientation', sa.SmallInteger(), nullable=True),
    sa.Column('taken_at_local', sa.DateTime(), nullable=True),
    sa.Column('taken_at_offset_min', sa.SmallInteger(), nullable=True),
    sa.Column('taken_at_source', sa.String(length=32), nullable=True),
    sa.Column('modified_at_local', sa.DateTime(), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('gps_accuracy_m', sa.Float(), nullable=True),
    sa.Column('gps_time_utc', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gps_problem', sa.String(length=16), nullable=True),
    sa.Column('make', sa.String(length=200), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('software', sa.String(length=200), nullable=True),
    sa.Column('exif_problem', sa.String(length=32), nullable=True),
    sa.Column('derivatives_state', sa.String(length=8), server_default='pending', nullable=False),
    sa.Column('derivatives_error', sa.String(length=64), nullable=True),
    sa.Column('derivatives_attempts', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('derivatives_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('display_width', sa.Integer(), nullable=True),
    sa.Column('display_height', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("derivatives_state IN ('pending', 'ready', 'failed')", name=op.f('ck_photos_derivatives_state')),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_photos_sha256_hex')),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_photos_uploader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    op.create_geospatial_index('idx_photos_location', 'photos', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_photos_pending_created_at', 'photos', ['created_at'], unique=False, postgresql_where=sa.text("derivatives_state = 'pending'"))
    op.create_index(op.f('ix_photos_sha256'), 'photos', ['sha256'], unique=False)
    op.create_index(op.f('ix_photos_uploader_id'), 'photos', ['uploader_id'], unique=False)
    op.execute(EVIDENCE_GUARD)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS photos_evidence_guard ON photos")
    op.execute("DROP FUNCTION IF EXISTS photos_evidence_is_immutable()")
    op.drop_index(op.f('ix_photos_uploader_id'), table_name='photos')
    op.drop_index(op.f('ix_photos_sha256'), table_name='photos')
    op.drop_index('ix_photos_pending_created_at', table_name='photos', postgresql_where=sa.text("derivatives_state = 'pending'"))
    op.drop_geospatial_index('idx_photos_location', table_name='photos', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('photos')
