"""Selection's unit of work, with its repositories attached."""
from __future__ import annotations

from sqlalchemy import delete, text

from services.selection.db.repositories import (
    AuditRepository,
    BalanceRuleRepository,
    CallRepository,
    CandidateRepository,
    ConflictRepository,
    DecisionRepository,
    PanelRepository,
    RankingRepository,
    ReviewRepository,
)
from services.selection.db.tables import PROJECTION_TABLES, metadata
from shared.uow import UnitOfWork


class SelectionUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.calls = CallRepository(self.session)
        self.candidates = CandidateRepository(self.session)
        self.panels = PanelRepository(self.session)
        self.balance_rules = BalanceRuleRepository(self.session)
        self.conflicts = ConflictRepository(self.session)
        self.reviews = ReviewRepository(self.session)
        self.decisions = DecisionRepository(self.session)
        self.ranking = RankingRepository(self.session)
        self.audit = AuditRepository(self.session)

    def clear_projection(self, consumer_group: str) -> None:
        """Forget everything the applications events built, and which events were applied (rebuild)."""
        if self.session.get_bind().dialect.name == "postgresql":
            # Hold off the live consumer's writes until the rebuilt projection commits.
            names = ", ".join(table.name for table in PROJECTION_TABLES)
            self.session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        processed = metadata.tables["processed_messages"]
        self.session.execute(delete(processed).where(processed.c.consumer_group == consumer_group))
        for table in PROJECTION_TABLES:
            self.session.execute(delete(table))
