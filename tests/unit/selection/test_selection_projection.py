"""The candidates projection: the applications events, in any order and any number of times, give one state.

These run the consumer handlers against a throw-away in-memory SQLite database (the service's own tables), without a
broker; the integration tests run them against PostgreSQL and Kafka.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from selection_support import (T0, call_closed, call_opened, feed, new_id, projection, submitted, updated,
                               withdrawn)
from services.selection.consumers import HANDLERS
from services.selection.db import SelectionUnitOfWork, metadata
from shared.consumer import PermanentError
from shared.db import make_session_factory
from shared.events.catalogue import make_event, validate_data


@pytest.fixture
def store():
    return _store()


def _store():
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    return engine, lambda: SelectionUnitOfWork(session_factory)


def live(engine, call_id):
    return [row["name"] for row in projection(engine, call_id)["candidates"] if row["status"] == "submitted"]


def test_submitted_application_becomes_a_candidate_with_its_size_class(store):
    engine, uow = store
    call_id, app = new_id(), new_id()
    feed(uow, call_opened(call_id), submitted(app, call_id, "Wassenberg", "05370040", 18_500))
    [row] = projection(engine, call_id)["candidates"]
    assert (row["name"], row["size_class"], row["status"]) == ("Wassenberg", "small", "submitted")


def test_withdrawn_application_is_not_a_candidate(store):
    engine, uow = store
    call_id, app = new_id(), new_id()
    feed(uow, call_opened(call_id), submitted(app, call_id, "Bocholt", "05554008", 71_000),
         withdrawn(app, call_id, "05554008"))
    assert live(engine, call_id) == []


def test_withdrawal_seen_before_the_submission_is_never_revived(store):
    engine, uow = store
    call_id, app = new_id(), new_id()
    feed(uow, withdrawn(app, call_id, "05554008"), submitted(app, call_id, "Bocholt", "05554008", 71_000))
    [row] = projection(engine, call_id)["candidates"]
    assert row["status"] == "withdrawn" and row["name"] == "Bocholt"


def test_an_update_older_than_the_content_held_is_ignored(store):
    engine, uow = store
    call_id, app = new_id(), new_id()
    newer = updated(app, call_id, "Lemgo", "05766044", 40_700, updated_at=T0 + timedelta(days=5), statement="neu")
    older = updated(app, call_id, "Lemgo", "05766044", 40_700, updated_at=T0 + timedelta(days=2), statement="alt")
    feed(uow, newer, older, submitted(app, call_id, "Lemgo", "05766044", 40_700))
    assert projection(engine, call_id)["candidates"][0]["statement"] == "neu"


def test_a_late_call_opened_does_not_reopen_a_closed_call(store):
    engine, uow = store
    call_id = new_id()
    feed(uow, call_closed(call_id, places=3), call_opened(call_id, places=3))
    [call] = projection(engine, call_id)["calls"]
    assert call["status"] == "closed" and call["opens_at"] is not None and call["closed_at"] is not None


def test_an_event_the_ranking_could_never_use_is_refused_for_the_dead_letter_topic(store):
    _, uow = store
    event = submitted(new_id(), new_id(), "Siegen", "05970040", 102_000)
    event.data["size_class"] = "small"  # contradicts the population
    with uow() as unit, pytest.raises(PermanentError, match="size_class"):
        HANDLERS[event.type](event, validate_data(event.type, event.data, event.version), unit)


def test_an_application_without_population_keeps_the_size_class_it_was_sent_with(store):
    engine, uow = store
    call_id, app = new_id(), new_id()
    data = submitted(app, call_id, "Olpe", "05966024", 25_000).data
    data["municipality"]["population"] = None
    feed(uow, make_event("ApplicationSubmitted", data, source="/tests"))
    assert projection(engine, call_id)["candidates"][0]["size_class"] == "medium"


def _history(call_id):
    """A call's events: three towns, one updated, one withdrawn, and the close."""
    apps = [new_id() for _ in range(3)]
    return [
        call_opened(call_id),
        submitted(apps[0], call_id, "Wassenberg", "05370040", 18_500),
        submitted(apps[1], call_id, "Arnsberg", "05958004", 74_200),
        submitted(apps[2], call_id, "Bocholt", "05554008", 71_000),
        updated(apps[1], call_id, "Arnsberg", "05958004", 74_200, statement="mit REGIONALE 2025"),
        withdrawn(apps[2], call_id, "05554008"),
        call_closed(call_id, applications=2),
    ]


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(7)), replays=st.lists(st.integers(0, 6), max_size=4), data=st.data())
def test_any_order_and_any_replay_end_in_the_same_state(order, replays, data):
    call_id = new_id()
    history = _history(call_id)
    reference_engine, reference = _store()
    feed(reference, *history)

    engine, uow = _store()
    shuffled = [history[i] for i in order]
    # A replay is the same fact under a new event id (e.g. re-published by an operator).
    for index in replays:
        again = history[index]
        shuffled.insert(data.draw(st.integers(0, len(shuffled))),
                        make_event(again.type, dict(again.data), source=again.source))
    feed(uow, *shuffled)
    assert projection(engine) == projection(reference_engine)
    assert sorted(live(engine, call_id)) == ["Arnsberg", "Wassenberg"]


def test_a_calls_changed_times_reach_the_projection(store):
    engine, uow = store
    call_id = new_id()
    opened = call_opened(call_id)
    later = T0 + timedelta(days=90)
    changed = make_event("CallDeadlinesChanged", {
        "call_id": call_id, "status": "open", "opens_at": T0, "closes_at": later,
        "previous_opens_at": T0, "previous_closes_at": T0 + timedelta(days=60), "changed_at": T0 + timedelta(days=5),
        "changed_by": "staff:erika"}, source="/services/applications")
    feed(uow, opened, changed)
    [call] = projection(engine, call_id)["calls"]
    assert call["closes_at"].replace(tzinfo=later.tzinfo) == later and call["status"] == "open"


class _Message:
    def __init__(self, offset, event):
        self.topic, self.partition, self.offset = "vorort.applications", 0, offset
        self.key, self.value, self.headers = event.key(), event.value(), event.headers()


@settings(deadline=None)
@given(order=st.permutations(range(7)), replays=st.lists(st.integers(0, 6), max_size=4), data=st.data(),
       poll=st.integers(1, 11))
def test_a_poll_applied_set_based_ends_in_the_state_of_events_applied_one_by_one(order, replays, data, poll):
    from shared.consumer import EventConsumer

    call_id = new_id()
    history = _history(call_id)
    shuffled = [history[i] for i in order]
    for index in replays:
        again = history[index]
        shuffled.insert(data.draw(st.integers(0, len(shuffled))),
                        make_event(again.type, dict(again.data), source=again.source))
    reference_engine, reference = _store()
    feed(reference, *shuffled)

    engine, uow = _store()
    consumer = EventConsumer(group_id="selection.candidates", topics=["vorort.applications"], handlers=HANDLERS,
                             uow_factory=uow, consumer=None, producer=None)
    messages = [_Message(offset, event) for offset, event in enumerate(shuffled)]
    for start in range(0, len(messages), poll):  # polls of `poll` messages, each applied in one transaction
        assert {o.status for o in consumer.process_batch(messages[start:start + poll])} <= {"applied", "duplicate"}
    assert projection(engine) == projection(reference_engine)
