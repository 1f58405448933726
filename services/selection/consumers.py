"""The candidates projection: applications events -> calls and candidates, and its rebuild from the topic.

Handlers have the consumer loop's signature `handler(event, data, uow)`; the loop (shared.consumer) runs
each in one transaction with the processed-message record, so a redelivered event is a no-op. Beyond
that, every handler is an upsert whose outcome does not depend on the order in which events of
different aggregates arrive, nor on an event of the same aggregate being replayed with a new id:
- a call goes from open to closed and never back; a late CallOpened only fills in what it carries;
- a candidate's content is replaced only by content at least as recent as what we hold (`state_at`);
- a withdrawal is final: the applications service gives a new application a new id, so a submission
  or update seen after (or replayed before) the withdrawal never revives the candidate. A withdrawal
  that arrives first leaves a tombstone that the submission later fills in.
- a withdrawal of a municipality the decision selected vacates its place (PlaceVacated), once: the
  audit trail, which a rebuild does not touch, remembers that it was told.
"""
from __future__ import annotations

import logging
import time

from kafka import TopicPartition

from services.selection.domain import Candidate
from services.selection.handlers import vacate_place
from shared.consumer import PermanentError
from shared.errors import DomainError
from shared.events.catalogue import TOPIC_APPLICATIONS, InvalidEventError, UnknownEventError, validate_data
from shared.events.envelope import EnvelopeError, Event
from shared.kafka import make_consumer

log = logging.getLogger(__name__)

CONSUMER_GROUP = "selection.candidates"
OPEN, CLOSED = "open", "closed"
SUBMITTED, WITHDRAWN = "submitted", "withdrawn"


# --- calls ---------------------------------------------------------------------------------------
def _call_details(data: dict) -> dict:
    return {"title": data["title"], "topic": data["topic"], "places": data["places"],
            "workshops_per_place": data["workshops_per_place"]}


def call_opened(event: Event, data: dict, uow) -> None:
    known = uow.calls.get(data["call_id"], for_update=True)
    values = dict(_call_details(data), opens_at=data["opens_at"], closes_at=data["closes_at"])
    if known is None:
        uow.calls.insert(dict(values, id=data["call_id"], status=OPEN))
    elif known["status"] == CLOSED:
        # The close is newer: keep its details and status, take only the times it does not carry.
        uow.calls.update(data["call_id"], {"opens_at": data["opens_at"], "closes_at": data["closes_at"]})
    else:
        uow.calls.update(data["call_id"], values)


def call_closed(event: Event, data: dict, uow) -> None:
    known = uow.calls.get(data["call_id"], for_update=True)
    values = dict(_call_details(data), status=CLOSED, closed_at=data["closed_at"],
                  applications=data.get("applications"))
    if known is None:
        uow.calls.insert(dict(values, id=data["call_id"]))
    else:
        uow.calls.update(data["call_id"], values)


def call_deadlines_changed(event: Event, data: dict, uow) -> None:
    """New times of a call we know; a draft's change is carried by its later CallOpened anyway."""
    known = uow.calls.get(data["call_id"], for_update=True)
    if known is not None:
        uow.calls.update(data["call_id"], {"opens_at": data["opens_at"], "closes_at": data["closes_at"]})


# --- candidates ----------------------------------------------------------------------------------
def _candidate_content(data: dict, state_at) -> dict:
    municipality = data["municipality"]
    values = {
        "call_id": data["call_id"], "ags": municipality["ags"], "name": municipality["name"],
        "population": municipality.get("population"), "size_class": data["size_class"],
        "focus_areas": list(data.get("focus_areas") or []), "statement": data.get("statement") or "",
        "partners": list(data.get("partners") or []), "submitted_at": data["submitted_at"], "state_at": state_at,
    }
    try:  # the same checks the ranking will apply later: refuse what it could never rank
        Candidate(application_id=data["application_id"], call_id=values["call_id"], ags=values["ags"],
                  name=values["name"], population=values["population"], size_class=values["size_class"])
    except DomainError as error:
        raise PermanentError(f"{error.field}: {error.message}") from None
    return values


def _upsert_content(data: dict, state_at, uow) -> None:
    values = _candidate_content(data, state_at)
    known = uow.candidates.get_row(data["application_id"], for_update=True)
    if known is None:
        uow.candidates.insert(dict(values, application_id=data["application_id"], status=SUBMITTED,
                                   withdrawn_at=None))
        return
    if known["name"] is not None and known["state_at"] is not None and state_at < known["state_at"]:
        return  # we already hold newer content
    uow.candidates.update(data["application_id"], values)  # the status (withdrawn is final) stays


def application_submitted(event: Event, data: dict, uow) -> None:
    _upsert_content(data, data["submitted_at"], uow)


def application_updated(event: Event, data: dict, uow) -> None:
    _upsert_content(data, data["updated_at"], uow)


