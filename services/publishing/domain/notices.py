"""Enquiries and decision notices (the letters to the municipalities)."""
from __future__ import annotations

import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.publishing.domain.vocabulary import BERLIN, _text, german_join, normalise_email
from shared.errors import InvalidInput

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


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A letter to an applicant: the decision on its application (`selected`, `not_selected`), or the
    cancellation of a workshop it registered for (`workshop_cancelled`, to the registration's person).

    pending_review -> approved (waits for the contact lookup) -> queued (mail written) -> sent | failed;
    or pending_review -> discarded. The templates, the call's title and the workshop places are frozen
    at approval; the recipient is filled in when the mail is written."""
    id: str
    kind: str
    call_id: str
    application_id: str
    ags: str
    municipality_name: str
    may_attend_workshops: bool | None = None
    status: str
    created_at: datetime
    decided_at: datetime
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    subject_template: str | None = None
    body_template: str | None = None
    call_title: str | None = None
    workshop_places: tuple[str, ...] | None = None
    recipient_email: str | None = None
    recipient_name: str | None = None
    lookup_attempts: int = 0
    next_lookup_at: datetime | None = None
    last_error: str | None = None
    mail_id: int | None = None
    sent_at: datetime | None = None
    workshop_id: str | None = None
    registration_id: str | None = None
    workshop: str | None = None


@dataclass(frozen=True, kw_only=True)
class NoticeTemplate:
    """The office's own template of one kind of letter (without one, `DEFAULT_NOTICE_TEMPLATES` apply)."""
    kind: str
    subject: str
    body: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, kw_only=True)
class DecidedCall:
    """What SelectionCompleted told publishing about a decided call: its title and topic, and the names of
    the selected municipalities (the workshop places a letter names)."""
    id: str
    title: str
    topic: str
    selected_names: tuple[str, ...] = ()
    decided_at: datetime

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
