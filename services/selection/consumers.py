"""The candidates projection: applications events -> calls and candidates (a shared.consumer.Projection,
which the `rebuild` command builds again from the topic with shared.consumer.rebuild_projection).

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

from dataclasses import replace

from services.selection.db import PROJECTION_TABLES
from services.selection.domain import CLOSED, OPEN, Call, Candidate, Tombstone
from services.selection.handlers import vacate_place
from services.selection.privacy import PRIVACY_CONSUMER
from shared.consumer import Handler, PermanentError, Projection, SetBased
from shared.errors import DomainError
from shared.events.catalogue import TOPIC_APPLICATIONS
from shared.events.envelope import Event
from shared.revocation import revocation_consumer
from shared.worker import ConsumerSpec

NAME, PURPOSE = "selection", "candidates"  # the consumer group: selection.candidates (+ the deployment's suffix)
WITHDRAWN = "withdrawn"


# --- calls ---------------------------------------------------------------------------------------
def _call_details(data: dict) -> dict:
    return {"title": data["title"], "topic": data["topic"], "places": data["places"],
            "workshops_per_place": data["workshops_per_place"]}


def call_opened(event: Event, data: dict, uow) -> None:
    known = uow.calls.get(data["call_id"], for_update=True)
    times = {"opens_at": data["opens_at"], "closes_at": data["closes_at"]}
    if known is None:
        uow.calls.add(Call(id=data["call_id"], status=OPEN, **_call_details(data), **times))
    elif known.is_closed:
        # The close is newer: keep its details and status, take only the times it does not carry.
        uow.calls.save(replace(known, **times))
    else:
        uow.calls.save(replace(known, **_call_details(data), **times))


def call_closed(event: Event, data: dict, uow) -> None:
    known = uow.calls.get(data["call_id"], for_update=True)
    values = dict(_call_details(data), status=CLOSED, closed_at=data["closed_at"],
                  applications=data.get("applications"))
    if known is None:
        uow.calls.add(Call(id=data["call_id"], **values))
    else:
        uow.calls.save(replace(known, **values))


def call_deadlines_changed(event: Event, data: dict, uow) -> None:
    """New times of a call we know; a draft's change is carried by its later CallOpened anyway."""
    known = uow.calls.get(data["call_id"], for_update=True)
    if known is not None:
        uow.calls.save(replace(known, opens_at=data["opens_at"], closes_at=data["closes_at"]))


# --- candidates ----------------------------------------------------------------------------------
def _candidate(data: dict, state_at) -> Candidate:
    """The candidate an application's event describes, with the checks the ranking will apply later:
    what it could never rank is refused."""
    municipality = data["municipality"]
    try:
        return Candidate(
            application_id=data["application_id"], call_id=data["call_id"], ags=municipality["ags"],
            name=municipality["name"], population=municipality.get("population"), size_class=data["size_class"],
            submitted_at=data["submitted_at"], focus_areas=tuple(data.get("focus_areas") or ()),
            statement=data.get("statement") or "", partners=tuple(data.get("partners") or ()), state_at=state_at)
    except DomainError as error:
        raise PermanentError(f"{error.field}: {error.message}") from None


def _upsert_content(data: dict, state_at, uow) -> None:
    candidate = _candidate(data, state_at)
    known = uow.candidates.projected(data["application_id"], for_update=True)
    if known is None:
        uow.candidates.add(candidate)
        return
    if isinstance(known, Candidate) and known.state_at is not None and state_at < known.state_at:
        return  # we already hold newer content
    uow.candidates.replace_content(candidate)  # the status (withdrawn is final) stays


def application_submitted(event: Event, data: dict, uow) -> None:
    _upsert_content(data, data["submitted_at"], uow)


def application_updated(event: Event, data: dict, uow) -> None:
    _upsert_content(data, data["updated_at"], uow)


def _upsert_contents(items: list, uow) -> None:
    """The set-based form of `_upsert_content` for a run of submissions and updates (shared.consumer applies
    a poll's consecutive ones together): the newest content per application, by the same rule, written
    with one INSERT ... ON CONFLICT whose condition is `_upsert_content`'s."""
    newest: dict[str, Candidate] = {}
    for event, data in items:
        state_at = data["updated_at"] if event.type == "ApplicationUpdated" else data["submitted_at"]
        candidate = _candidate(data, state_at)
        held = newest.get(candidate.application_id)
        if held is None or not state_at < held.state_at:
            newest[candidate.application_id] = candidate
    uow.candidates.upsert_contents(list(newest.values()))


def application_withdrawn(event: Event, data: dict, uow) -> None:
    known = uow.candidates.projected(data["application_id"], for_update=True)
    if isinstance(known, Candidate):
        vacate_place(uow, known, data["withdrawn_at"])
    if known is None:
        uow.candidates.add_tombstone(Tombstone(application_id=data["application_id"], call_id=data["call_id"],
                                               ags=data["ags"], withdrawn_at=data["withdrawn_at"]))
    elif known.status != WITHDRAWN or known.withdrawn_at is None or data["withdrawn_at"] < known.withdrawn_at:
        uow.candidates.withdraw(data["application_id"], data["withdrawn_at"])


HANDLERS: dict[str, Handler] = {
    "CallOpened": call_opened,
    "CallClosed": call_closed,
    "CallDeadlinesChanged": call_deadlines_changed,
    # a poll's consecutive submissions and updates are applied together by `_upsert_contents`
    "ApplicationSubmitted": SetBased(application_submitted, _upsert_contents),
    "ApplicationUpdated": SetBased(application_updated, _upsert_contents),
    "ApplicationWithdrawn": application_withdrawn,
}


# --- the projection ---------------------------------------------------------------------------------
CANDIDATES = Projection(topics=(TOPIC_APPLICATIONS,), handlers=HANDLERS, tables=PROJECTION_TABLES)


def consumers() -> list[ConsumerSpec]:
    """Groups `selection.candidates`, `selection.privacy` and `selection.access`."""
    return [ConsumerSpec(NAME, PURPOSE, topics=list(CANDIDATES.topics), handlers=dict(CANDIDATES.handlers)),
            PRIVACY_CONSUMER, revocation_consumer(NAME)]
