"""The single mails publishing queues (confirmations, acknowledgements, letters, test sends), as read back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

@dataclass(frozen=True, kw_only=True)
class Mail:
    """One queued mail without its message: what it is, to whom, and how sending it went (`pending`,
    `sending`, `sent`, `failed`, `skipped`)."""
    id: int
    kind: str
    recipient: str
    subject: str
    notice_id: str | None = None
    created_at: datetime
    status: str = "pending"
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None
