"""deny list of revoked access (the portal verifies staff tokens for its GDPR export)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:05:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revoked_access',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref', sa.String(length=300), nullable=False),
    sa.Column('revoked_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'ref', name=op.f('pk_revoked_access'))
    )


def downgrade() -> None:
    op.drop_table('revoked_access')
