"""The idempotency store's lifetime: stored first answers expire, expired rows are purged, erasure reaches them.

`shared.web.idempotent` keeps the first answer to a POST with an `Idempotency-Key` in the service's
`idempotency_keys` table. Such an answer may hold personal data (an application's contact, a registration),
so it lives `VORORT_IDEMPOTENCY_TTL_HOURS` (default 24, shared.config.idempotency_ttl):
- an expired answer is never replayed: a retry after that does the work afresh;
- every worker purges expired rows every purge_interval_s() (shared.worker adds the job to every plan);
- a GDPR export lists the stored answers that quote the address, and an erasure deletes them
  (shared.privacy).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from sqlalchemy import MetaData, Row, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.config import idempotency_ttl
from shared.personal_data import email_digest

TABLE = "idempotency_keys"
_ADDRESS = re.compile(r"[^\s\"'<>(),;:@\[\]\\]+@[^\s\"'<>(),;:@\[\]\\]+")


def purge_interval_s() -> float:
    """Every five minutes, or more often for a short lifetime, so that no row outlives it by much."""
    return max(0.5, min(300.0, idempotency_ttl().total_seconds() / 4))


def expired_before(now: datetime | None = None) -> datetime:
    """Rows created before this moment are expired."""
    return (now or datetime.now(timezone.utc)) - idempotency_ttl()


def is_expired(created_at: datetime, now: datetime | None = None) -> bool:
    return created_at < expired_before(now)


def purge_expired(engine: Engine, metadata: MetaData, now: datetime | None = None) -> int:
    """Delete every expired stored answer; returns how many."""
    table = metadata.tables[TABLE]
    with engine.begin() as connection:
        return connection.execute(delete(table).where(table.c.created_at < expired_before(now))).rowcount


def answers_about(session: Session, metadata: MetaData, digest: str) -> list[Row[str, str, str | None, datetime]]:
    """The stored rows that mention the address with this SHA-256 (in the answer or the caller's scope).

    The erasure request carries only the hash, so every address in every stored row is hashed and compared;
    the store holds at most one lifetime's POSTs."""
    table = metadata.tables[TABLE]
    return [row for row in session.execute(select(table.c.scope, table.c.key, table.c.body, table.c.created_at))
            if any(email_digest(address) == digest for address in _addresses(row.scope, row.body))]


def export_answers_about(session: Session, metadata: MetaData, digest: str) -> list[dict[str, str]]:
    """GDPR export: which stored answers quote the person, and until when they are kept."""
    records = []
    for row in answers_about(session, metadata, digest):
        method, path = row.scope.rsplit(":", 2)[-2:]
        records.append({"kind": "stored_answer", "request": f"{method} {path}",
                        "created_at": row.created_at.isoformat(),
                        "expires_at": (row.created_at + idempotency_ttl()).isoformat()})
    return records


def erase_answers_about(session: Session, metadata: MetaData, digest: str) -> int:
    """GDPR erasure: delete the stored answers (and their keys) that quote the person; returns how many."""
    table = metadata.tables[TABLE]
    doomed = answers_about(session, metadata, digest)
    for row in doomed:
        session.execute(delete(table).where((table.c.scope == row.scope) & (table.c.key == row.key)))
    return len(doomed)


def _addresses(*texts: str | None) -> set[str]:
    found = set()
    for text in texts:
        if not text:
            continue
        for piece in _strings(text):
            found.update(_ADDRESS.findall(piece))
    return found


def _strings(text: str) -> list[str]:
    """The strings of a JSON text (escapes decoded), or the text itself where it is not JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    found, pending = [], [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found
