"""When the panel may decide or amend, and the quorum: rules of the domain, checked without a database."""
from datetime import datetime, timedelta, timezone

import pytest

from services.selection.domain import (
    DECIDED_AT_TOLERANCE,
    Criterion,
    Panel,
    PanelMember,
    may_amend,
    may_decide,
    quorum_for,
)
from shared.errors import Conflict, InvalidInput

NOW = datetime(2018, 6, 15, 12, 0, tzinfo=timezone.utc)
CLOSED_AT = datetime(2018, 6, 1, tzinfo=timezone.utc)
PANEL = Panel([PanelMember(f"m{i}", f"Member {i}", "Netzwerk Innenstadt NRW", f"m{i}@example.org") for i in range(1, 8)],
              [Criterion("concept", "Quality of the concept")])


def test_a_closed_call_with_a_panel_and_no_decision_may_be_decided_now():
    assert may_decide("closed", CLOSED_AT, False, PANEL, NOW, NOW) is PANEL


@pytest.mark.parametrize("status, decided, panel, field", [
    ("open", False, PANEL, None), ("draft", False, PANEL, None), ("closed", True, PANEL, None),
    ("closed", False, None, "panel")])
def test_an_open_call_a_second_decision_or_a_missing_panel_is_a_conflict(status, decided, panel, field):
    with pytest.raises(Conflict) as refused:
        may_decide(status, CLOSED_AT, decided, panel, NOW, NOW)
    assert refused.value.field == field


@pytest.mark.parametrize("decided_at", [NOW + DECIDED_AT_TOLERANCE + timedelta(seconds=1),
                                        CLOSED_AT - timedelta(seconds=1)])
def test_a_decision_dated_in_the_future_or_before_the_close_is_refused(decided_at):
    with pytest.raises(InvalidInput) as refused:
        may_decide("closed", CLOSED_AT, False, PANEL, decided_at, NOW)
    assert refused.value.field == "decided_at"


def test_a_clock_a_little_ahead_is_tolerated():
    assert may_decide("closed", CLOSED_AT, False, PANEL, NOW + DECIDED_AT_TOLERANCE, NOW) is PANEL


def test_an_amendment_needs_a_decision_and_a_date_between_it_and_now():
    decided = NOW - timedelta(days=10)
    assert may_amend(decided, NOW, NOW) == decided
    with pytest.raises(Conflict):
        may_amend(None, NOW, NOW)
    for decided_at in (decided - timedelta(seconds=1), NOW + DECIDED_AT_TOLERANCE + timedelta(seconds=1)):
        with pytest.raises(InvalidInput) as refused:
            may_amend(decided, decided_at, NOW)
        assert refused.value.field == "decided_at"


def test_the_quorum_is_the_one_set_or_else_a_majority_of_the_members():
    assert quorum_for(PANEL, None) == 4
    assert quorum_for(PANEL, 6) == 6
