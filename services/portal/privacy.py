"""Personal data in the portal (GDPR): people who may sign in, guests' workshop registrations, the mails it
queued and sent, and the contact person in a municipality's application draft.

A person is found by the digest of their address (shared.privacy): in people, guest registrations and drafts
by the address they hold, in mails by their recipient or any address their text quotes (an enquiry to the
office quotes its sender's). Erasure keeps what the records mean without the person: a person's account is
closed and anonymised (their sign-in links go), a registration keeps its place under an anonymous name, a
draft loses its contact, and mails about the person are deleted (an unsent one is never sent).
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select, update

from services.portal.db import application_drafts, guest_registrations, mails, metadata, people, signin_links
from shared.privacy import ERASED_NAME, email_digest, erased_email, privacy_consumer, register_personal_data

ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DRAFT_CONTACT = ("contact_name", "contact_email", "contact_phone")


def _is(digest: str, address: str | None) -> bool:
    return address is not None and email_digest(address) == digest


def _people(session, digest: str) -> list[Any]:
    return [row for row in session.execute(select(people)) if _is(digest, row.email)]


def _guests(session, digest: str) -> list[Any]:
    return [row for row in session.execute(select(guest_registrations)) if _is(digest, row.email)]


def _mails(session, digest: str) -> list[Any]:
    return [row for row in session.execute(select(mails.c.id, mails.c.key, mails.c.kind, mails.c.recipient,
                                                  mails.c.subject, mails.c.created_at, mails.c.sent_at,
                                                  mails.c.text_body))
            if _is(digest, row.recipient) or any(_is(digest, found) for found in ADDRESS.findall(row.text_body))]


def _drafts(session, digest: str) -> list[Any]:
    return [row for row in session.execute(select(application_drafts))
            if _is(digest, (row.body or {}).get("contact_email"))]


def export_personal_data(uow, digest: str) -> list[dict[str, Any]]:
    session = uow.session
    return ([{"kind": "portal_person", "id": row.id, "email": row.email, "name": row.name, "role": row.role,
              "organisation": row.organisation, "language": row.language} for row in _people(session, digest)]
            + [{"kind": "workshop_registration", "registration_id": row.registration_id,
                "workshop_id": row.workshop_id, "email": row.email, "name": row.name, "status": row.status,
                "language": row.language} for row in _guests(session, digest)]
            + [{"kind": "mail", "id": row.id, "mail_kind": row.kind, "recipient": row.recipient,
                "subject": row.subject, "created_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None, "text": row.text_body}
               for row in _mails(session, digest)]
            + [{"kind": "application_draft", "ags": row.ags, "call_id": row.call_id,
                **{field: row.body.get(field) for field in DRAFT_CONTACT}} for row in _drafts(session, digest)])


def erase_personal_data(uow, digest: str) -> int:
    session = uow.session
    found = _people(session, digest)
    for row in found:
        session.execute(delete(signin_links).where(signin_links.c.person_id == row.id))
        session.execute(update(people).where(people.c.id == row.id).values(
            email=erased_email(row.id), name=ERASED_NAME, active=False))
    guests = _guests(session, digest)
    for row in guests:
        session.execute(update(guest_registrations).where(
            guest_registrations.c.registration_id == row.registration_id).values(
            email=erased_email(row.registration_id), name=ERASED_NAME))
    queued = _mails(session, digest)
    if queued:
        session.execute(delete(mails).where(mails.c.id.in_([row.id for row in queued])))
    drafts = _drafts(session, digest)
    for row in drafts:
        body = {**row.body, "contact_name": ERASED_NAME, "contact_email": erased_email(f"{row.ags}{row.call_id}"),
                "contact_phone": None}
        session.execute(update(application_drafts).where(
            application_drafts.c.ags == row.ags, application_drafts.c.call_id == row.call_id).values(body=body))
    return len(found) + len(guests) + len(queued) + len(drafts)


PRIVACY_CONSUMER = privacy_consumer("portal", erase_personal_data)


def register(app) -> None:
    """`GET /v1/personal-data?email=` (staff) on the portal, as on every service with personal data."""
    register_personal_data(app, "portal", export_personal_data, metadata)
