"""Publishing's domain objects and their tables: each declared once (shared.db.RowMapping), read and written
by name; `convert` names the fields whose stored form differs (value objects and tuples kept as JSON)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from services.publishing.db.tables import calls, deliveries, enquiries, mails, members, newsletters, notice_templates, notices, publications, subscribers
from services.publishing.domain import (
    DecidedCall,
    Delivery,
    Enquiry,
    Link,
    Mail,
    Member,
    Newsletter,
    Notice,
    NoticeTemplate,
    Publication,
    Section,
    SolutionApproach,
    Subscriber,
)
from shared.db import AS_TUPLE, RowMapping


def email_key(email: str) -> str:
    """The comparison form of an address: the domain check is case-insensitive, and so are we, wholly."""
    return email.strip().casefold()


def _sections_to_json(sections: Iterable[Section]) -> list[dict[str, Any]]:
    return [{"heading": s.heading, "text": s.text, "items": list(s.items),
             "links": [{"title": link.title, "url": link.url} for link in s.links]} for s in sections]


def _sections_from_json(data: Iterable[Mapping[str, Any]]) -> tuple[Section, ...]:
    return tuple(Section(heading=s.get("heading", ""), text=s.get("text", ""), items=tuple(s.get("items", ())),
                         links=tuple(Link(link["title"], link["url"]) for link in s.get("links", ())))
                 for s in data)


def _approaches_to_json(approaches: Iterable[SolutionApproach]) -> list[dict[str, Any]]:
    return [asdict(a) for a in approaches]


def _approaches_from_json(data: Iterable[Mapping[str, Any]]) -> tuple[SolutionApproach, ...]:
    return tuple(SolutionApproach(**a) for a in data)


PUBLICATIONS = RowMapping(Publication, publications, convert={
    "body": (_sections_to_json, _sections_from_json),
    "solution_approaches": (_approaches_to_json, _approaches_from_json)})
MEMBERS = RowMapping(Member, members)
SUBSCRIBERS = RowMapping(Subscriber, subscribers, convert={"topics": AS_TUPLE, "pending_topics": AS_TUPLE})
CALLS = RowMapping(DecidedCall, calls, convert={"selected_names": AS_TUPLE})
NEWSLETTERS = RowMapping(Newsletter, newsletters, convert={"publication_ids": AS_TUPLE, "segment": (dict, dict)})
DELIVERIES = RowMapping(Delivery, deliveries)
MAILS = RowMapping(Mail, mails)
NOTICES = RowMapping(Notice, notices, convert={"workshop_places": AS_TUPLE})
NOTICE_TEMPLATES = RowMapping(NoticeTemplate, notice_templates)
ENQUIRIES = RowMapping(Enquiry, enquiries)
