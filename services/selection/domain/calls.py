"""A call as the selection knows it from the applications events, and the audit trail of its selection."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True, kw_only=True)
class Call:
    """A call for applications: how many places it has and whether it still takes applications. A call goes
    from open to closed and never back; CallClosed alone does not carry when it opened."""

    id: str
    title: str
    topic: str
    places: int
    workshops_per_place: int
    status: str = OPEN
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    applications: int | None = None

    @property
    def is_closed(self) -> bool:
        return self.status == CLOSED


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One change of a call's selection on record: who (`actor`, `role:subject`) did what, when."""

    id: int
    call_id: str
    at: datetime
    actor: str
    action: str
    application_id: str | None = None
    member_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
