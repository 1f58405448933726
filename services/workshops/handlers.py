"""Use cases of the workshops: command -> unit of work -> domain -> outbox.

Every handler of an HTTP command commits once: the state change and its events together. The
commands made from integration events of the selection (consumers.py) run inside the consumer loop's
unit of work (the bus runs them there) and do not commit: the loop commits their writes together with
the record that the event was processed, so a redelivered event is a no-op (and, their writes being
upserts, harmless even without that record). Erasure requests go through shared.privacy, like every
service's; `erase_personal_data` is what the workshops erase.

Everything that counts places (registering, cancelling, approving, rescheduling, completing)
first locks the workshop's row (`SELECT ... FOR UPDATE`), so that on PostgreSQL two requests for
the same workshop take turns and the capacity holds under any load.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.workshops import domain
from services.workshops.domain import Registration, Workshop
from shared.actors import actor_key
from shared.errors import Conflict, NotFound
from shared.events.catalogue import make_event
from shared.logs import correlation_id
from shared.privacy import ERASED_NAME, erased_email

SOURCE = "/services/workshops"


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanSeries:
    """From ApplicationSelected: the selected municipality gets its workshops."""
    call_id: str
    application_id: str
    ags: str
    name: str
    workshops_per_place: int
    population: int | None = None
    size_class: str | None = None


@dataclass(frozen=True)
class RecordInvitation:
    """From ApplicationNotSelected: whether the municipality may attend the call's workshops."""
    call_id: str
    application_id: str
    ags: str
    name: str
    may_attend: bool


@dataclass(frozen=True)
class RecordSelection:
    """From SelectionCompleted: the call's title and topic, which name the workshops."""
    call_id: str
    title: str
    topic: str
    decided_at: datetime | None = None


@dataclass(frozen=True)
class CancelSeries:
    """From PlaceVacated: the municipality withdrew after the decision; its workshops ahead are called off."""
    call_id: str
    application_id: str
    reason: str


@dataclass(frozen=True)
class ScheduleWorkshop:
    workshop_id: str
    changes: dict


@dataclass(frozen=True)
class CancelWorkshop:
    workshop_id: str
    reason: str | None = None


@dataclass(frozen=True)
class Register:
    workshop_id: str
    request: dict
    actor_role: str
    actor_subject: str
    actor_ags: str | None = None


@dataclass(frozen=True)
class CancelRegistration:
    workshop_id: str
    registration_id: str
    actor_role: str
    actor_key: str
    code: str | None = None


@dataclass(frozen=True)
class ApproveRegistration:
    workshop_id: str
    registration_id: str


@dataclass(frozen=True)
class RejectRegistration:
    workshop_id: str
    registration_id: str


@dataclass(frozen=True)
class CheckIn:
    workshop_id: str
    code: str


@dataclass(frozen=True)
class CompleteWorkshop:
    workshop_id: str
    summary: str
    solution_approaches: list = field(default_factory=list)
    documents: list = field(default_factory=list)


# --- who is asking -------------------------------------------------------------------------------
# A registration remembers who made it as `shared.actors.actor_key(role, subject)`, so that a partner and a
# municipality that happen to share a subject never see each other's registrations.


def may_manage(registration: Registration, *, role: str, actor_key: str, code: str | None) -> bool:
    """The office, the principal who registered, or whoever holds the manage code."""
    if role == "staff":
        return True
    # bytes: compare_digest refuses str with non-ASCII characters (subjects and codes may have them)
    if registration.registrant_subject and secrets.compare_digest(registration.registrant_subject.encode(),
                                                                  actor_key.encode()):
        return True
    return code is not None and code != "" and secrets.compare_digest(registration.manage_code.encode(),
                                                                      code.encode())


# --- events --------------------------------------------------------------------------------------
def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())


def municipality_ref(workshop: Workshop) -> dict:
    return {"ags": workshop.municipality_ags, "name": workshop.municipality_name,
            "population": workshop.municipality_population, "size_class": workshop.municipality_size_class}


def _schedule_data(workshop: Workshop) -> dict:
    return {"workshop_id": workshop.id, "call_id": workshop.call_id, "municipality": municipality_ref(workshop),
            "sequence": workshop.sequence, "starts_at": workshop.starts_at, "ends_at": workshop.ends_at,
            "venue": workshop.venue or None, "capacity": workshop.capacity,
            "registration_opens_at": workshop.registration_opens_at,
            "registration_closes_at": workshop.registration_closes_at}


# --- loading -------------------------------------------------------------------------------------
def _locked_workshop(uow, workshop_id: str) -> Workshop:
    workshop = uow.workshops.get(workshop_id, for_update=True)
    if workshop is None:
        raise NotFound(f"No workshop {workshop_id}.")
    return workshop


def _registration(regs: list[Registration], registration_id: str) -> Registration:
    for registration in regs:
        if registration.id == registration_id:
            return registration
    raise NotFound(f"No registration {registration_id}.")


