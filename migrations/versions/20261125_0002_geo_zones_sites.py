"""Map layer: zones (MultiPolygon, GiST), sites (generic geometry, GiST + geography expression index), site_zones

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:25:24.152383

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None  # parallel branch off 0001; the lead merges the heads


def upgrade():
    op.create_geospatial_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('operator_type', sa.String(length=16), nullable=False),
    sa.Column('operator_name', sa.String(length=200), nullable=False),
    sa.Column('operator_credit_code', sa.String(length=18), nullable=True),
    sa.Column('address', sa.String(length=400), nullable=True),
    sa.Column('geom', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_sites_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    op.create_geospatial_index('idx_sites_geom', 'sites', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_sites_geog', 'sites', [sa.literal_column('(geom::geography)')], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_sites_jurisdiction_id'), 'sites', ['jurisdiction_id'], unique=False)
    op.create_index(op.f('ix_sites_kind'), 'sites', ['kind'], unique=False)
    op.create_index(op.f('ix_sites_operator_credit_code'), 'sites', ['operator_credit_code'], unique=False)
    op.create_geospatial_table('zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('designated_by', sa.Text(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_zones_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('code', name=op.f('uq_zones_code'))
    )
    op.create_geospatial_index('idx_zones_geom', 'zones', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_zones_jurisdiction_id'), 'zones', ['jurisdiction_id'], unique=False)
    op.create_index(op.f('ix_zones_kind'), 'zones', ['kind'], unique=False)
    op.create_table('site_zones',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_zones_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_site_zones_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'zone_id', name=op.f('pk_site_zones'))
    )
    op.create_index(op.f('ix_site_zones_zone_id'), 'site_zones', ['zone_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_site_zones_zone_id'), table_name='site_zones')
    op.drop_table('site_zones')
    op.drop_index(op.f('ix_zones_kind'), table_name='zones')
    op.drop_index(op.f('ix_zones_jurisdiction_id'), table_name='zones')
    op.drop_geospatial_index('idx_zones_geom', table_name='zones', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('zones')
    op.drop_index(op.f('ix_sites_operator_credit_code'), table_name='sites')
    op.drop_index(op.f('ix_sites_kind'), table_name='sites')
    op.drop_index(op.f('ix_sites_jurisdiction_id'), table_name='sites')
    op.drop_index('ix_sites_geog', table_name='sites', postgresql_using='gist')
    op.drop_geospatial_index('idx_sites_geom', table_name='sites', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('sites')
