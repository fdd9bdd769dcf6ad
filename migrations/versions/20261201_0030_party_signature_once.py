"""One party-signature record per (inspection, photo): a retried POST whose answer was lost finds the first record
instead of appending a second (app/documents/signatures.py)

Earlier retries may have left identical copies; the first of each pair is kept and the copies (same photo, so the
same bytes and hash) are removed before the unique index is built.

Revision ID: 0030
Revises: 0025
Create Date: 2026-12-01 02:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        DELETE FROM party_signatures later USING party_signatures first
        WHERE later.inspection_id = first.inspection_id AND later.photo_id = first.photo_id AND later.id > first.id
    """)
    op.create_index(
        'uq_party_signatures_inspection_id_photo_id', 'party_signatures', ['inspection_id', 'photo_id'], unique=True
    )


def downgrade():
    op.drop_index('uq_party_signatures_inspection_id_photo_id', table_name='party_signatures')
