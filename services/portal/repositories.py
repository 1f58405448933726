"""The portal's unit of work and its repositories: what its consumers' command handlers and its worker's
watches read and write, as records (people, guest registrations, awaited letters), and the mail queue.

Each record is immutable and declared once as a shared.db.RowMapping over its table (db.py); a repository
returns records, never rows. The mail queue is mail.queue (the one way a portal mail is queued, which the
views use too) on the unit of work's connection, so that a mail commits with what caused it.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from services.portal import mail
from services.portal.db import awaited_letters, guest_registrations, people
from services.portal.people import Person, mail_language
from shared.db import RowMapping, RowRepository
from shared.uow import UnitOfWork

WAITING = ("waitlisted", "pending")
ACTIVE = ("confirmed", "waitlisted", "pending")


@dataclass(frozen=True)
class GuestRegistration:
    """A workshop registration made through the portal; `status` is the last one the guest was told of,
    `language` the page's at registration (every mail about it is written in it)."""
    registration_id: str
    workshop_id: str
    manage_code: str
    email: str
    name: str
    status: str
    language: str = mail.DEFAULT_LANGUAGE


@dataclass(frozen=True)
class AwaitedLetter:
    """A decision whose letter the office has yet to send; `told_at` once the town's people were told."""
    application_id: str
    kind: str  # selected | not_selected
    call_id: str
    ags: str
    decided_at: datetime
    noted_at: datetime | None = None
    letter_id: str | None = None
    told_at: datetime | None = None


PEOPLE = RowMapping(Person, people)
GUEST_REGISTRATIONS = RowMapping(GuestRegistration, guest_registrations)
AWAITED_LETTERS = RowMapping(AwaitedLetter, awaited_letters)


class PeopleRepository(RowRepository[Person]):
    mapping = PEOPLE

    def active(self, role: str, ags: Collection[str]) -> list[Person]:
        """The active people of `role` registered with one of these AGS."""
        return self.all(select(people).where(people.c.role == role, people.c.ags.in_(sorted(ags)),
                                             people.c.active.is_(True)))

    def mail_language(self, email: str) -> str:
        """The language of mails to `email` (people.mail_language: a portal person's, else German)."""
        return mail_language(self.session.connection(), email)


class GuestRegistrations(RowRepository[GuestRegistration]):
    mapping = GUEST_REGISTRATIONS
    key = "registration_id"

    def active_for(self, workshop_id: str) -> list[GuestRegistration]:
        """The workshop's registrations that still hold a place or wait for one."""
        return self.all(select(guest_registrations).where(guest_registrations.c.workshop_id == workshop_id,
                                                          guest_registrations.c.status.in_(ACTIVE)))

    def waiting(self, limit: int = 500) -> list[GuestRegistration]:
        """Registrations on the waiting list or waiting for approval, oldest first."""
        return self.all(select(guest_registrations).where(guest_registrations.c.status.in_(WAITING))
                        .order_by(guest_registrations.c.created_at).limit(limit))

    def set_status(self, registration_id: str, status: str, now: datetime) -> None:
        self.session.execute(update(guest_registrations).where(
            guest_registrations.c.registration_id == registration_id).values(status=status, updated_at=now))


class AwaitedLetters(RowRepository[AwaitedLetter]):
    mapping = AWAITED_LETTERS
    key = ("application_id", "kind")

    def note(self, letter: AwaitedLetter) -> bool:
        """Remember a decision whose letter is awaited, once; False when it was known."""
        if self.get((letter.application_id, letter.kind)) is not None:
            return False
        self.add(letter)
        return True

    def open(self, noted_after: datetime, limit: int) -> list[AwaitedLetter]:
        """Letters not yet told of that the portal heard of after `noted_after` (a decision may be recorded
        long after its meeting, or loaded: 2018's), oldest first."""
        noted = func.coalesce(awaited_letters.c.noted_at, awaited_letters.c.decided_at)
        return self.all(select(awaited_letters).where(awaited_letters.c.told_at.is_(None), noted > noted_after)
                        .order_by(noted).limit(limit))

    def told(self, letter: AwaitedLetter, letter_id: str, now: datetime) -> None:
        self.session.execute(update(awaited_letters).where(
            awaited_letters.c.application_id == letter.application_id, awaited_letters.c.kind == letter.kind,
            awaited_letters.c.told_at.is_(None)).values(letter_id=letter_id, told_at=now))


class MailQueue:
    """The portal's mails, queued once per key in the unit of work's transaction (mail.queue)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def queue(self, **mail_fields: Any) -> bool:
        return mail.queue(self.session.connection(), **mail_fields)


class PortalUnitOfWork(UnitOfWork):
    people: PeopleRepository
    guest_registrations: GuestRegistrations
    awaited_letters: AwaitedLetters
    mails: MailQueue

    def start(self) -> None:
        self.people = PeopleRepository(self.session)
        self.guest_registrations = GuestRegistrations(self.session)
        self.awaited_letters = AwaitedLetters(self.session)
        self.mails = MailQueue(self.session)
