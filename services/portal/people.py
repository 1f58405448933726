"""Who may sign in to the portal: a person with an email, a role and what the role needs (a
municipality's AGS, a steering member's panel member id).

Until the identity service (issue 12) lands, the portal keeps its own minimal directory in its database
(`LocalPeople`). Every page asks `people()` for the directory and uses only `by_email` and `get`, so that
switching to identity's people API is one new class with these two methods, chosen in `directory()`.

A person's mails are written in their language (`Person.language`, German unless they chose English): the
portal remembers the language of its pages whenever the person acts there (`remember_language`: asking for
a sign-in link, sending a form while signed in, switching the language while signed in). `mail_language`
answers for an address: a portal person's language, German for anyone else.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from services.portal.db import people
from services.portal.mail import DEFAULT_LANGUAGE, LANGUAGES

ROLES = ("municipality", "steering", "partner")


class PersonError(ValueError):
    pass


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    name: str
    role: str
    ags: str | None = None
    member_id: str | None = None
    organisation: str = ""
    language: str = DEFAULT_LANGUAGE

    @property
    def organisation_key(self) -> str:
        """What the person's data belongs to: the municipality (AGS), the panel member, or the person."""
        if self.role == "municipality":
            return f"ags:{self.ags}"
        if self.role == "steering":
            return f"member:{self.member_id}"
        return f"person:{self.id}"


class PeopleDirectory(Protocol):
    def by_email(self, email: str) -> Person | None: ...
    def get(self, person_id: str) -> Person | None: ...


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _person(row) -> Person:
    return Person(id=row.id, email=row.email, name=row.name, role=row.role, ags=row.ags, member_id=row.member_id,
                  organisation=row.organisation or "", language=row.language or DEFAULT_LANGUAGE)


def remember_language(connection: Connection, person_id: str, language: str) -> None:
    """The language the person now uses in the portal becomes the language of their mails."""
    if language in LANGUAGES:
        connection.execute(update(people).where(people.c.id == person_id, people.c.language != language)
                           .values(language=language))


def mail_language(connection: Connection, email: str) -> str:
    """The language of mails to `email`: the portal person's with that address, German for anyone else."""
    found = connection.execute(select(people.c.language).where(people.c.email == normalise_email(email),
                                                               people.c.active.is_(True))).scalar()
    return found if found in LANGUAGES else DEFAULT_LANGUAGE


class LocalPeople:
    """The portal's own table of people (only active people are found)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def by_email(self, email: str) -> Person | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(people).where(people.c.email == normalise_email(email),
                                                          people.c.active.is_(True))).first()
        return _person(row) if row else None

    def get(self, person_id: str) -> Person | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(people).where(people.c.id == person_id,
                                                          people.c.active.is_(True))).first()
        return _person(row) if row else None

    def add(self, *, email: str, name: str, role: str, now: datetime, ags: str | None = None,
            member_id: str | None = None, organisation: str = "", language: str | None = None) -> Person:
        """Register a person (the office does this; `vorort portal person add`). Idempotent by address;
        `language` (de, en) only when given, else a new person's is German and a known one's stays."""
        email = normalise_email(email)
        if role not in ROLES:
            raise PersonError(f"role must be one of {', '.join(ROLES)}")
        if "@" not in email or len(email) > 254:
            raise PersonError("not an email address")
        if role == "municipality" and not (ags and len(ags) == 8 and ags.isdigit()):
            raise PersonError("a municipality's person needs its 8-digit AGS")
        if role == "partner" and ags and not (len(ags) == 8 and ags.isdigit()):
            raise PersonError("a partner's municipality is named by its 8-digit AGS")
        if role == "steering" and not member_id:
            raise PersonError("a steering member needs the panel member id")
        if language is not None and language not in LANGUAGES:
            raise PersonError(f"language must be one of {', '.join(LANGUAGES)}")
        # A partner's AGS names the municipality it partners: it is invited to that municipality's workshops.
        values = dict(name=name.strip(), role=role, ags=ags if role in ("municipality", "partner") else None,
                      member_id=member_id if role == "steering" else None, organisation=organisation, active=True)
        if language is not None:
            values["language"] = language
        with self.engine.begin() as connection:
            existing = connection.execute(select(people.c.id).where(people.c.email == email)).first()
            if existing:
                connection.execute(update(people).where(people.c.id == existing.id).values(**values))
                person_id = existing.id
            else:
                person_id = str(uuid.uuid4())
                connection.execute(insert(people).values(id=person_id, email=email, created_at=now, **values))
        person = self.get(person_id)
        assert person is not None  # written in the transaction that just committed
        return person

    def deactivate(self, email: str) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(update(people).where(people.c.email == normalise_email(email))
                                      .values(active=False)).rowcount == 1
