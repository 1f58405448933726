"""an index in the order of the applications list

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:10:00
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_applications_call_order', 'applications', ['call_id', 'submitted_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_applications_call_order', table_name='applications')
