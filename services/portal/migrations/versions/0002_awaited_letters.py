"""awaited decision letters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 03:20:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('awaited_letters',
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('ags', sa.String(length=8), nullable=False),
    sa.Column('decided_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('letter_id', sa.String(length=36), nullable=True),
    sa.Column('told_at', shared.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('application_id', 'kind', name=op.f('pk_awaited_letters'))
    )
    op.create_index('ix_awaited_letters_open', 'awaited_letters', ['told_at', 'decided_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_awaited_letters_open', table_name='awaited_letters')
    op.drop_table('awaited_letters')
