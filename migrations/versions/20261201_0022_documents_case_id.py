"""Documents issued from a case: documents.case_id becomes the case's integer id with a foreign key

Until now ``case_id`` was an unused UUID column (cases have integer ids and nothing filled it from a case);
any value it held referenced no case and is still in the document's frozen facts (``facts.case_id``), so the
column restarts empty. ALTER TABLE does not fire the write-once row trigger of 0014, which compares the
column by name and keeps guarding it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 00:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_documents_case_id', table_name='documents')
    op.execute("ALTER TABLE documents ALTER COLUMN case_id TYPE integer USING NULL")
    op.create_foreign_key(op.f('fk_documents_case_id_cases'), 'documents', 'cases', ['case_id'], ['id'])
    op.create_index(op.f('ix_documents_case_id'), 'documents', ['case_id'])


def downgrade():
    op.drop_index(op.f('ix_documents_case_id'), table_name='documents')
    op.drop_constraint(op.f('fk_documents_case_id_cases'), 'documents', type_='foreignkey')
    op.execute("ALTER TABLE documents ALTER COLUMN case_id TYPE uuid USING NULL")
    op.create_index('ix_documents_case_id', 'documents', ['case_id'])