# --- from integration events (inside the consumer loop's transaction) ----------------------------
def plan_series(command: PlanSeries, uow, clock) -> list[Workshop]:
    """Create the workshops that do not exist yet. Ids follow from (application, sequence), so a
    redelivered event finds its workshops and creates nothing twice."""
    series = domain.plan_series(
        command.call_id, command.application_id, command.ags, command.name, command.workshops_per_place,
        topic=uow.calls.topic(command.call_id), invited_ags=uow.calls.invited(command.call_id),
        population=command.population, size_class=command.size_class)
    created = []
    for workshop in series:
        if uow.workshops.get(workshop.id) is not None:
            continue
        uow.workshops.add(workshop)
        uow.emit(_event("WorkshopPlanned", {
            "workshop_id": workshop.id, "call_id": workshop.call_id, "application_id": workshop.application_id,
            "municipality": municipality_ref(workshop), "sequence": workshop.sequence}))
        created.append(workshop)
    uow.session.flush()
    return created


def record_invitation(command: RecordInvitation, uow, clock) -> bool:
    """Invitations are kept per call, so workshops planned later for the call include them too."""
    if command.may_attend:
        changed = uow.calls.invite(command.call_id, command.ags, name=command.name,
                                   application_id=command.application_id, now=clock())
    else:
        uow.calls.uninvite(command.call_id, command.ags)
        changed = True
    return changed


def record_selection(command: RecordSelection, uow, clock) -> None:
    uow.calls.record(command.call_id, title=command.title, topic=command.topic, decided_at=command.decided_at)
    for workshop in uow.workshops.for_call(command.call_id):
        if not workshop.topic:
            workshop.topic = command.topic


VACATED_REASON = "Die Kommune hat ihre Bewerbung zurückgezogen."


def cancel_series(command: CancelSeries, uow, clock) -> list[Workshop]:
    """Call off every workshop of the application that has not taken place; completed ones stay history.
    A redelivery finds them cancelled already and changes nothing."""
    now = clock()
    cancelled = []
    for workshop in uow.workshops.for_call(command.call_id):
        if workshop.application_id != command.application_id or workshop.status in domain.FINAL_WORKSHOP_STATUSES:
            continue
        workshop = _locked_workshop(uow, workshop.id)
        _cancel(uow, workshop, command.reason, now)
        cancelled.append(workshop)
    uow.session.flush()
    return cancelled


def erase_personal_data(uow, digest: str) -> int:
    """GDPR (shared.privacy runs it once per request, audits it and answers PersonalDataErased): anonymise
    the person's registrations; places in workshops ahead go to the waitlist."""
    found = uow.registrations.by_email_digest(digest)
    for workshop_id in sorted({r.workshop_id for r in found}):  # one lock order: no deadlocks
        workshop = _locked_workshop(uow, workshop_id)
        regs = uow.registrations.for_workshop(workshop_id)  # the same objects as in `found`
        for registration in (r for r in regs if r.id in {f.id for f in found}):
            domain.erase_registrant(registration, regs, workshop, erased_name=ERASED_NAME,
                                    erased_email=erased_email(registration.id))
    return len(found)


@dataclass(frozen=True)
class PurgeExpiredParticipantData:
    """Retention: participants' personal data is kept `retention` after a workshop's end, then erased."""
    retention: timedelta


def purge_expired_participant_data(command: PurgeExpiredParticipantData, uow, clock) -> int:
    """Anonymise every registration of workshops that ended longer ago than the retention period; the
    counts by participant type stay, the people go. Runs in the worker; safe to repeat."""
    cutoff = clock() - command.retention
    purged = 0
    for workshop in uow.workshops.ended_before(cutoff):
        regs = uow.registrations.for_workshop(workshop.id)
        for registration in regs:
            if registration.name == ERASED_NAME:
                continue
            domain.erase_registrant(registration, regs, workshop, erased_name=ERASED_NAME,
                                    erased_email=erased_email(registration.id))
            purged += 1
    uow.commit()
    return purged


# --- the office plans ----------------------------------------------------------------------------
def schedule_workshop(command: ScheduleWorkshop, uow, clock) -> Workshop:
    workshop = _locked_workshop(uow, command.workshop_id)
    regs = uow.registrations.for_workshop(workshop.id)
    workshop, event_type = domain.schedule(workshop, command.changes, clock(), domain.confirmed_count(regs))
    domain.fill_from_waitlist(workshop, regs)  # a raised capacity goes to the waitlist at once
    if event_type:
        uow.emit(_event(event_type, _schedule_data(workshop)))
    uow.commit()
    return workshop


def cancel_workshop(command: CancelWorkshop, uow, clock) -> Workshop:
    workshop = _locked_workshop(uow, command.workshop_id)
    _cancel(uow, workshop, command.reason, clock())
    uow.commit()
    return workshop


