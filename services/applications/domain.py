"""Calls for expressions of interest and the municipalities' applications: the rules of intake.

Plain Python: no Flask, Kafka or database session here. Handlers load these objects through the unit
of work, call their methods, and turn the returned facts into events.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.municipalities import size_class_for
from shared.errors import Conflict, Forbidden, InvalidInput


CALL_DRAFT, CALL_OPEN, CALL_CLOSED = "draft", "open", "closed"
SUBMITTED, WITHDRAWN = "submitted", "withdrawn"
EDITABLE_FIELDS = ("municipality_name", "population", "contact_name", "contact_email", "contact_phone",
                   "focus_areas", "statement", "partners")


def size_class(population: int) -> str:
    if population <= 0:
        raise InvalidInput("Population must be a positive number.", field="municipality.population")
    return size_class_for(population)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(eq=False)
class Call:
    id: str
    title: str
    topic: str
    description: str
    opens_at: datetime
    closes_at: datetime
    places: int
    workshops_per_place: int
    status: str = CALL_DRAFT
    created_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def create(cls, *, title: str, topic: str, description: str, opens_at: datetime, closes_at: datetime,
               places: int, workshops_per_place: int, now: datetime) -> Call:
        if closes_at <= opens_at:
            raise InvalidInput("The closing time must be after the opening time.", field="closes_at")
        if places < 1:
            raise InvalidInput("A call needs at least one place.", field="places")
        return cls(id=new_id(), title=title, topic=topic, description=description, opens_at=opens_at,
                   closes_at=closes_at, places=places, workshops_per_place=workshops_per_place,
                   created_at=now)

    def open(self, now: datetime) -> None:
        if self.status != CALL_DRAFT:
            raise Conflict(f"The call is {self.status}; only a draft call can be opened.")
        if self.closes_at <= now:
            raise Conflict("The call's closing time has passed; change it before opening.")
        self.status = CALL_OPEN
        self.opened_at = now

    def close(self, now: datetime) -> None:
        if self.status != CALL_OPEN:
            raise Conflict(f"The call is {self.status}; only an open call can be closed.")
        self.status = CALL_CLOSED
        self.closed_at = now

    def change_deadlines(self, now: datetime, *, opens_at: datetime | None = None,
                         closes_at: datetime | None = None) -> dict[str, Any]:
        """Correct or extend the call's times while it is a draft or open; returns the previous times.

        An open call already takes applications: its opening cannot move into the future (applications
        would predate it), and its closing time cannot move into the past (close it instead).
        """
        if self.status == CALL_CLOSED:
            raise Conflict("The call is closed; its times can no longer change.")
        # Each rule here weighs the new times against the call's current state (its stored times, its
        # status, the clock): a request that is valid in itself but conflicts with that state gets 409.
        new_opens = self.opens_at if opens_at is None else opens_at
        new_closes = self.closes_at if closes_at is None else closes_at
        if new_closes <= new_opens:
            raise Conflict("The closing time must be after the opening time (with the call's current times).",
                           field="closes_at")
        if self.status == CALL_OPEN:
            if opens_at is not None and opens_at > now and opens_at != self.opens_at:
                raise Conflict("The call is open and takes applications already; its opening time cannot "
                               "move into the future.", field="opens_at")
            if closes_at is not None and closes_at <= now:
                raise Conflict("The new closing time has passed; close the call instead.", field="closes_at")
        previous = {"opens_at": self.opens_at, "closes_at": self.closes_at}
        self.opens_at, self.closes_at = new_opens, new_closes
        return previous

    def accepts_applications(self, now: datetime) -> bool:
        return self.status == CALL_OPEN and self.opens_at <= now < self.closes_at

    def require_accepting(self, now: datetime) -> None:
        if self.status != CALL_OPEN:
            raise Conflict(f"The call is {self.status}; applications are accepted only while it is open.")
        if now < self.opens_at:
            raise Conflict("The call has not started yet; applications are accepted from its opening time.")
        if now >= self.closes_at:
            raise Conflict("The call's closing time has passed; applications are no longer accepted.")

    def is_overdue(self, now: datetime) -> bool:
        return self.status == CALL_OPEN and now >= self.closes_at


@dataclass(eq=False)
class Application:
    id: str
    call_id: str
    ags: str
    municipality_name: str
    population: int
    size_class: str
    contact_name: str
    contact_email: str
    contact_phone: str | None
    focus_areas: list[str] = field(default_factory=list)
    statement: str = ""
    partners: list[str] = field(default_factory=list)
    status: str = SUBMITTED
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    withdrawn_at: datetime | None = None
    submitted_by: str = ""

    @classmethod
    def submit(cls, call: Call, *, ags: str, municipality_name: str, population: int, contact_name: str,
               contact_email: str, contact_phone: str | None, focus_areas: Iterable[str], statement: str,
               partners: Iterable[str], submitted_by: str, now: datetime) -> Application:
        call.require_accepting(now)
        return cls(id=new_id(), call_id=call.id, ags=ags, municipality_name=municipality_name,
                   population=population, size_class=size_class(population), contact_name=contact_name,
                   contact_email=contact_email, contact_phone=contact_phone, focus_areas=list(focus_areas),
                   statement=statement, partners=list(partners), submitted_at=now, updated_at=now,
                   submitted_by=submitted_by)

    def update(self, call: Call, changes: dict[str, Any], now: datetime) -> list[str]:
        """Apply `changes` while the call is open; returns the names of the fields that changed."""
        if self.status != SUBMITTED:
            raise Conflict("A withdrawn application cannot be changed.")
        call.require_accepting(now)
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise InvalidInput(f"Field {sorted(unknown)[0]} cannot be changed.", field=sorted(unknown)[0])
        changed = []
        for name, value in changes.items():
            if getattr(self, name) != value:
                setattr(self, name, list(value) if isinstance(value, list) else value)
                changed.append(name)
        if "population" in changed:
            self.size_class = size_class(self.population)
        if changed:
            self.updated_at = now
        return changed

    def withdraw(self, now: datetime) -> None:
        if self.status == WITHDRAWN:
            raise Conflict("The application is already withdrawn.")
        self.status = WITHDRAWN
        self.withdrawn_at = now
        self.updated_at = now

    # --- who may see and do what ------------------------------------------------------------------
    def require_owner_or_staff(self, role: str, ags: str | None) -> None:
        if role == "staff":
            return
        if role == "municipality" and ags == self.ags:
            return
        raise Forbidden("Only the applying municipality or the office may do this.")

    def visible_to(self, role: str, ags: str | None) -> bool:
        return role == "staff" or (role == "municipality" and ags == self.ags)

    def contact_visible_to(self, role: str, ags: str | None) -> bool:
        """The contact person is personal data: the office and the municipality itself see it, reviewers not."""
        return role == "staff" or (role == "municipality" and ags == self.ags)
