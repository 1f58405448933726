"""First come, first served needs arrival times in the order the workshop lock let people in."""
from __future__ import annotations

from datetime import timedelta

from services.workshops import domain as d
from services.workshops.handlers import arrival_time
from workshop_helpers import NOW, make_scheduled, request


def test_arrival_times_follow_the_lock_order_even_when_the_clock_lags_or_stands_still():
    workshop = make_scheduled(capacity=1)
    regs = []
    for clock_reading in (NOW, NOW, NOW - timedelta(seconds=2), NOW + timedelta(minutes=1)):
        regs.append(d.register(workshop, regs, request(), arrival_time(lambda: clock_reading, regs)))
    times = [r.created_at for r in regs]
    assert times == sorted(times) and len(set(times)) == 4
    assert times[-1] == NOW + timedelta(minutes=1), "a clock that runs ahead is taken as it is"
    assert [r.waitlist_position for r in d.waitlist(regs)] == [1, 2, 3]
    d.cancel_registration(regs[0], regs, workshop)
    assert regs[1].status == "confirmed", "the second to arrive moves up"
