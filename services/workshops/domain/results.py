"""Completion and results, GDPR erasure of a registrant, and the office's export."""
from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from services.workshops.domain.model import ResultDocument, SolutionApproach, WorkshopResults, _fmt_local, to_local
from services.workshops.domain.registrations import _mine, attendance_counts, cancel_registration, registration_counts
from services.workshops.domain.vocabulary import (
    ACTIVE_REGISTRATION_STATUSES,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    PARTICIPANT_TYPE_LABELS_DE,
    PENDING,
    REGISTRATION_STATUS_LABELS_DE,
    REJECTED,
    SCHEDULED,
    UTC,
    WAITLISTED,
)
from shared.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from services.workshops.domain.model import Registration, Workshop


# --------------------------------------------------------------------------------------------
# Completion and results
# --------------------------------------------------------------------------------------------

def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _is_http_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def complete(workshop: Workshop, summary: str,
             solution_approaches: Sequence[Mapping[str, Any] | SolutionApproach],
             documents: Sequence[Mapping[str, Any] | ResultDocument], now: datetime) -> Workshop:
    """Record the results of a workshop that has taken place.

    Results are published to all members, so they must say something: a summary and at least
    one solution approach with a title and a field of action. Documents are links (http/https
    only, nothing that would run in a reader's browser). After this, nobody can register.
    """
    if workshop.status == COMPLETED:
        raise Conflict("The workshop is already completed.")
    if workshop.status == CANCELLED:
        raise Conflict("A cancelled workshop cannot be completed.")
    if workshop.status != SCHEDULED or workshop.ends_at is None:
        raise Conflict("The workshop was never scheduled.")
    if workshop.ends_at > now:
        raise Conflict(f"The workshop has not ended yet (ends {_fmt_local(workshop.ends_at)}).")

    if not isinstance(summary, str) or not summary.strip():
        raise InvalidInput("A summary of the results is required.", "summary")
    if not solution_approaches:
        raise InvalidInput("At least one solution approach is required.", "solution_approaches")
    approaches = []
    for i, item in enumerate(solution_approaches):
        prefix = f"solution_approaches[{i}]"
        title = _get(item, "title")
        field_of_action = _get(item, "field_of_action")
        description = _get(item, "description") or ""
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("A title is required.", f"{prefix}.title")
        if not isinstance(field_of_action, str) or not field_of_action.strip():
            raise InvalidInput("A field of action is required.", f"{prefix}.field_of_action")
        if not isinstance(description, str):
            raise InvalidInput("Text expected.", f"{prefix}.description")
        approaches.append(SolutionApproach(title.strip(), field_of_action.strip(),
                                           description.strip()))
    docs = []
    for i, document in enumerate(documents or ()):
        prefix = f"documents[{i}]"
        title, url = _get(document, "title"), _get(document, "url")
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("A title is required.", f"{prefix}.title")
        if not _is_http_url(url):
            raise InvalidInput("Only http or https links are allowed.", f"{prefix}.url")
        docs.append(ResultDocument(title.strip(), url.strip()))

    workshop.results = WorkshopResults(summary.strip(), approaches, docs)
    workshop.status = COMPLETED
    workshop.completed_at = now
    workshop.updated_at = now
    return workshop


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def completed_event_payload(workshop: Workshop, regs: Iterable[Registration]) -> dict[str, Any]:
    """The body of the WorkshopCompleted event, JSON-serialisable.

    It goes to the publishing service and from there to every member, so it carries facts and
    counts only: no names, e-mail addresses, organisations or manage codes of participants.
    """
    if workshop.status != COMPLETED or workshop.results is None:
        raise Conflict("The workshop is not completed.")
    mine = _mine(workshop, regs)
    attendance = attendance_counts(mine)
    return {
        "workshop_id": workshop.id,
        "call_id": workshop.call_id,
        "application_id": workshop.application_id,
        "municipality": {"ags": workshop.municipality_ags, "name": workshop.municipality_name},
        "sequence": workshop.sequence,
        "topic": workshop.topic,
        "title": workshop.title,
        "starts_at": _iso(workshop.starts_at),
        "ends_at": _iso(workshop.ends_at),
        "completed_at": _iso(workshop.completed_at),
        "venue": workshop.venue,
        "summary": workshop.results.summary,
        "solution_approaches": [a.as_dict() for a in workshop.results.solution_approaches],
        "documents": [d.as_dict() for d in workshop.results.documents],
        "attendance": attendance,
        "attendance_total": sum(attendance.values()),
        "registered": registration_counts(mine),
    }


def participant_organisations(regs: Iterable[Registration]) -> list[str]:
    """Organisations of the people who attended, for the WorkshopCompleted event: the network
    learns which institutions took part (the newsletter reaches them), never who. Citizens take
    part as private persons, so whatever they typed as organisation stays inside."""
    names = {r.organisation.strip() for r in regs
             if r.checked_in_at is not None and r.status == CONFIRMED
             and r.participant_type != "citizen" and r.organisation.strip()}
    return sorted(names, key=str.casefold)


# --------------------------------------------------------------------------------------------
# Erasure (GDPR)
# --------------------------------------------------------------------------------------------

def erase_registrant(reg: Registration, regs: Iterable[Registration], workshop: Workshop, *,
                     erased_name: str, erased_email: str) -> Registration | None:
    """Forget who registered, keep what the programme needs to count.

    A place in a workshop that still lies ahead is given up first (the waitlist moves up; that
    promoted registration is returned): nobody can be let in under an erased name. Past
    attendance stays as it was, because the published counts must still add up. The
    placeholders come from the caller, so that every service erases the same way.
    """
    promoted = None
    if (workshop.status == SCHEDULED and reg.status in ACTIVE_REGISTRATION_STATUSES
            and reg.checked_in_at is None):
        promoted = cancel_registration(reg, regs, workshop)
    reg.name = erased_name
    reg.email = erased_email
    if reg.participant_type == "citizen":  # a private person's "organisation" may name them
        reg.organisation = ""
    reg.registrant_subject = None
    reg.manage_code = secrets.token_urlsafe(24)  # old links stop working
    return promoted


# --------------------------------------------------------------------------------------------
# Export for the office
# --------------------------------------------------------------------------------------------

CSV_HEADER = ("Name", "E-Mail", "Organisation", "Teilnehmergruppe", "Status",
              "Wartelistenplatz", "Angemeldet am", "Eingecheckt am")
_STATUS_ORDER = {s: i for i, s in enumerate((CONFIRMED, WAITLISTED, PENDING, REJECTED, CANCELLED))}


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas: people type what they like into a name field."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def participants_csv(regs: Iterable[Registration]) -> str:
    """Participant list for the office (name badges, sign-in sheet), ';'-separated as German
    Excel expects, with a header row. The manage codes are secrets and are left out. Encode
    the result as UTF-8 (with a BOM if Excel must recognise the umlauts)."""
    rows = sorted(regs, key=lambda r: (_STATUS_ORDER.get(r.status, 99),
                                       r.waitlist_position or 0, r.created_at, r.name))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([
            _csv_safe(r.name),
            _csv_safe(r.email),
            _csv_safe(r.organisation),
            PARTICIPANT_TYPE_LABELS_DE.get(r.participant_type, r.participant_type),
            REGISTRATION_STATUS_LABELS_DE.get(r.status, r.status),
            r.waitlist_position or "",
            f"{to_local(r.created_at):%d.%m.%Y %H:%M}",
            f"{to_local(r.checked_in_at):%d.%m.%Y %H:%M}" if r.checked_in_at else "",
        ])
    return out.getvalue()
