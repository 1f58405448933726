"""Publishing domain: results publications, members and subscribers, newsletters, signed tokens,
enquiries and decision notices for "Netzwerk vor Ort".

The module is pure on purpose: standard library plus ``shared.errors`` only. The service layer loads and
stores these objects, consumes the events and talks to SMTP; everything that decides *what* is published,
*who* receives it and *whether* an action is allowed lives here, so it can be tested without a database,
a broker, a mail server or a web framework.

All value objects are frozen dataclasses; state changes (``edit``, ``publish``, ``schedule_send`` ...)
return a new object instead of mutating, so a handler can compare old and new state and a failed check
never leaves a half-changed object behind.

Timestamps are timezone-aware datetimes (UTC by convention). Identifiers are strings.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import string
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound

# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")

PUBLICATION_KINDS = ("selection_result", "workshop_result")
PUBLICATION_STATUSES = ("draft", "published")

#: BBSR town size classes, codes as in shared/events/catalogue.py (SIZE_CLASSES).
SIZE_CLASS_LABELS = {
    "rural": "Landgemeinde",
    "small": "Kleinstadt",
    "medium": "Mittelstadt",
    "large": "Großstadt",
}

#: Fields of action (Handlungsfelder); unknown codes are shown as given, so new fields need no release.
FIELD_OF_ACTION_LABELS = {
    "mobility": "Mobilität",
    "e_government": "E-Government",
    "retail": "Einzelhandel",
    "participation": "Beteiligung",
    "public_space": "Öffentlicher Raum",
    "economy": "Wirtschaft",
    "education": "Bildung",
    "infrastructure": "Infrastruktur",
}

#: Participant types of a workshop (services/workshops PARTICIPANT_TYPES), plural for attendance lines.
#: Used only with counts: publications never name participants (GDPR).
PARTICIPANT_TYPE_LABELS = {
    "steering_partner": "Partner der Steuerungsgruppe",
    "local_actor": "Akteure vor Ort",
    "school": "Schulen",
    "university": "Hochschulen",
    "business": "Wirtschaft",
    "municipality": "Kommunen",
    "citizen": "Bürgerinnen und Bürger",
}

_NUMBER_WORDS_FEMININE = {
    1: "eine", 2: "zwei", 3: "drei", 4: "vier", 5: "fünf", 6: "sechs",
    7: "sieben", 8: "acht", 9: "neun", 10: "zehn", 11: "elf", 12: "zwölf",
}

_GERMAN_MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)

# A deliberately small check: the address is confirmed by double opt-in anyway, so the goal is only to
# catch typos and pasted garbage early, not to implement RFC 5322.
_EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")

# Fixed namespace for deterministic publication ids. Never change it: ids derived from it are stored and
# appear in feeds (Atom entry ids must be stable forever).
PUBLICATION_NAMESPACE = uuid.UUID("6f0c1d1e-3b7a-5c1e-9d0e-6e6574766f72")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _safe_url(value: Any) -> str:
    """Only http(s) links end up in mails and feeds; anything else (javascript:, data:) is dropped."""
    url = _text(value)
    return url if re.match(r"^https?://[^\s]+$", url, re.IGNORECASE) else ""


def _require(data: Mapping[str, Any], key: str) -> Any:
    """Fetch a required key from event data; a missing key is a contract breach worth naming."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"Event data lacks '{key}'.", field=key)
    return value


def _parse_datetime(value: Any, field: str) -> datetime:
    """Accept datetimes or ISO 8601 strings (as they arrive in JSON events).

    A naive value is read as local time in NRW, because the only naive times we expect are workshop
    dates typed by people in Germany.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"'{value}' is not an ISO 8601 date/time.", field=field) from None
    else:
        raise InvalidInput("Expected a date/time.", field=field)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BERLIN)
    return parsed


def german_date(value: datetime, with_time: bool = False) -> str:
    """'12. September 2018' (optionally ' um 10:00 Uhr'), in Berlin time: German texts need German dates."""
    local = value.astimezone(BERLIN)
    text = f"{local.day}. {_GERMAN_MONTHS[local.month - 1]} {local.year}"
    if with_time:
        text += f" um {local:%H:%M} Uhr"
    return text


def german_join(names: Sequence[str]) -> str:
    """'Wassenberg, Arnsberg und Siegen'."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " und " + names[-1]


