"""awaited letters: when the portal heard of the decision

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 04:00:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('awaited_letters') as batch_op:
        batch_op.add_column(sa.Column('noted_at', shared.db.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('awaited_letters') as batch_op:
        batch_op.drop_column('noted_at')
