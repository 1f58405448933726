"""the language of mails: a person's preference, a guest registration's page language, each mail's

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ('people', 'guest_registrations', 'mails')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=False, server_default='de'))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('language')
