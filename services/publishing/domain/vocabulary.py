"""Publishing's vocabulary: kinds, labels, and German dates, numbers and lists."""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput

# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")

PUBLICATION_KINDS = ("selection_result", "workshop_result")
PUBLICATION_STATUSES = ("draft", "published")

#: BBSR town size classes, codes as in shared/events/catalogue (SIZE_CLASSES).
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
# An address: a dot-atom local part (RFC 5322 atext without ' " , ;), "@", a host name of ASCII labels with a
# top-level domain of two letters or more. The OpenAPI document states it as the pattern of every address
# field; every address it admits can be written into a mail header.
_ATEXT = r"[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"
_EMAIL_RE = re.compile(EMAIL_PATTERN)

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
    if not _EMAIL_RE.fullmatch(email) or len(email) > 254:
        raise InvalidInput("Please enter a valid e-mail address.", field=field)
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"
