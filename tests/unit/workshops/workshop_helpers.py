"""Helpers for the workshop tests: a fixed clock, Wassenberg's workshop series and a factory for
registration requests from fictitious people. (Kept out of conftest.py so that test modules can
import it by a name no other test directory uses.)"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from services.workshops import domain as d

UTC = timezone.utc
WASSENBERG = "05370040"
ARNSBERG = "05958004"
SIEGEN = "05970040"
HEINSBERG = "05370016"  # an applicant that was not selected, invited to the workshops
GUETERSLOH = "05754008"  # neither selected nor invited in these tests

# The office works on 1 March 2026; the first workshop is on Thursday 26 March 2026.
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def make_scheduled(capacity=3, requires_approval=False, **extra) -> d.Workshop:
    workshop = d.plan_series("call-2018", "app-wassenberg", WASSENBERG, "Wassenberg", 2,
                             topic="Smart City", invited_ags=[HEINSBERG])[0]
    changes = {
        "starts_at": datetime(2026, 3, 26, 10, 0),   # Berlin wall time, CET
        "ends_at": datetime(2026, 3, 26, 16, 0),
        "venue": "Rathaus Wassenberg, Ratssaal",
        "capacity": capacity,
        "agenda": "Begrüßung\nMobilität\nBürgerbeteiligung",
        "registration_opens_at": datetime(2026, 2, 1, 8, 0),
        "registration_closes_at": datetime(2026, 3, 24, 23, 59),
        "requires_approval": requires_approval,
    }
    changes.update(extra)
    workshop, _ = d.schedule(workshop, changes, NOW - timedelta(days=30), 0)
    return workshop


_counter = itertools.count(1)


def request(email: str | None = None, **overrides) -> dict:
    n = next(_counter)
    req = {
        "name": f"Erika Musterfrau {n}",
        "email": f"erika.musterfrau{n}@example.org" if email is None else email,
        "organisation": "Musterverein e. V.",
        "participant_type": "local_actor",
        "consent": True,
    }
    req.update(overrides)
    return req


def sign_up(workshop, regs, n, *, start=NOW, **overrides):
    """Register n people one minute apart, appending to regs; returns the new registrations."""
    new = []
    for _ in range(n):
        reg = d.register(workshop, regs, request(**overrides), start + timedelta(minutes=len(regs)))
        regs.append(reg)
        new.append(reg)
    return new
