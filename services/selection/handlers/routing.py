"""The bus's routing table: command type -> handler."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.selection.handlers.commands import AmendDecision, DeclareConflict, RecordDecision, SetBalanceRule, SetPanel, WithdrawConflict, WriteReview
from services.selection.handlers.decision import amend_decision, record_decision
from services.selection.handlers.reviews import declare_conflict, set_balance_rule, set_panel, withdraw_conflict, write_review

COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    SetPanel: set_panel,
    SetBalanceRule: set_balance_rule,
    DeclareConflict: declare_conflict,
    WithdrawConflict: withdraw_conflict,
    WriteReview: write_review,
    RecordDecision: record_decision,
    AmendDecision: amend_decision,
}
