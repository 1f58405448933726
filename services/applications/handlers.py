"""Use cases of intake: command -> unit of work -> domain -> outbox.

Every handler commits once: the state change and its events together.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.applications.domain import Application, Call
from shared.actors import actor_key
from shared.errors import Forbidden, NotFound
from shared.events.catalogue import make_event
from shared.logs import correlation_id

SOURCE = "/services/applications"


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreateCall:
    title: str
    topic: str
    description: str
    opens_at: datetime
    closes_at: datetime
    places: int
    workshops_per_place: int = 2


@dataclass(frozen=True)
class OpenCall:
    call_id: str


@dataclass(frozen=True)
class ChangeCallDeadlines:
    call_id: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    actor: str = ""


@dataclass(frozen=True)
class CloseCall:
    call_id: str


@dataclass(frozen=True)
class CloseOverdueCalls:
    pass


@dataclass(frozen=True)
class SubmitApplication:
    call_id: str
    ags: str
    municipality_name: str
    population: int
    contact_name: str
    contact_email: str
    contact_phone: str | None
    focus_areas: list = field(default_factory=list)
    statement: str = ""
    partners: list = field(default_factory=list)
    actor_role: str = "staff"
    actor_ags: str | None = None
    actor_subject: str = ""


@dataclass(frozen=True)
class UpdateApplication:
    application_id: str
    changes: dict
    actor_role: str
    actor_ags: str | None


@dataclass(frozen=True)
class WithdrawApplication:
    application_id: str
    actor_role: str
    actor_ags: str | None


# --- events --------------------------------------------------------------------------------------
def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())


def _application_data(application: Application) -> dict:
    """The public face of an application in events: no contact person (personal data)."""
    return {
        "application_id": application.id,
        "call_id": application.call_id,
        "municipality": {"ags": application.ags, "name": application.municipality_name,
                         "population": application.population, "size_class": application.size_class},
        "size_class": application.size_class,
        "focus_areas": application.focus_areas,
        "statement": application.statement,
        "partners": application.partners,
        "submitted_at": application.submitted_at,
    }


def _call_closed(call: Call, applications: int):
    return _event("CallClosed", {"call_id": call.id, "title": call.title, "topic": call.topic,
                                 "closed_at": call.closed_at, "places": call.places,
                                 "workshops_per_place": call.workshops_per_place,
                                 "applications": applications})


# --- handlers ------------------------------------------------------------------------------------
def create_call(command: CreateCall, uow, clock) -> Call:
    call = Call.create(title=command.title, topic=command.topic, description=command.description,
                       opens_at=command.opens_at, closes_at=command.closes_at, places=command.places,
                       workshops_per_place=command.workshops_per_place, now=clock())
    uow.calls.add(call)
    uow.commit()
    return call


def _get_call(uow, call_id: str, *, for_update: bool = False) -> Call:
    call = uow.calls.get(call_id, for_update=for_update)
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return call


def open_call(command: OpenCall, uow, clock) -> Call:
    call = _get_call(uow, command.call_id, for_update=True)
    call.open(clock())
    uow.emit(_event("CallOpened", {"call_id": call.id, "title": call.title, "topic": call.topic,
                                   "opens_at": call.opens_at, "closes_at": call.closes_at,
                                   "places": call.places, "workshops_per_place": call.workshops_per_place}))
    uow.commit()
    return call


def change_call_deadlines(command: ChangeCallDeadlines, uow, clock) -> Call:
    call = _get_call(uow, command.call_id, for_update=True)
    now = clock()
    previous = call.change_deadlines(now, opens_at=command.opens_at, closes_at=command.closes_at)
    if previous != {"opens_at": call.opens_at, "closes_at": call.closes_at}:
        uow.emit(_event("CallDeadlinesChanged", {
            "call_id": call.id, "status": call.status, "opens_at": call.opens_at, "closes_at": call.closes_at,
            "previous_opens_at": previous["opens_at"], "previous_closes_at": previous["closes_at"],
            "changed_at": now, "changed_by": command.actor}))
    uow.commit()
    return call


def close_call(command: CloseCall, uow, clock) -> Call:
    call = _get_call(uow, command.call_id, for_update=True)
    call.close(clock())
    uow.emit(_call_closed(call, uow.applications.count_for_call(call.id)))
    uow.commit()
    return call


def close_overdue_calls(command: CloseOverdueCalls, uow, clock) -> list[str]:
    """A call closes by itself at `closes_at`; the worker runs this every few seconds."""
    now = clock()
    closed = []
    for call in uow.calls.overdue(now):
        call.close(now)
        uow.emit(_call_closed(call, uow.applications.count_for_call(call.id)))
        closed.append(call.id)
    uow.commit()
    return closed


def submit_application(command: SubmitApplication, uow, clock) -> Application:
    if command.actor_role == "municipality" and command.actor_ags != command.ags:
        raise Forbidden("A municipality may apply only for itself (the AGS of its token).",
                        field="municipality.ags")
    call = _get_call(uow, command.call_id)
    # One live application per municipality and call: the partial unique index decides, also between
    # concurrent requests; the API turns the violation into a 409.
    application = Application.submit(
        call, ags=command.ags, municipality_name=command.municipality_name, population=command.population,
        contact_name=command.contact_name, contact_email=command.contact_email,
        contact_phone=command.contact_phone, focus_areas=command.focus_areas, statement=command.statement,
        partners=command.partners, submitted_by=actor_key(command.actor_role, command.actor_subject), now=clock())
    uow.applications.add(application)
    uow.emit(_event("ApplicationSubmitted", _application_data(application)))
    uow.commit()  # a concurrent duplicate fails here on the unique index; the API answers 409
    return application


def _get_application(uow, application_id: str, role: str, ags: str | None) -> Application:
    application = uow.applications.get(application_id, for_update=True)
    if application is None or not application.visible_to(role, ags):
        raise NotFound(f"No application {application_id}.")
    application.require_owner_or_staff(role, ags)
    return application


def update_application(command: UpdateApplication, uow, clock) -> Application:
    application = _get_application(uow, command.application_id, command.actor_role, command.actor_ags)
    call = _get_call(uow, application.call_id)
    changed = application.update(call, command.changes, clock())
    if changed:
        data = _application_data(application)
        data.update(updated_at=application.updated_at,
                    changed_fields=[name for name in changed if not name.startswith("contact_")])
        uow.emit(_event("ApplicationUpdated", data))
    uow.commit()
    return application


def withdraw_application(command: WithdrawApplication, uow, clock) -> Application:
    application = _get_application(uow, command.application_id, command.actor_role, command.actor_ags)
    application.withdraw(clock())
    uow.emit(_event("ApplicationWithdrawn", {"application_id": application.id, "call_id": application.call_id,
                                             "ags": application.ags, "withdrawn_at": application.withdrawn_at}))
    uow.commit()
    return application


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    CreateCall: create_call,
    OpenCall: open_call,
    ChangeCallDeadlines: change_call_deadlines,
    CloseCall: close_call,
    CloseOverdueCalls: close_overdue_calls,
    SubmitApplication: submit_application,
    UpdateApplication: update_application,
    WithdrawApplication: withdraw_application,
}