def _german_int(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def normalise_email(value: Any, field: str = "email") -> str:
    """Trim and sanity-check an address; the domain part is lower-cased, the local part kept as typed."""
    email = _text(value)
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise InvalidInput("Please enter a valid e-mail address.", field=field)
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# --------------------------------------------------------------------------------------------------
# Publications
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """A titled link, e.g. a workshop document."""
    title: str
    url: str


@dataclass(frozen=True)
class Section:
    """One part of a publication body.

    Structured instead of one markdown string so that mail, feed and web page can each render it in
    their own format (plain text, HTML) without parsing markdown.
    """
    heading: str = ""
    text: str = ""
    items: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class SolutionApproach:
    """A Lösungsansatz: the main result of a strategy workshop."""
    title: str
    description: str = ""
    field_of_action: str = ""

    @property
    def field_of_action_label(self) -> str:
        return FIELD_OF_ACTION_LABELS.get(self.field_of_action, self.field_of_action)


@dataclass(frozen=True, kw_only=True)
class Publication:
    """A results page for all members: the outcome of a selection or of one strategy workshop.

    Builders create drafts on purpose: results become public to the whole network, so the office
    reviews (and may edit) them before ``publish``.
    """
    id: str
    kind: str
    source_id: str
    title: str
    summary: str
    body: tuple[Section, ...] = ()
    solution_approaches: tuple[SolutionApproach, ...] = ()
    status: str = "draft"
    created_at: datetime
    published_at: datetime | None = None
    topic: str | None = None

    @property
    def is_published(self) -> bool:
        return self.status == "published"


def publication_id(kind: str, source_id: Any) -> str:
    """Deterministic id from (kind, source id).

    Events are delivered at least once; deriving the id from its source lets the handler detect a
    redelivery by id ("already exists") instead of creating a second publication.
    """
    if kind not in PUBLICATION_KINDS:
        raise InvalidInput(f"Unknown publication kind '{kind}'.", field="kind")
    return str(uuid.uuid5(PUBLICATION_NAMESPACE, f"{kind}:{_text(source_id)}"))


RESULTS_PATH = "/results"


def results_page_url(base_url: str) -> str:
    """The public results page (list of all published results)."""
    return f"{base_url.rstrip('/')}{RESULTS_PATH}"


def publication_url(base_url: str, publication_id: str) -> str:
    """Public address of one publication; one place so mail, feeds and the ResultsPublished event agree."""
    return f"{results_page_url(base_url)}/{publication_id}"


def _size_class_label(value: Any) -> str:
    text = _text(value)
    return SIZE_CLASS_LABELS.get(text, text)


def _event_time(event_data: Mapping[str, Any], key: str, now: datetime | None) -> datetime:
    """created_at: the caller's clock if given, else the event's own time, so a rebuild is reproducible."""
    if now is not None:
        return now
    if event_data.get(key):
        return _parse_datetime(event_data[key], key)
    return _utcnow()


def _selected_entries(event_data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The selected municipalities, in the order of the event.

    SelectionCompleted v1 lists application ids in ``selected`` and names them in ``ranking`` lines;
    entries that are already objects ({"name", "size_class", ...}) are taken as they are.
    """
    selected = _require(event_data, "selected")
    if isinstance(selected, str) or not isinstance(selected, Sequence) or not selected:
        raise InvalidInput("Event data lists no selected municipalities.", field="selected")
    lines = {_text(line.get("application_id")): line
             for line in event_data.get("ranking") or () if isinstance(line, Mapping)}
    entries = []
    for item in selected:
        if isinstance(item, Mapping):
            entries.append(item)
        elif _text(item) in lines:
            entries.append(lines[_text(item)])
        else:
            raise InvalidInput(f"Selected application '{item}' is missing from the ranking.", field="ranking")
        if not _text(entries[-1].get("name")):
            raise InvalidInput("A selected municipality has no name.", field="selected")
    return entries


def publication_from_selection(event_data: Mapping[str, Any], now: datetime | None = None) -> Publication:
    """Draft publication announcing the municipalities selected in a call (SelectionCompleted v1).

    Reads ``call_id``, ``call_title``, ``topic``, ``selected`` (application ids, or objects with
    ``name`` and ``size_class``), ``ranking`` (lines with ``application_id``, ``name``, ``size_class``),
    ``rationale`` and ``decided_at``; optional ``population`` per municipality and
    ``applications_count``/``workshops_per_place``. Extra keys are ignored.

    Only the selected municipalities are named. Scores, ranks, the other applicants and a
    ``deviation_reason`` stay internal: they concern municipalities that did not ask to be published.
    """
    call_id = _require(event_data, "call_id")
    call_title = _text(event_data.get("call_title"))
    topic = _text(event_data.get("topic")) or None
    if not call_title and not topic:
        raise InvalidInput("Event data lacks 'call_title'.", field="call_title")
    entries = _selected_entries(event_data)

    labelled, items = [], []
    for entry in entries:
        name = _text(entry["name"])
        size = _size_class_label(entry.get("size_class"))
        labelled.append(f"{name} ({size})" if size else name)
        details = [size] if size else []
        population = entry.get("population")
        if isinstance(population, int) and not isinstance(population, bool) and population > 0:
            details.append(f"ca. {_german_int(population)} Einwohnerinnen und Einwohner")
        item = name + (f" ({', '.join(details)})" if details else "")
        if _text(entry.get("rationale")):
            item += f": {_text(entry['rationale'])}"
        items.append(item)

    count = len(entries)
    applications = event_data.get("applications_count") or len(event_data.get("ranking") or ())
    call_name = topic or call_title
    source = (f"aus {int(applications)} eingereichten Bewerbungen zum Aufruf „{call_name}“"
              if applications and int(applications) >= count else f"im Rahmen des Aufrufs „{call_name}“")
    summary = (f"Die Steuerungsgruppe des Netzwerk Innenstadt NRW hat {source} "
               f"{_NUMBER_WORDS_FEMININE.get(count, str(count))} {'Kommune' if count == 1 else 'Kommunen'} "
               f"für das Format „Netzwerk vor Ort“ ausgewählt: {german_join(labelled)}.")

    body = [Section(heading="Ausgewählte Kommunen", items=tuple(items))]
    rationale = event_data.get("rationale") or event_data.get("ranking_summary")
    if isinstance(rationale, str) and rationale.strip():
        body.append(Section(heading="Zum Auswahlverfahren", text=rationale.strip()))
    per_place = int(event_data.get("workshops_per_place") or 2)
    body.append(Section(
        heading="Wie geht es weiter?",
        text=(f"In den ausgewählten Kommunen sind jeweils {_NUMBER_WORDS_FEMININE.get(per_place, per_place)} "
              "Strategiewerkstätten geplant, die von der Geschäftsstelle des Netzwerk Innenstadt NRW begleitet "
              "werden. Ziel ist es, gemeinsam mit den Partnern der Initiative, Akteuren vor Ort, Schulen, "
              "Hochschulen und der Wirtschaft Lösungsansätze zu entwickeln. Die Kommunen, die dieses Mal nicht "
              "zum Zuge kommen konnten, erhalten die Möglichkeit, an den Werkstätten teilzunehmen. Die Ergebnisse "
              "werden allen Mitgliedern des Netzwerks zur Verfügung gestellt."),
    ))

    return Publication(
        id=publication_id("selection_result", call_id),
        kind="selection_result",
        source_id=_text(call_id),
        title="Ausgewählte Kommunen: " + " – ".join(_text(e["name"]) for e in entries),
        summary=summary,
        body=tuple(body),
        created_at=_event_time(event_data, "decided_at", now),
        topic=topic,
    )


def publication_from_amendment(event_data: Mapping[str, Any], now: datetime | None = None) -> Publication:
    """Draft publication announcing a successor for a place vacated after the decision (DecisionAmended v1):
    the members learn who now hosts the workshops. A deviation reason stays internal, as for the decision."""
    amendment_id = _require(event_data, "amendment_id")
    successor = _text(event_data["successor"]["name"])
    vacated = _text(event_data["vacated"]["name"])
    selected = [_text(name) for name in event_data.get("selected_municipalities") or ()]
    body = [Section(heading="Ausgewählte Kommunen", items=tuple(selected))]
    if _text(event_data.get("rationale")):
        body.append(Section(heading="Zur Nachentscheidung", text=_text(event_data["rationale"])))
    return Publication(
        id=publication_id("selection_result", amendment_id),
        kind="selection_result",
        source_id=amendment_id,
        title=f"Änderung der Auswahl: {successor} rückt für {vacated} nach",
        summary=(f"{vacated} hat die Teilnahme an „Netzwerk vor Ort“ zurückgezogen. Die Steuerungsgruppe des "
                 f"Netzwerk Innenstadt NRW hat {successor} als Nachfolgerin benannt; die Strategiewerkstätten "
                 f"finden nun in {german_join(selected)} statt."),
        body=tuple(body),
        created_at=_event_time(event_data, "decided_at", now),
    )


def publication_from_workshop(event_data: Mapping[str, Any], now: datetime | None = None) -> Publication:
    """Draft publication with the results of one strategy workshop (WorkshopCompleted v1).

    Reads ``workshop_id``, ``municipality`` ({"ags", "name"}; a flat ``municipality_name`` works too),
    ``sequence``, ``starts_at`` (optional), ``summary``, ``solution_approaches`` ([{"title",
    "description", "field_of_action"}]), ``documents`` ([{"title", "url"}]), ``attendance``
    ({participant_type: count}), ``topic`` (optional) and ``completed_at``. Extra keys are ignored.

    Attendance is published as counts per participant type only; participant organisations are used
    for the newsletter audience, not printed.
    """
    workshop_id = _require(event_data, "workshop_id")
    municipality_data = event_data.get("municipality")
    if isinstance(municipality_data, Mapping):
        municipality = _text(municipality_data.get("name"))
    else:
        municipality = _text(event_data.get("municipality_name"))
    if not municipality:
        raise InvalidInput("Event data lacks the municipality's name.", field="municipality")
    try:
        sequence = int(_require(event_data, "sequence"))
    except (TypeError, ValueError):
        raise InvalidInput("'sequence' must be a number.", field="sequence") from None
    starts_at = _parse_datetime(event_data["starts_at"], "starts_at") if event_data.get("starts_at") else None

    attendance = event_data.get("attendance") or {}
    counts = {_text(k): int(v) for k, v in attendance.items() if isinstance(v, int) and v > 0} \
        if isinstance(attendance, Mapping) else {}
    total = sum(counts.values())

    about = f"Die {sequence}. Strategiewerkstatt in {municipality}"
    about += f" fand am {german_date(starts_at)} statt." if starts_at else " ist abgeschlossen."
    if total:
        about += f" Insgesamt nahmen {total} Personen teil."
    body = [Section(heading="Die Werkstatt", text=about)]
    if counts:
        body.append(Section(
            heading="Teilnehmende",
            items=tuple(f"{PARTICIPANT_TYPE_LABELS.get(k, k)}: {n}" for k, n in counts.items()),
        ))
    documents = tuple(
        Link(title=_text(d.get("title")) or _safe_url(d.get("url")), url=_safe_url(d.get("url")))
        for d in (event_data.get("documents") or ()) if isinstance(d, Mapping) and _safe_url(d.get("url"))
    )
    if documents:
        body.append(Section(heading="Dokumente", links=documents))

    return Publication(
        id=publication_id("workshop_result", workshop_id),
        kind="workshop_result",
        source_id=_text(workshop_id),
        title=f"Ergebnisse der {sequence}. Strategiewerkstatt in {municipality}",
        summary=_text(event_data.get("summary")),
        body=tuple(body),
        solution_approaches=_coerce_approaches(event_data.get("solution_approaches") or ()),
        created_at=_event_time(event_data, "completed_at", now),
        topic=_text(event_data.get("topic")) or None,
    )


def _coerce_sections(value: Any) -> tuple[Section, ...]:
    """Body from structured sections (Section or dicts) or from one block of plain text."""
    if isinstance(value, str):
        return (Section(text=value.strip()),) if value.strip() else ()
    sections = []
    for entry in value or ():
        if isinstance(entry, Section):
            sections.append(entry)
        elif isinstance(entry, Mapping):
            links = tuple(link if isinstance(link, Link) else Link(_text(link.get("title")), _safe_url(link.get("url")))
                          for link in entry.get("links") or ())
            links = tuple(link for link in links if _safe_url(link.url))
            sections.append(Section(heading=_text(entry.get("heading")), text=_text(entry.get("text")),
                                    items=tuple(_text(i) for i in entry.get("items") or ()), links=links))
        else:
            raise InvalidInput("Each section needs a heading, text, items or links.", field="body")
    return tuple(sections)


def _coerce_approaches(value: Any) -> tuple[SolutionApproach, ...]:
    approaches = []
    for entry in value or ():
        if isinstance(entry, SolutionApproach):
            approach = entry
        elif isinstance(entry, Mapping):
            approach = SolutionApproach(title=_text(entry.get("title")), description=_text(entry.get("description")),
                                        field_of_action=_text(entry.get("field_of_action")))
        else:
            raise InvalidInput("Each solution approach needs a title.", field="solution_approaches")
        if not approach.title:
            raise InvalidInput("Each solution approach needs a title.", field="solution_approaches")
        approaches.append(approach)
    return tuple(approaches)


EDITABLE_PUBLICATION_FIELDS = ("title", "summary", "body", "solution_approaches", "topic")


def edit(pub: Publication, changes: Mapping[str, Any]) -> Publication:
    """Apply staff edits to a draft.

    Published results are final: members may already have them in a newsletter or feed reader, so a
    silent change would make copies disagree. Corrections go into a new publication instead.
    """
    if pub.is_published:
        raise Conflict("Published results cannot be edited; publish a correction instead.")
    updates: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE_PUBLICATION_FIELDS:
            raise InvalidInput(f"'{key}' cannot be edited.", field=key)
        if key == "title":
            updates[key] = _text(value)
            if not updates[key]:
                raise InvalidInput("The title must not be empty.", field="title")
        elif key == "summary":
            updates[key] = _text(value)
        elif key == "topic":
            updates[key] = _text(value) or None
        elif key == "body":
            updates[key] = _coerce_sections(value)
        else:
            updates[key] = _coerce_approaches(value)
    return replace(pub, **updates)


def publish(pub: Publication, now: datetime) -> Publication:
    """Make a draft public. Publishing twice is a conflict, so a double click cannot re-date results."""
    if pub.is_published:
        raise Conflict("These results have already been published.")
    if not pub.title.strip():
        raise InvalidInput("The title must not be empty.", field="title")
    return replace(pub, status="published", published_at=now)


def results_published_payload(pub: Publication, base_url: str | None = None) -> dict[str, Any]:
    """Body of the ResultsPublished v1 event (see shared/events/catalogue.py), JSON-serialisable."""
    if not pub.is_published or pub.published_at is None:
        raise Conflict("Only published results can be announced.")
    return {
        "publication_id": pub.id,
        "kind": pub.kind,
        "source_id": pub.source_id,
        "title": pub.title,
        "url": publication_url(base_url, pub.id) if base_url else None,
        "published_at": pub.published_at.astimezone(timezone.utc).isoformat(),
    }


def publication_text(pub: Publication) -> str:
    """Plain-text, markdown-ish rendering, used for the text part of mails and ``content_text`` of feeds."""
    lines = [f"# {pub.title}", ""]
    if pub.summary:
        lines += [pub.summary, ""]
    if pub.solution_approaches:
        lines += ["## Lösungsansätze", ""]
        for approach in pub.solution_approaches:
            label = f" (Handlungsfeld {approach.field_of_action_label})" if approach.field_of_action else ""
            lines.append(f"- {approach.title}{label}" + (f": {approach.description}" if approach.description else ""))
        lines.append("")
    for section in pub.body:
        if section.heading:
            lines += [f"## {section.heading}", ""]
        if section.text:
            lines += [section.text, ""]
        if section.items:
            lines += [f"- {item}" for item in section.items] + [""]
        if section.links:
            lines += [f"- {link.title}: {link.url}" for link in section.links] + [""]
    return "\n".join(lines).rstrip() + "\n"


def publication_tags(pub: Publication) -> list[str]:
    """Tags for feeds: topic, kind and the fields of action of the solution approaches, without repeats."""
    tags = [pub.topic or "", "Auswahl" if pub.kind == "selection_result" else "Strategiewerkstatt"]
    tags += [a.field_of_action_label for a in pub.solution_approaches]
    return list(dict.fromkeys(t for t in tags if t))


# --------------------------------------------------------------------------------------------------
# Members and subscribers
# --------------------------------------------------------------------------------------------------

MEMBER_KINDS = ("municipality", "partner")
SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed")


@dataclass(frozen=True, kw_only=True)
class Member:
    """A member of the network (municipality or partner institution); members receive results by role."""
    id: str
    name: str
    kind: str
    ags: str | None = None
    email: str
    contact_name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in MEMBER_KINDS:
            raise InvalidInput(f"Unknown member kind '{self.kind}'.", field="kind")
        if self.ags is not None and not re.fullmatch(r"\d{8}", self.ags):
            raise InvalidInput("The AGS has 8 digits.", field="ags")


@dataclass(frozen=True, kw_only=True)
class Subscriber:
    """Someone who subscribed to results by topic. Receives mail only after double opt-in."""
    id: str
    email: str
    topics: tuple[str, ...] = ()
    status: str = "pending"
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None


def subscribe(email: str, topics: Iterable[str], now: datetime, subscriber_id: str | None = None) -> Subscriber:
    """New pending subscription; nothing is sent to it until the address is confirmed."""
    clean_topics = tuple(dict.fromkeys(_text(t) for t in topics if _text(t)))
    if not clean_topics:
        raise InvalidInput("Please choose at least one topic.", field="topics")
    return Subscriber(id=subscriber_id or str(uuid.uuid4()), email=normalise_email(email),
                      topics=clean_topics, created_at=now)


def confirm_subscription(sub: Subscriber, now: datetime) -> Subscriber:
    """Double opt-in step. Idempotent, because people click confirmation links twice."""
    if sub.status == "confirmed":
        return sub
    if sub.status == "unsubscribed":
        raise Conflict("This subscription was cancelled; please subscribe again.")
    return replace(sub, status="confirmed", confirmed_at=now)


def unsubscribe(sub: Subscriber, now: datetime) -> Subscriber:
    """Cancel a subscription. Idempotent: one-click unsubscribe may be requested by mail clients repeatedly."""
    if sub.status == "unsubscribed":
        return sub
    return replace(sub, status="unsubscribed", unsubscribed_at=now)


# --------------------------------------------------------------------------------------------------
# Segments and recipients
# --------------------------------------------------------------------------------------------------

#: Segment type -> keys it requires. Stored as plain dicts so they serialise into newsletter rows/events.
SEGMENT_TYPES: dict[str, tuple[str, ...]] = {
    "all_members": (),
    "selected_municipalities": ("call_id",),
    "workshop_participants": ("workshop_id",),
    "subscribers": ("topic",),
}


def validate_segment(segment: Any) -> dict[str, str]:
    """Check a segment and return a clean copy.

    Unexpected keys are rejected too: a typo such as ``callid`` would otherwise silently widen or empty
    the audience of a newsletter.
    """
    if not isinstance(segment, Mapping):
        raise InvalidInput("The segment must be an object with a 'type'.", field="segment")
    kind = segment.get("type")
    if kind not in SEGMENT_TYPES:
        raise InvalidInput(f"Unknown segment type '{kind}'; allowed: {', '.join(SEGMENT_TYPES)}.", field="segment")
    required = SEGMENT_TYPES[kind]
    unexpected = sorted(set(segment) - {"type", *required})
    if unexpected:
        raise InvalidInput(f"Segment '{kind}' does not take {', '.join(unexpected)}.", field="segment")
    clean = {"type": kind}
    for key in required:
        value = _text(segment.get(key))
        if not value:
            raise InvalidInput(f"Segment '{kind}' requires '{key}'.", field="segment")
        clean[key] = value
    return clean


def describe_segment(segment: Mapping[str, Any]) -> str:
    """German label of a segment for the admin UI."""
    segment = validate_segment(segment)
    return {
        "all_members": "Alle Mitglieder",
        "selected_municipalities": "Ausgewählte Kommunen des Aufrufs",
        "workshop_participants": "Teilnehmende Organisationen der Strategiewerkstatt",
        "subscribers": f"Abonnentinnen und Abonnenten zum Thema „{segment.get('topic', '')}“",
    }[segment["type"]]


def resolve_recipients(
    segment: Mapping[str, Any],
    members: Iterable[Member],
    subscribers: Iterable[Subscriber],
    selected_ags_by_call: Mapping[str, Iterable[str]],
    participant_orgs_by_workshop: Mapping[str, Iterable[str]],
) -> list[tuple[str, str]]:
    """Who receives a newsletter: a list of (email, name), de-duplicated case-insensitively, sorted.

    - ``all_members``: every member with an address.
    - ``selected_municipalities``: member municipalities whose AGS is in the call's selection.
    - ``workshop_participants``: members named among the workshop's participating organisations, matched
      by member id, AGS or (case-insensitively) name, since WorkshopCompleted lists organisation names.
    - ``subscribers``: confirmed subscribers of the topic (pending and unsubscribed never receive mail).

    A call or workshop missing from the lookup tables resolves to nobody (no selection yet); the sending
    side reports an empty audience instead of guessing.
    """
    segment = validate_segment(segment)
    kind = segment["type"]
    candidates: list[tuple[str, str]] = []
    if kind == "subscribers":
        topic = segment["topic"].casefold()
        candidates = [(s.email, "") for s in subscribers
                      if s.status == "confirmed" and topic in {t.casefold() for t in s.topics}]
    else:
        if kind == "all_members":
            chosen = list(members)
        elif kind == "selected_municipalities":
            ags = {_text(a) for a in selected_ags_by_call.get(segment["call_id"], ())}
            chosen = [m for m in members if m.kind == "municipality" and m.ags in ags]
        else:
            orgs = {_text(o).casefold() for o in participant_orgs_by_workshop.get(segment["workshop_id"], ())}
            orgs.discard("")
            chosen = [m for m in members
                      if {m.id.casefold(), m.name.casefold(), (m.ags or "").casefold()} & orgs]
        candidates = [(m.email, m.contact_name or m.name) for m in chosen]

    unique: dict[str, tuple[str, str]] = {}
    for email, name in candidates:
        email = _text(email)
        if not email:
            continue
        key = email.casefold()
        if key not in unique or (name and not unique[key][1]):
            unique[key] = (email, name)
    return [unique[k] for k in sorted(unique)]


# --------------------------------------------------------------------------------------------------
# Newsletters
# --------------------------------------------------------------------------------------------------

NEWSLETTER_STATUSES = ("draft", "scheduled", "sending", "sent", "partly_failed", "failed")
# Sending has finished: every delivery was sent (or skipped), some failed, or every one failed.
NEWSLETTER_FINISHED = ("sent", "partly_failed", "failed")
MAX_SUBJECT_LENGTH = 200


@dataclass(frozen=True, kw_only=True)
class Newsletter:
    """A mailing of published results to one segment."""
    id: str
    subject: str
    intro: str = ""
    publication_ids: tuple[str, ...]
    segment: Mapping[str, str]
    status: str = "draft"
    send_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None


def _check_send_at(send_at: Any, now: datetime) -> datetime:
    if not isinstance(send_at, datetime) or send_at.tzinfo is None:
        raise InvalidInput("The send time needs a date, time and time zone.", field="send_at")
    if send_at <= now:
        raise InvalidInput("The send time must be in the future.", field="send_at")
    return send_at


def create_newsletter(
    *,
    subject: str,
    intro: str,
    publication_ids: Sequence[str],
    segment: Mapping[str, Any],
    publications: Iterable[Publication] | Mapping[str, Publication],
    now: datetime,
    send_at: datetime | None = None,
    newsletter_id: str | None = None,
) -> Newsletter:
    """Create a draft newsletter after checking what staff entered.

    ``publications`` are the known publications (a list or a dict by id). Only published results may go
    out: a draft could still change after members received it.
    """
    subject = _text(subject)
    if not subject:
        raise InvalidInput("The subject must not be empty.", field="subject")
    if len(subject) > MAX_SUBJECT_LENGTH or "\n" in subject or "\r" in subject:
        raise InvalidInput(f"The subject is one line of at most {MAX_SUBJECT_LENGTH} characters.", field="subject")
    known = dict(publications) if isinstance(publications, Mapping) else {p.id: p for p in publications}
    ids = tuple(dict.fromkeys(_text(i) for i in publication_ids))
    if not ids:
        raise InvalidInput("Choose at least one published result.", field="publication_ids")
    for pid in ids:
        if pid not in known:
            raise NotFound(f"Unknown publication '{pid}'.", field="publication_ids")
        if not known[pid].is_published:
            raise Conflict(f"'{known[pid].title}' has not been published yet.", field="publication_ids")
    return Newsletter(
        id=newsletter_id or str(uuid.uuid4()),
        subject=subject,
        intro=_text(intro),
        publication_ids=ids,
        segment=validate_segment(segment),
        send_at=_check_send_at(send_at, now) if send_at is not None else None,
        created_at=now,
    )


def schedule_send(newsletter: Newsletter, now: datetime, send_at: datetime | None = None) -> Newsletter:
    """Schedule a newsletter: at ``send_at``, else at its planned time, else immediately (``now``).

    Rescheduling a scheduled newsletter is allowed; once sending has started it is a conflict, because
    part of the audience may already have it.
    """
    if newsletter.status == "sending" or newsletter.status in NEWSLETTER_FINISHED:
        raise Conflict("This newsletter is already being sent or has been sent.")
    if send_at is not None:
        when = _check_send_at(send_at, now)
    elif newsletter.send_at is not None:
        when = _check_send_at(newsletter.send_at, now)
    else:
        when = now
    return replace(newsletter, status="scheduled", send_at=when)


def start_sending(newsletter: Newsletter, now: datetime) -> Newsletter:
    """Claim a due newsletter for the sender; only one worker can move it from scheduled to sending."""
    if newsletter.status != "scheduled":
        raise Conflict("Only a scheduled newsletter can be sent.")
    if newsletter.send_at is not None and newsletter.send_at > now:
        raise Conflict("This newsletter is not due yet.")
    return replace(newsletter, status="sending")


def mark_sent(newsletter: Newsletter, now: datetime, progress: Mapping[str, int] | None = None) -> Newsletter:
    """Sending has finished; the status says how it went: `sent` (no delivery failed), `partly_failed`
    (some failed), `failed` (none was delivered, at least one failed)."""
    if newsletter.status != "sending":
        raise Conflict("Only a newsletter that is being sent can be marked as sent.")
    progress = progress or {}
    if progress.get("pending") or progress.get("sending"):
        raise Conflict("Deliveries of this newsletter are still waiting.")
    failed, sent = int(progress.get("failed", 0)), int(progress.get("sent", 0))
    status = "sent" if not failed else "partly_failed" if sent else "failed"
    return replace(newsletter, status=status, sent_at=now)


def newsletter_sent_payload(newsletter: Newsletter, progress: Mapping[str, int]) -> dict[str, Any]:
    """Body of the NewsletterSent v1 event: counts only, never the recipients (personal data)."""
    if newsletter.status not in NEWSLETTER_FINISHED or newsletter.sent_at is None:
        raise Conflict("Only a newsletter whose sending has finished can be announced.")
    return {
        "newsletter_id": newsletter.id,
        "subject": newsletter.subject,
        "segment": dict(newsletter.segment),
        "total": int(progress.get("total", 0)),
        "sent": int(progress.get("sent", 0)),
        "failed": int(progress.get("failed", 0)),
        "completed_at": newsletter.sent_at.astimezone(timezone.utc).isoformat(),
    }


# --------------------------------------------------------------------------------------------------
# Signed tokens (confirmation and unsubscribe links)
# --------------------------------------------------------------------------------------------------

TOKEN_PURPOSES = ("confirm", "unsubscribe")
_TOKEN_KEY_CONTEXT = b"netzwerk-vor-ort/publishing/token/v1"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_signature(secret: str | bytes, payload: str) -> str:
    key_material = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key_material:
        raise ValueError("A token secret is required.")
    # Derive a key for this use, so the shared app secret is never used directly as an HMAC key here.
    key = hmac.new(key_material, _TOKEN_KEY_CONTEXT, hashlib.sha256).digest()
    return _b64encode(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


# payload (base64url JSON) "." signature (base64url HMAC-SHA256, 43 characters)
TOKEN_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$"
TOKEN_INCOMPLETE = "This link is incomplete. Please copy the whole link from the e-mail."


def make_token(secret: str | bytes, purpose: str, email: str, now: datetime | None = None) -> str:
    """URL-safe signed token binding an address to a purpose and a time.

    Same idea as itsdangerous' URLSafeTimedSerializer (payload.timestamp-in-payload.signature, HMAC),
    written with the standard library because this module must not import third-party packages.
    The purpose is inside the signed payload, so a confirmation link cannot be replayed as an
    unsubscribe link and vice versa.
    """
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"Unknown token purpose '{purpose}'.")
    issued = int((now or _utcnow()).timestamp())
    payload = _b64encode(json.dumps({"p": purpose, "e": email, "t": issued}, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_token_signature(secret, payload)}"


def read_token(
    secret: str | bytes, purpose: str, token: str, max_age: int | float | timedelta, now: datetime | None = None
) -> str:
    """Return the address in a valid token. A token not of the form TOKEN_PATTERN is incomplete (InvalidInput,
    422); a well-formed one that is forged, expired, meant for another action or not ours is refused
    (Forbidden, 403), each with field 'token'.

    The signature is checked before anything in the payload is trusted; messages tell the person
    what to do (request a new link) without revealing which check failed beyond that.
    """
    max_seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else float(max_age)
    if not re.fullmatch(TOKEN_PATTERN, token or ""):
        raise InvalidInput(TOKEN_INCOMPLETE, field="token")
    payload, _sep, signature = token.partition(".")
    if not hmac.compare_digest(signature, _token_signature(secret, payload)):
        raise Forbidden("This link is not valid.", field="token")
    try:
        data = json.loads(_b64decode(payload))
        token_purpose, email, issued = data["p"], data["e"], int(data["t"])
    except (ValueError, KeyError, TypeError):
        raise Forbidden("This link is not valid.", field="token") from None
    if token_purpose != purpose:
        raise Forbidden("This link is meant for a different action.", field="token")
    age = (now or _utcnow()).timestamp() - issued
    if age < -60:  # issued in the future beyond clock skew: not one of ours
        raise Forbidden("This link is not valid.", field="token")
    if age > max_seconds:
        raise Forbidden("This link has expired. Please request a new one.", field="token")
    return email


# --------------------------------------------------------------------------------------------------
# Enquiries
# --------------------------------------------------------------------------------------------------

MAX_ENQUIRY_MESSAGE = 5000
MAX_ENQUIRY_FIELD = 200


@dataclass(frozen=True, kw_only=True)
class Enquiry:
    """A request for information sent to the office (“wende sich bitte an …”)."""
    id: str
    name: str
    email: str
    organisation: str = ""
    message: str
    created_at: datetime


def create_enquiry(
    *, name: str, email: str, organisation: str, message: str, now: datetime, enquiry_id: str | None = None
) -> Enquiry:
    """Validate a public enquiry. Lengths are bounded because the form is open to anyone."""
    name, organisation, message = _text(name), _text(organisation), _text(message)
    if not name:
        raise InvalidInput("Please enter your name.", field="name")
    if len(name) > MAX_ENQUIRY_FIELD:
        raise InvalidInput(f"The name is limited to {MAX_ENQUIRY_FIELD} characters.", field="name")
    if len(organisation) > MAX_ENQUIRY_FIELD:
        raise InvalidInput(f"The organisation is limited to {MAX_ENQUIRY_FIELD} characters.", field="organisation")
    if not message:
        raise InvalidInput("Please enter a message.", field="message")
    if len(message) > MAX_ENQUIRY_MESSAGE:
        raise InvalidInput(f"The message is limited to {MAX_ENQUIRY_MESSAGE} characters.", field="message")
    return Enquiry(id=enquiry_id or str(uuid.uuid4()), name=name, email=normalise_email(email),
                   organisation=organisation, message=message, created_at=now)


# --------------------------------------------------------------------------------------------------
# Decision notices
# --------------------------------------------------------------------------------------------------

NOTICE_KINDS = ("selected", "not_selected", "workshop_cancelled")
DEFAULT_SENDER_NAME = "Geschäftsstelle Netzwerk Innenstadt NRW"

#: Placeholders usable in notice templates (string.Template syntax: $name or ${name}; a literal $ is $$).
#: The German descriptions are meant to be shown next to the template editor in the admin UI.
NOTICE_PLACEHOLDERS = {
    "salutation": "Anrede mit Komma, z. B. „Guten Tag Erika Musterfrau,“ oder „Sehr geehrte Damen und Herren,“",
    "municipality": "Name der Kommune",
    "contact_name": "Name der Ansprechperson (leer, wenn unbekannt)",
    "call_title": "Titel des Aufrufs",
    "workshop_places": "Orte der Strategiewerkstätten, z. B. „in Wassenberg, Arnsberg und Siegen“",
    "sender": "Absender, z. B. „Geschäftsstelle Netzwerk Innenstadt NRW“",
    "workshop": "Die abgesagte Strategiewerkstatt mit Ort und Termin (nur in Absagen)",
}

DEFAULT_NOTICE_TEMPLATES: dict[str, tuple[str, str]] = {
    "selected": (
        "Netzwerk vor Ort: $municipality wurde ausgewählt",
        """$salutation

wir freuen uns, Ihnen mitteilen zu können, dass die Steuerungsgruppe des Netzwerk Innenstadt NRW $municipality im Rahmen des Aufrufs „${call_title}“ für das Format „Netzwerk vor Ort“ ausgewählt hat.

In $municipality sind zwei Strategiewerkstätten geplant, die von der Geschäftsstelle des Netzwerk Innenstadt NRW begleitet werden. Ziel ist es, gemeinsam mit den Partnern der Initiative, weiteren Akteuren vor Ort sowie Schulen, Hochschulen und der Wirtschaft Lösungsansätze zu entwickeln. Die Ergebnisse werden allen Mitgliedern des Netzwerks zur Verfügung gestellt.

Wir melden uns in den nächsten Wochen bei Ihnen, um Termine und Vorbereitung der Werkstätten abzustimmen.

Mit freundlichen Grüßen

$sender
""",
    ),
    "not_selected": (
        "Netzwerk vor Ort: Ihre Interessensbekundung zum Aufruf „${call_title}“",
        """$salutation

vielen Dank für die Interessensbekundung von $municipality zum Aufruf „${call_title}“ und für Ihr Engagement. Die Steuerungsgruppe des Netzwerk Innenstadt NRW konnte nur eine begrenzte Zahl von Kommunen auswählen; $municipality konnte dieses Mal leider nicht zum Zuge kommen.

Gerne laden wir Sie ein, an den Strategiewerkstätten $workshop_places teilzunehmen. Dort entwickeln die Partner der Initiative gemeinsam mit Akteuren vor Ort Lösungsansätze, von denen auch Ihre Kommune profitieren kann. Die Einladungen zu den Terminen erhalten Sie rechtzeitig von der Geschäftsstelle. Die Ergebnisse der Werkstätten werden allen Mitgliedern des Netzwerks zur Verfügung gestellt.

Mit freundlichen Grüßen

$sender
""",
    ),
}


# A cancelled workshop's registrants are told at once: the cancellation is a fact the office already
# decided on, so these notices go out without a second review (their template is still the office's).
DEFAULT_NOTICE_TEMPLATES["workshop_cancelled"] = (
    "Abgesagt: $workshop",
    """$salutation

leider müssen wir Ihnen mitteilen, dass $workshop nicht stattfindet. Ihre Anmeldung ist damit hinfällig; Sie müssen nichts weiter tun.

Über neue Termine im Rahmen des Aufrufs „${call_title}“ informieren wir Sie, sobald sie feststehen.

Mit freundlichen Grüßen

$sender
""",
)


def workshop_label(sequence: int | None, municipality_name: str | None, starts_at: datetime | None) -> str:
    """How a letter names a workshop: „die 1. Strategiewerkstatt in Wassenberg am 20.09.2018“."""
    label = f"die {sequence}. Strategiewerkstatt" if sequence else "die Strategiewerkstatt"
    if _text(municipality_name):
        label += f" in {_text(municipality_name)}"
    if starts_at is not None:
        label += f" am {starts_at.astimezone(BERLIN):%d.%m.%Y}"
    return label


def validate_notice_template(template: str, field: str = "template") -> None:
    """Reject templates with unknown or malformed placeholders before they are saved or sent.

    ``string.Template`` (not ``str.format``) because staff write these texts: it has no attribute or
    index access, so a template cannot reach into Python objects.
    """
    if not isinstance(template, str) or not template.strip():
        raise InvalidInput("The template must not be empty.", field=field)
    parsed = string.Template(template)
    if not parsed.is_valid():
        raise InvalidInput("The template contains a malformed placeholder; write a literal $ as $$.", field=field)
    unknown = [name for name in parsed.get_identifiers() if name not in NOTICE_PLACEHOLDERS]
    if unknown:
        raise InvalidInput(
            f"Unknown placeholder(s): {', '.join('$' + n for n in unknown)}. "
            f"Allowed: {', '.join('$' + n for n in NOTICE_PLACEHOLDERS)}.",
            field=field,
        )


def decision_notice(
    kind: str,
    municipality_name: str,
    contact_name: str | None,
    call_title: str,
    template: str | None = None,
    *,
    subject_template: str | None = None,
    selected_municipalities: Sequence[str] = (),
    sender_name: str = DEFAULT_SENDER_NAME,
    workshop: str | None = None,
) -> tuple[str, str]:
    """German letter telling a municipality the outcome of the selection: returns (subject, text).

    The not-selected letter invites the municipality to the workshops of the selected ones, as the
    programme promises. Staff may pass their own body ``template`` and ``subject_template``
    (placeholders: ``NOTICE_PLACEHOLDERS``).
    """
    if kind not in NOTICE_KINDS:
        raise InvalidInput(f"Unknown notice kind '{kind}'.", field="kind")
    default_subject, default_body = DEFAULT_NOTICE_TEMPLATES[kind]
    body_template = default_body if template is None else template
    subject_template = default_subject if subject_template is None else subject_template
    validate_notice_template(body_template, "template")
    validate_notice_template(subject_template, "subject_template")

    contact = _text(contact_name)
    places = german_join([_text(n) for n in selected_municipalities])
    values = {
        "salutation": f"Guten Tag {contact}," if contact else "Sehr geehrte Damen und Herren,",
        "municipality": _text(municipality_name),
        "contact_name": contact,
        "call_title": _text(call_title),
        "workshop_places": f"in {places}" if places else "in den ausgewählten Kommunen",
        "sender": _text(sender_name) or DEFAULT_SENDER_NAME,
        "workshop": _text(workshop) or "die Strategiewerkstatt",
    }
    subject = " ".join(string.Template(subject_template).substitute(values).split())
    text = string.Template(body_template).substitute(values).strip() + "\n"
    return subject, text
