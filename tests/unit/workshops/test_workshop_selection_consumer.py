"""The selection consumer's handlers through a fake unit of work: events -> commands -> workshops."""
from __future__ import annotations

import pytest

from services.workshops import domain as d
from services.workshops.consumers import selection_handlers
from services.workshops.handlers import COMMAND_HANDLERS
from shared.bus import MessageBus
from shared.consumer import PermanentError
from shared.events.catalogue import make_event, validate_data
from workshop_helpers import HEINSBERG, NOW, SIEGEN, WASSENBERG


class FakeWorkshops:
    def __init__(self):
        self.rows = {}

    def get(self, workshop_id, for_update=False):
        return self.rows.get(workshop_id)

    def add(self, workshop):
        self.rows[workshop.id] = workshop

    def for_call(self, call_id):
        return [w for w in self.rows.values() if w.call_id == call_id]


class FakeCalls:
    def __init__(self):
        self.topics, self.invitations = {}, set()

    def topic(self, call_id):
        return self.topics.get(call_id, "")

    def record(self, call_id, *, title, topic, decided_at):
        self.topics[call_id] = topic

    def invite(self, call_id, ags, *, name, application_id, now):
        added = (call_id, ags) not in self.invitations
        self.invitations.add((call_id, ags))
        return added

    def uninvite(self, call_id, ags):
        self.invitations.discard((call_id, ags))

    def invited(self, call_id):
        return {ags for call, ags in self.invitations if call == call_id}


class FakeSession:
    def flush(self):
        pass


class FakeUnitOfWork:
    def __init__(self):
        self.workshops, self.calls, self.session, self.events = FakeWorkshops(), FakeCalls(), FakeSession(), []

    def emit(self, event):
        self.events.append(event)


def deliver(uow, event_type, data):
    event = make_event(event_type, data, source="/tests")
    bus = MessageBus(uow_factory=None, handlers=COMMAND_HANDLERS, clock=lambda: NOW)
    selection_handlers(bus)[event_type](event, validate_data(event_type, event.data, 1), uow)


def selected(application_id="app-siegen", workshops_per_place=2, ags=SIEGEN, name="Siegen"):
    return {"call_id": "call-2018", "application_id": application_id,
            "municipality": {"ags": ags, "name": name, "population": 102_000, "size_class": "large"},
            "workshops_per_place": workshops_per_place, "decided_at": "2018-06-15T12:00:00+00:00"}


def test_application_selected_plans_the_series_and_emits_workshop_planned_once():
    uow = FakeUnitOfWork()
    deliver(uow, "ApplicationSelected", selected())
    deliver(uow, "ApplicationSelected", selected())  # redelivered under a new event id
    assert sorted(w.sequence for w in uow.workshops.rows.values()) == [1, 2]
    assert [e.type for e in uow.events] == ["WorkshopPlanned", "WorkshopPlanned"]
    assert uow.events[0].subject == d.workshop_id_for("app-siegen", 1)
    assert uow.events[0].data["municipality"]["size_class"] == "large"


def test_invitations_recorded_before_the_selection_reach_the_new_workshops():
    uow = FakeUnitOfWork()
    deliver(uow, "ApplicationNotSelected", {
        "call_id": "call-2018", "application_id": "app-heinsberg", "municipality": {"ags": HEINSBERG, "name": "Heinsberg"},
        "may_attend_workshops": True, "decided_at": "2018-06-15T12:00:00+00:00"})
    deliver(uow, "SelectionCompleted", {
        "call_id": "call-2018", "call_title": "Netzwerk vor Ort", "topic": "Smart City", "places": 3, "selected": [],
        "ranking": [], "rationale": "Je eine Klein-, Mittel- und Großstadt.", "decided_at": "2018-06-15T12:00:00+00:00"})
    deliver(uow, "ApplicationSelected", selected(application_id="app-wassenberg", ags=WASSENBERG, name="Wassenberg"))
    workshop = uow.workshops.get(d.workshop_id_for("app-wassenberg", 1))
    assert workshop.invited_ags == {HEINSBERG}
    assert workshop.title == "Strategiewerkstatt 1: Smart City in Wassenberg"


def test_an_event_that_breaks_a_rule_is_dead_lettered_at_once_instead_of_retried():
    with pytest.raises(PermanentError):
        deliver(FakeUnitOfWork(), "ApplicationSelected", selected(workshops_per_place=0))
