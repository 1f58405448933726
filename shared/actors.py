"""Who did something, as every service records it (a handler's `submitted_by`, an audit's `actor`, a
registration's owner, an idempotency scope): `role:subject`. Free of Flask, so handlers use it too; a
`shared.auth.Principal` names itself with `.actor`."""
from __future__ import annotations


def actor_key(role: str, subject: str) -> str:
    """`role:subject`. The role is part of it, so a partner and a municipality that happen to share a
    subject are never taken for one another."""
    return f"{role}:{subject}"
