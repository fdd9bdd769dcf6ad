"""Built statistics answers shared by every worker and app server: bytes keyed by the answer's tag

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-01 11:20:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

# Each process kept its own built answers (app/stats/answer_cache.py), so every gunicorn worker and every app
# server built the province's largest answers (145–450 ms) once per rollup version: the second worker's build
# made the p95 (bench/README.md). The first builder stores the bytes here; the others read them. Derived data:
# rows of older rollup versions are deleted by the refresh that moves the version.


def upgrade():
    op.create_table(
        'stats_answers',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('rollup_version', sa.BigInteger(), nullable=False),
        sa.Column('before', postgresql.BYTEA(), nullable=False),
        sa.Column('after', postgresql.BYTEA(), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_stats_answers')),
    )
    op.create_index('ix_stats_answers_rollup_version', 'stats_answers', ['rollup_version'])


def downgrade():
    op.drop_index('ix_stats_answers_rollup_version', table_name='stats_answers')
    op.drop_table('stats_answers')
