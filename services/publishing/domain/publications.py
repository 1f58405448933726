"""Publications: the results pages built from selection and workshop events, edited and published."""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from services.publishing.domain.vocabulary import (
    _NUMBER_WORDS_FEMININE,
    FIELD_OF_ACTION_LABELS,
    PARTICIPANT_TYPE_LABELS,
    PUBLICATION_KINDS,
    PUBLICATION_NAMESPACE,
    SIZE_CLASS_LABELS,
    _german_int,
    _parse_datetime,
    _require,
    _safe_url,
    _text,
    _utcnow,
    german_date,
    german_join,
)
from shared.errors import Conflict, InvalidInput

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

    labelled = [_labelled(entry) for entry in entries]
    items = [_selected_item(entry) for entry in entries]

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
    body.append(_next_steps(int(event_data.get("workshops_per_place") or 2)))

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


def _labelled(entry: Mapping[str, Any]) -> str:
    """'Wassenberg (Kleinstadt)': a selected municipality in the summary sentence."""
    name = _text(entry["name"])
    size = _size_class_label(entry.get("size_class"))
    return f"{name} ({size})" if size else name


def _selected_item(entry: Mapping[str, Any]) -> str:
    """A selected municipality's line in the list: its size class, population and rationale if known."""
    name = _text(entry["name"])
    size = _size_class_label(entry.get("size_class"))
    details = [size] if size else []
    population = entry.get("population")
    if isinstance(population, int) and not isinstance(population, bool) and population > 0:
        details.append(f"ca. {_german_int(population)} Einwohnerinnen und Einwohner")
    item = name + (f" ({', '.join(details)})" if details else "")
    if _text(entry.get("rationale")):
        item += f": {_text(entry['rationale'])}"
    return item


def _next_steps(per_place: int) -> Section:
    """What follows a selection: the workshops in the selected municipalities."""
    return Section(
        heading="Wie geht es weiter?",
        text=(f"In den ausgewählten Kommunen sind jeweils {_NUMBER_WORDS_FEMININE.get(per_place, per_place)} "
              "Strategiewerkstätten geplant, die von der Geschäftsstelle des Netzwerk Innenstadt NRW begleitet "
              "werden. Ziel ist es, gemeinsam mit den Partnern der Initiative, Akteuren vor Ort, Schulen, "
              "Hochschulen und der Wirtschaft Lösungsansätze zu entwickeln. Die Kommunen, die dieses Mal nicht "
              "zum Zuge kommen konnten, erhalten die Möglichkeit, an den Werkstätten teilzunehmen. Die Ergebnisse "
              "werden allen Mitgliedern des Netzwerks zur Verfügung gestellt."),
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
    """Body of the ResultsPublished v1 event (see shared/events/catalogue), JSON-serialisable."""
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
