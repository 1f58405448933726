"""decision amendments: successors for places vacated after the decision

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:50:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decision_amendments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('vacated_application_id', sa.String(length=36), nullable=False),
    sa.Column('successor_application_id', sa.String(length=36), nullable=False),
    sa.Column('proposed_successor_id', sa.String(length=36), nullable=True),
    sa.Column('deviates_from_proposal', sa.Boolean(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('deviation_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('present_member_ids', sa.JSON(), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('recorded_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_amendments'))
    )
    op.create_index('ix_decision_amendments_call', 'decision_amendments', ['call_id', 'recorded_at'], unique=False)
    op.create_index('uq_decision_amendments_vacated', 'decision_amendments', ['vacated_application_id'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('uq_decision_amendments_vacated', table_name='decision_amendments')
    op.drop_index('ix_decision_amendments_call', table_name='decision_amendments')
    op.drop_table('decision_amendments')