def _upsert_contents(items: list, uow) -> None:
    """The set-based form of `_upsert_content` for a run of submissions and updates (shared.consumer applies
    a poll's consecutive ones together): the newest content per application, by the same rule, written
    with one INSERT ... ON CONFLICT whose condition is `_upsert_content`'s."""
    newest: dict[str, dict] = {}
    for event, data in items:
        state_at = data["updated_at"] if event.type == "ApplicationUpdated" else data["submitted_at"]
        values = dict(_candidate_content(data, state_at), application_id=data["application_id"])
        held = newest.get(values["application_id"])
        if held is None or not state_at < held["state_at"]:
            newest[values["application_id"]] = values
    uow.candidates.upsert_contents(list(newest.values()))


# shared.consumer looks for this optional attribute; a function object cannot declare it to mypy.
application_submitted.batch = application_updated.batch = _upsert_contents  # type: ignore[attr-defined]


def application_withdrawn(event: Event, data: dict, uow) -> None:
    known = uow.candidates.get_row(data["application_id"], for_update=True)
    if known is not None and known["name"] is not None:
        vacate_place(uow, known, data["withdrawn_at"])
    if known is None:
        uow.candidates.insert({
            "application_id": data["application_id"], "call_id": data["call_id"], "ags": data["ags"],
            "name": None, "population": None, "size_class": None, "focus_areas": [], "statement": "",
            "partners": [], "status": WITHDRAWN, "submitted_at": None, "state_at": None,
            "withdrawn_at": data["withdrawn_at"]})
    elif known["status"] != WITHDRAWN or known["withdrawn_at"] is None or data["withdrawn_at"] < known["withdrawn_at"]:
        uow.candidates.update(data["application_id"], {"status": WITHDRAWN, "withdrawn_at": data["withdrawn_at"]})


HANDLERS = {
    "CallOpened": call_opened,
    "CallClosed": call_closed,
    "CallDeadlinesChanged": call_deadlines_changed,
    "ApplicationSubmitted": application_submitted,
    "ApplicationUpdated": application_updated,
    "ApplicationWithdrawn": application_withdrawn,
}


# --- rebuild -------------------------------------------------------------------------------------
def rebuild_projection(uow_factory, bootstrap_servers: str, *, topic: str = TOPIC_APPLICATIONS,
                       group_id: str = CONSUMER_GROUP, handlers: dict | None = None,
                       deadline_s: float = 600.0) -> dict:
    """Throw the projection away and build it again from the beginning of `topic`.

    A fresh consumer without a group reads every partition from the beginning up to the end offsets it
    found when it started, and applies each event through the same handlers as the live consumer, with
    the same duplicate check and the same rule for messages the live consumer dead-letters (they change
    nothing). All of it happens in one transaction: readers see the old projection until the new one
    commits, and on PostgreSQL the live consumer waits meanwhile. Returns the counts of what was read.
    """
    handlers = HANDLERS if handlers is None else handlers
    consumer = make_consumer(bootstrap_servers, None, (), client_id="selection-rebuild")
    counts = {"applied": 0, "duplicate": 0, "skipped": 0, "refused": 0}
    try:
        partitions = _partitions(consumer, topic, deadline_s)
        if not partitions:  # never wipe the projection because the broker does not know the topic
            raise LookupError(f"topic {topic} not found on {bootstrap_servers}")
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek_to_beginning(partition)
        with uow_factory() as uow:
            uow.clear_projection(group_id)
            deadline = time.monotonic() + deadline_s
            while any(consumer.position(p) < ends[p] for p in partitions):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"rebuild did not reach the end of {topic} within {deadline_s}s")
                for batch in consumer.poll(timeout_ms=500).values():
                    for message in batch:
                        if message.offset < ends[TopicPartition(message.topic, message.partition)]:
                            counts[_apply(uow, group_id, handlers, message)] += 1
            uow.commit()
    finally:
        consumer.close()
    log.info("projection rebuilt", extra={"topic": topic, **counts})
    return counts


def _partitions(consumer, topic: str, deadline_s: float) -> list[TopicPartition]:
    deadline = time.monotonic() + min(deadline_s, 30.0)
    while True:
        found = consumer.partitions_for_topic(topic)
        if found or time.monotonic() > deadline:
            return [TopicPartition(topic, p) for p in sorted(found or ())]
        time.sleep(0.2)


def _apply(uow, group_id: str, handlers: dict, message) -> str:
    try:
        event = Event.from_value(message.value)
    except EnvelopeError:
        return "refused"
    handler = handlers.get(event.type)
    if handler is None:
        return "skipped"
    try:
        data = validate_data(event.type, event.data, event.version)
    except (UnknownEventError, InvalidEventError):
        return "refused"
    if uow.already_processed(group_id, event.id):
        return "duplicate"
    savepoint = uow.session.begin_nested()
    try:
        handler(event, data, uow)
    except PermanentError:
        savepoint.rollback()
        return "refused"
    savepoint.commit()
    uow.mark_processed(group_id, event)
    return "applied"
