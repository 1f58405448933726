"""Property test: whatever order people register and cancel in, the capacity holds, nobody
waits while a place is free, and waitlist positions stay 1..n in arrival order."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.workshops import domain as d
from workshop_helpers import NOW, make_scheduled, request

actions = st.lists(st.one_of(st.just(("register", 0)), st.tuples(st.just("cancel"), st.integers(0, 50))),
                   max_size=40)


@settings(max_examples=150, deadline=None)
@given(capacity=st.integers(1, 5), steps=actions)
def test_capacity_and_waitlist_invariants_hold(capacity, steps):
    workshop = make_scheduled(capacity=capacity)
    regs = []
    for i, (action, index) in enumerate(steps):
        if action == "register":
            regs.append(d.register(workshop, regs, request(), NOW + timedelta(minutes=i)))
        else:
            active = [r for r in regs if r.status in ("confirmed", "waitlisted")]
            if active:
                d.cancel_registration(active[index % len(active)], regs, workshop)

        confirmed = d.confirmed_count(regs)
        queue = d.waitlist(regs)
        assert confirmed <= capacity
        assert not queue or confirmed == capacity
        assert [r.waitlist_position for r in queue] == list(range(1, len(queue) + 1))
        assert all(r.waitlist_position is None for r in regs if r.status != "waitlisted")
