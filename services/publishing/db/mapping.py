"""Rows to domain objects and back."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import func, select

from services.publishing.domain import Enquiry, Link, Member, Newsletter, Publication, Section, SolutionApproach, Subscriber


def email_key(email: str) -> str:
    """The comparison form of an address: the domain check is case-insensitive, and so are we, wholly."""
    return email.strip().casefold()


# --- row <-> domain --------------------------------------------------------------------------------
def _sections_to_json(sections) -> list[dict]:
    return [{"heading": s.heading, "text": s.text, "items": list(s.items),
             "links": [{"title": link.title, "url": link.url} for link in s.links]} for s in sections]


def _sections_from_json(data) -> tuple[Section, ...]:
    return tuple(Section(heading=s.get("heading", ""), text=s.get("text", ""), items=tuple(s.get("items", ())),
                         links=tuple(Link(link["title"], link["url"]) for link in s.get("links", ())))
                 for s in data or ())


def publication_values(pub: Publication) -> dict:
    return {
        "id": pub.id, "kind": pub.kind, "source_id": pub.source_id, "title": pub.title, "summary": pub.summary,
        "body": _sections_to_json(pub.body),
        "solution_approaches": [asdict(a) for a in pub.solution_approaches],
        "topic": pub.topic, "status": pub.status, "created_at": pub.created_at, "published_at": pub.published_at,
    }


def publication_from_row(row) -> Publication:
    return Publication(
        id=row.id, kind=row.kind, source_id=row.source_id, title=row.title, summary=row.summary,
        body=_sections_from_json(row.body),
        solution_approaches=tuple(SolutionApproach(**a) for a in row.solution_approaches or ()),
        status=row.status, created_at=row.created_at, published_at=row.published_at, topic=row.topic)


def member_from_row(row) -> Member:
    return Member(id=row.id, name=row.name, kind=row.kind, ags=row.ags, email=row.email,
                  contact_name=row.contact_name)


def subscriber_from_row(row) -> Subscriber:
    return Subscriber(id=row.id, email=row.email, topics=tuple(row.topics), status=row.status,
                      created_at=row.created_at, confirmed_at=row.confirmed_at, unsubscribed_at=row.unsubscribed_at)


def newsletter_from_row(row) -> Newsletter:
    return Newsletter(id=row.id, subject=row.subject, intro=row.intro, publication_ids=tuple(row.publication_ids),
                      segment=dict(row.segment), status=row.status, send_at=row.send_at, created_at=row.created_at,
                      sent_at=row.sent_at)


def enquiry_from_row(row) -> Enquiry:
    return Enquiry(id=row.id, name=row.name, email=row.email, organisation=row.organisation, message=row.message,
                   created_at=row.created_at)


def _page(session, query, order_by, offset: int, limit: int):
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(*order_by).offset(offset).limit(limit)).all()
    return rows, total
