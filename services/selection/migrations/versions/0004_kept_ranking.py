"""kept ranking numbers and an index in the order of the candidates list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 00:10:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ranking_scores',
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('weighted_mean', sa.Float(), nullable=True),
    sa.Column('review_count', sa.Integer(), nullable=False),
    sa.Column('abstention_count', sa.Integer(), nullable=False),
    sa.Column('spread', sa.Float(), nullable=True),
    sa.Column('std_dev', sa.Float(), nullable=True),
    sa.Column('conflicted_member_ids', sa.JSON(), nullable=False),
    sa.Column('submitted_at', shared.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('call_id', 'application_id', name=op.f('pk_ranking_scores'))
    )
    op.create_index('ix_ranking_scores_order', 'ranking_scores',
                    ['call_id', sa.text('weighted_mean DESC'), sa.text('review_count DESC'), 'spread', 'submitted_at',
                     'application_id'], unique=False)
    op.create_index('ix_candidates_call_order', 'candidates', ['call_id', 'submitted_at', 'application_id'],
                    unique=False)
    # Existing reviews and conflicts: the numbers they imply (the handlers keep them from here on).
    from services.selection import handlers
    from services.selection.db import SelectionUnitOfWork

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT call_id, application_id FROM reviews "
                                      "UNION SELECT call_id, application_id FROM conflicts")).all()
    if rows:
        from sqlalchemy.orm import Session

        uow = SelectionUnitOfWork(lambda: Session(bind=connection))
        with uow:
            by_call = {}
            for call_id, application_id in rows:
                by_call.setdefault(call_id, set()).add(application_id)
            for call_id, application_ids in by_call.items():
                handlers.refresh_ranking(uow, call_id, application_ids)
            uow.session.flush()


def downgrade() -> None:
    op.drop_index('ix_candidates_call_order', table_name='candidates')
    op.drop_index('ix_ranking_scores_order', table_name='ranking_scores')
    op.drop_table('ranking_scores')
