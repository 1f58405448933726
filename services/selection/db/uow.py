"""Selection's unit of work, with its repositories attached."""
from __future__ import annotations

from services.selection.db.repositories import (
    AmendmentRepository,
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
from services.selection.db.tables import metadata
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
        self.amendments = AmendmentRepository(self.session)
        self.ranking = RankingRepository(self.session)
        self.audit = AuditRepository(self.session)
