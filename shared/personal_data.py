"""How one person is identified across services: the SHA-256 of their lower-cased, trimmed e-mail address.

The erasure request travelling through Kafka carries only this digest, so that it does not itself spread
the address (shared.privacy); the idempotency store compares it with the addresses its answers quote
(shared.idempotency). Both import it from here, the lowest place they share.
"""
from __future__ import annotations

import hashlib


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