def _cancel(uow, workshop: Workshop, reason: str | None, now: datetime) -> None:
    """Cancel and tell: the event names the registrations still holding or awaiting a place (ids only), so
    that publishing can write to each registrant."""
    domain.cancel(workshop, now)
    registrations = [r.id for r in uow.registrations.for_workshop(workshop.id)
                     if r.status in domain.ACTIVE_REGISTRATION_STATUSES]
    uow.emit(_event("WorkshopCancelled", {
        "workshop_id": workshop.id, "call_id": workshop.call_id, "reason": reason, "cancelled_at": now,
        "application_id": workshop.application_id, "municipality": municipality_ref(workshop),
        "sequence": workshop.sequence, "starts_at": workshop.starts_at, "registration_ids": registrations}))


# --- registrations -------------------------------------------------------------------------------
def arrival_time(clock, regs: list[Registration]) -> datetime:
    """The waitlist is first come, first served by `created_at`. Registrations take turns under the
    workshop lock, so their times must follow that order, even when two app servers' clocks disagree
    by a little (or a test's clock stands still)."""
    now = clock()
    latest = max((r.created_at for r in regs), default=None)
    return latest + timedelta(microseconds=1) if latest is not None and now <= latest else now


def register(command: Register, uow, clock) -> Registration:
    workshop = _locked_workshop(uow, command.workshop_id)
    domain.may_register(workshop, command.actor_role, command.actor_ags)
    regs = uow.registrations.for_workshop(workshop.id)
    registration = domain.register(
        workshop, regs, command.request, arrival_time(clock, regs),
        registrant_subject=actor_key(command.actor_role, command.actor_subject),
        registrant_ags=command.actor_ags if command.actor_role == domain.MUNICIPALITY_ROLE else None,
        late_entry=command.actor_role in domain.STAFF_ROLES)
    uow.registrations.add(registration)
    uow.commit()  # a duplicate that slipped past the domain check fails here on the unique index
    return registration


def cancel_registration(command: CancelRegistration, uow, clock) -> tuple[Registration, Registration | None]:
    workshop = _locked_workshop(uow, command.workshop_id)
    regs = uow.registrations.for_workshop(workshop.id)
    registration = _registration(regs, command.registration_id)
    if not may_manage(registration, role=command.actor_role, actor_key=command.actor_key, code=command.code):
        raise NotFound(f"No registration {command.registration_id}.")
    promoted = domain.cancel_registration(registration, regs, workshop)
    uow.commit()
    return registration, promoted


def approve_registration(command: ApproveRegistration, uow, clock) -> Registration:
    workshop = _locked_workshop(uow, command.workshop_id)
    regs = uow.registrations.for_workshop(workshop.id)
    registration = domain.approve(_registration(regs, command.registration_id), workshop, regs)
    uow.commit()
    return registration


def reject_registration(command: RejectRegistration, uow, clock) -> Registration:
    workshop = _locked_workshop(uow, command.workshop_id)
    regs = uow.registrations.for_workshop(workshop.id)
    registration = _registration(regs, command.registration_id)
    if workshop.status in domain.FINAL_WORKSHOP_STATUSES:
        raise Conflict(f"The workshop is {workshop.status}; its registrations can no longer change.")
    domain.reject(registration)
    uow.commit()
    return registration


def check_in(command: CheckIn, uow, clock) -> Registration:
    workshop = _locked_workshop(uow, command.workshop_id)
    if workshop.status != domain.SCHEDULED:
        raise Conflict(f"The workshop is {workshop.status}; check-in is possible only while it is scheduled.")
    registration = domain.find_by_manage_code(uow.registrations.for_workshop(workshop.id), command.code)
    domain.check_in(registration, clock())
    uow.commit()
    return registration


# --- results -------------------------------------------------------------------------------------
def complete_workshop(command: CompleteWorkshop, uow, clock) -> Workshop:
    workshop = _locked_workshop(uow, command.workshop_id)
    regs = uow.registrations.for_workshop(workshop.id)
    domain.complete(workshop, command.summary, command.solution_approaches, command.documents, clock())
    payload = domain.completed_event_payload(workshop, regs)
    payload["municipality"] = municipality_ref(workshop)
    payload["topic"] = workshop.topic or None
    payload["participant_organisations"] = domain.participant_organisations(regs)
    uow.emit(_event("WorkshopCompleted", payload))
    uow.commit()
    return workshop


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    # made from the selection's events (consumers.py), run in the consumer loop's unit of work
    PlanSeries: plan_series,
    RecordInvitation: record_invitation,
    RecordSelection: record_selection,
    CancelSeries: cancel_series,
    # the API's and the worker's
    ScheduleWorkshop: schedule_workshop,
    CancelWorkshop: cancel_workshop,
    Register: register,
    CancelRegistration: cancel_registration,
    ApproveRegistration: approve_registration,
    RejectRegistration: reject_registration,
    CheckIn: check_in,
    CompleteWorkshop: complete_workshop,
    PurgeExpiredParticipantData: purge_expired_participant_data,
}
