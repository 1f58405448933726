"""notices to the registrants of a cancelled workshop

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workshop_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('registration_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('workshop', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('workshop')
        batch_op.drop_column('registration_id')
        batch_op.drop_column('workshop_id')
