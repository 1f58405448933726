"""the language of mails: a subscriber's, and each newsletter delivery's (copied from it when sending starts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('subscribers', sa.Column('language', sa.String(length=5), nullable=False, server_default='de'))
    op.add_column('deliveries', sa.Column('language', sa.String(length=5), nullable=False, server_default='de'))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('subscribers') as batch_op:
        batch_op.drop_column('language')
