"""Counting attempts per key in a sliding window, in the portal's database (shared by every worker).

Keys are digests, never addresses or IPs in clear: the table is about how often, not about whom.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from services.portal.db import throttle_hits


def throttle_key(kind: str, value: str) -> str:
    return f"{kind}:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]


def hit(connection: Connection, key: str, now: datetime, window: timedelta, limit: int) -> bool:
    """Record an attempt; True while the key stays within `limit` attempts in `window` (this one included)."""
    since = now - window
    connection.execute(insert(throttle_hits).values(key=key, at=now))
    count = connection.execute(select(func.count()).select_from(throttle_hits).where(
        throttle_hits.c.key == key, throttle_hits.c.at > since)).scalar_one()
    return count <= limit


def forget_before(connection: Connection, before: datetime) -> None:
    connection.execute(delete(throttle_hits).where(throttle_hits.c.at < before))
