"""Build the e-mails of the publishing service as ``email.message.EmailMessage`` objects.

Building is separated from sending: these functions are pure (no SMTP, no clock unless none is given),
so the sender can log, lint, retry or print a message, and tests can inspect exactly what would go out.

Every message is multipart/alternative with a UTF-8 text/plain part (for plain-text clients and
screen readers) and a UTF-8 text/html part, rendered from Jinja templates in ``templates/mail/<language>/``
the platform's way (shared.mail_templates, as the portal's mails): German by default, English for whoever
chose English (a subscriber's language, the page an enquiry was sent from), the same files and placeholders
in both folders, the subject the text's first line after ``Betreff:`` / ``Subject:``, the HTML frame
``templates/mail/_layout.html`` with the mail's ``lang``, and a ``Content-Language`` header. What the office
writes (newsletter subjects and intros, publications, decision notices) stays as written, in German; the
English newsletter frame says so in one line. Decision notices are German (``NOTICE_LANGUAGE``): their
recipient is an application's contact, whose language publishing does not know (docs/architecture.md).
HTML templates are autoescaped: subjects, intros and results are typed by people and come from events.
"""
from __future__ import annotations

import binascii
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Mapping, Sequence

from jinja2 import StrictUndefined
from markupsafe import escape

from .headers import MAIL_POLICY, plain_header_value
from .mail_lint import lint_message
from .domain import (
    Enquiry,
    Newsletter,
    Publication,
    publication_text,
    publication_url,
)

from shared.mail_templates import DEFAULT_LANGUAGE, MailTemplates, mail_language

TEMPLATE_DIR = Path(__file__).parent / "templates"
MAIL_TEMPLATES = TEMPLATE_DIR / "mail"
#: Decision notices are written in German: the office approves German texts, and the recipient (an
#: application's contact) has no language publishing knows.
NOTICE_LANGUAGE = "de"

#: Display name of the From header; the address itself is configuration and passed in as ``sender``.
SENDER_DISPLAY_NAME = "Netzwerk Innenstadt NRW"

# StrictUndefined: a typo in a template must fail in tests, not send "Guten Tag ," to members.
TEMPLATES = MailTemplates(MAIL_TEMPLATES, TEMPLATE_DIR, undefined=StrictUndefined, keep_trailing_newline=True)


def _render(template: str, /, *, language: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, HTML) of ``mail/<language>/<template>.txt|.html``, rendered with the same context."""
    subject, text, html = TEMPLATES.render(template, language=language, **context)
    return subject, text.strip() + "\n", html


def greeting(name: str | None, language: str) -> str:
    """How a mail in `language` greets `name` (``Guten Tag Erika Musterfrau,``, ``Dear ...``, or without a name)."""
    return TEMPLATES.render_part("_greeting.txt", language=language, name=name or "").strip()


def _sender_address(sender: str) -> Address:
    """Accept 'geschaeftsstelle@example.org' or 'Name <address>'; a bare address gets the network's name."""
    display, addr = parseaddr(sender)
    if "@" not in addr:
        raise ValueError(f"Sender '{sender}' has no e-mail address.")
    return Address(display_name=display or SENDER_DISPLAY_NAME, addr_spec=addr)


def sender_address(sender: str) -> Address:
    """The From address for a configured sender (public: the SMTP envelope and Message-IDs need it too)."""
    return _sender_address(sender)


def _build(
    *,
    subject: str,
    recipient_email: str,
    recipient_name: str | None,
    sender: str,
    text: str,
    html: str,
    now: datetime | None,
    language: str,
    message_id: str | None = None,
) -> EmailMessage:
    from_address = _sender_address(sender)
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = from_address
    msg["To"] = Address(display_name=recipient_name or "", addr_spec=recipient_email)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    msg["Message-ID"] = message_id or make_msgid(domain=from_address.domain)
    # quoted-printable keeps German text readable in the raw message and lines under 998 bytes.
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg["Content-Language"] = language  # after the content: set_content() drops Content-* headers
    return msg


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


# --------------------------------------------------------------------------------------------------
# Newsletter
# --------------------------------------------------------------------------------------------------

def newsletter_message_id(newsletter_id: str, recipient_email: str, domain: str) -> str:
    """Stable Message-ID per newsletter and recipient.

    ``email.utils.make_msgid`` adds time and randomness, so it cannot be used here: a resend after a crash
    must carry the same id, so that servers and clients recognise the duplicate. The address is hashed so
    the header does not expose it.
    """
    digest = hashlib.sha256(recipient_email.strip().casefold().encode("utf-8")).hexdigest()[:24]
    return f"<newsletter.{newsletter_id}.{digest}@{domain}>"


def _topic(segment: Mapping[str, Any]) -> str | None:
    """The topic a subscriber newsletter is about (its mails say why they arrive); None for members."""
    return str(segment.get("topic", "")) if segment.get("type") == "subscribers" else None


def newsletter_message(
    newsletter: Newsletter,
    publications: Iterable[Publication] | Mapping[str, Publication],
    recipient_email: str,
    recipient_name: str | None,
    unsubscribe_url: str,
    sender: str,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
    allow_http_unsubscribe: bool = False,
    language: str = DEFAULT_LANGUAGE,
) -> EmailMessage:
    """One newsletter mail for one recipient, with one-click unsubscribe (RFC 8058), its frame in `language`.

    ``publications`` must contain every publication the newsletter lists; they appear in the newsletter's
    order. ``unsubscribe_url`` is the recipient's personal https link (with a signed token).
    With ``base_url`` each result links to the public results page. ``allow_http_unsubscribe`` is for a
    development machine whose service answers on http://127.0.0.1 only; production insists on https.
    """
    scheme = r"^https?://\S+$" if allow_http_unsubscribe else r"^https://\S+$"
    if not re.match(scheme, unsubscribe_url or ""):
        raise ValueError("The unsubscribe link must be an https URL.")
    known = dict(publications) if isinstance(publications, Mapping) else {p.id: p for p in publications}
    items = []
    for pid in newsletter.publication_ids:
        pub = known.get(pid)
        if pub is None or not pub.is_published:
            raise ValueError(f"Publication {pid} is missing or not published.")
        items.append({
            "pub": pub,
            "text": publication_text(pub).strip(),
            "url": publication_url(base_url, pub.id) if base_url else None,
        })
    from_address = _sender_address(sender)
    language = mail_language(language)
    subject, text, html = _render(
        "newsletter",
        language=language,
        subject=newsletter.subject,
        greeting=greeting(recipient_name, language),
        intro_paragraphs=_paragraphs(newsletter.intro),
        publications=items,
        topic=_topic(newsletter.segment),
        unsubscribe_url=unsubscribe_url,
        sender_email=from_address.addr_spec,
    )
    msg = _build(subject=subject, recipient_email=recipient_email, recipient_name=recipient_name, sender=sender,
                 text=text, html=html, now=now, language=language,
                 message_id=newsletter_message_id(newsletter.id, recipient_email, from_address.domain))
    msg["List-Id"] = f"Netzwerk vor Ort <netzwerk-vor-ort.{from_address.domain}>"
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg


class PersonalisedNewsletter:
    """A newsletter rendered once per language, for sending to many recipients: per recipient only what is personal
    changes (the To header, the greeting, the unsubscribe link in both parts and in List-Unsubscribe, the
    Message-ID), substituted into the message rendered and serialised once. `message()` gives the exact
    text `newsletter_message(...).as_string()` gives for the same recipient, up to the quoted-printable
    line breaks of the two parts, which a C encoder (binascii) makes here; the decoded parts and every
    header are the same (tests/unit/publishing/test_publishing_mail.py compares them).

    Placeholders carry a random nonce, so no text that people typed can be mistaken for one.
    """

    def __init__(self, newsletter: Newsletter, publications, sender: str, *, base_url: str | None = None,
                 allow_http_unsubscribe: bool = False, language: str = DEFAULT_LANGUAGE):
        nonce = secrets.token_hex(8)
        self.language = mail_language(language)
        self._greeting, self._unsubscribe = f"vorortgreeting{nonce}", f"vorortunsubscribe{nonce}"
        self._allow_http = allow_http_unsubscribe
        self._sender = sender
        self._newsletter = newsletter
        # The ordinary path renders the templates (and checks the publications) with placeholders.
        template = newsletter_message(newsletter, publications, "recipient@placeholder.invalid", self._greeting,
                                      f"https://{self._unsubscribe}.invalid", sender, base_url=base_url,
                                      allow_http_unsubscribe=allow_http_unsubscribe, language=self.language,
                                      now=datetime(2000, 1, 1, tzinfo=timezone.utc))
        policy = template.policy
        assert isinstance(policy, EmailPolicy)  # the message is built with email.policy.SMTP/default
        self._policy = policy
        parts = {part.get_content_type(): part.get_content() for part in template.walk() if not part.is_multipart()}
        url = f"https://{self._unsubscribe}.invalid"
        # The greeting with a name, as a pattern filled in per recipient, and the one without a name.
        self._greeting_name = self._greeting
        self._greeting, self._anonymous = greeting(self._greeting_name, self.language), greeting(None, self.language)
        self._text = parts["text/plain"].replace(url, self._unsubscribe)
        self._html = parts["text/html"].replace(url, self._unsubscribe)
        for body in (self._text, self._html):
            if body.count(self._greeting) != 1 or self._unsubscribe not in body:
                raise ValueError("cannot personalise the newsletter: its templates changed shape")
        self._domain = _sender_address(sender).domain
        # The skeleton: the same message with one marker per part body, serialised once.
        self._text_marker, self._html_marker = f"vororttext{nonce}", f"vororthtml{nonce}"
        plain, html = [part for part in template.walk() if not part.is_multipart()]
        plain.set_content(self._text_marker, subtype="plain", charset="utf-8", cte="quoted-printable")
        html.set_content(self._html_marker, subtype="html", charset="utf-8", cte="quoted-printable")
        skeleton = template.as_string()
        self._slots = {name: self._fold(name, template[name]) for name in ("To", "Message-ID", "List-Unsubscribe",
                                                                           "Date")}
        self._slots["text"], self._slots["html"] = self._text_marker + "\n", self._html_marker + "\n"
        self._pieces = [skeleton]
        for slot in self._slots.values():  # split the skeleton at each slot, in order of appearance
            if skeleton.count(slot) != 1:
                raise ValueError(f"cannot personalise the newsletter: {slot!r} is not unique in its skeleton")
        order = sorted(self._slots, key=lambda name: skeleton.index(self._slots[name]))
        self._order, self._pieces, rest = order, [], skeleton
        for name in order:
            head, rest = rest.split(self._slots[name], 1)
            self._pieces.append(head)
        self._pieces.append(rest)

    def _fold(self, name: str, value) -> str:
        """The header line as the email package folds it. A short ASCII line that needs no quoting, encoding
        or folding is written directly (what the package would write, at a tenth of the cost: the unit
        tests compare both ways for plain and hard names and links)."""
        plain = plain_header_value(value)
        if plain is not None:
            line = f"{name}: {plain}"
            if len(line) <= (self._policy.max_line_length or 78):
                return line + self._policy.linesep
        return self._policy.header_factory(name, value).fold(policy=self._policy)

    def message(self, recipient_email: str, recipient_name: str | None, unsubscribe_url: str,
                now: datetime) -> tuple[str, str]:
        """(the message as text, its Message-ID) for one recipient."""
        scheme = r"^https?://\S+$" if self._allow_http else r"^https://\S+$"
        if not re.match(scheme, unsubscribe_url or ""):
            raise ValueError("The unsubscribe link must be an https URL.")
        greeting = self._greeting.replace(self._greeting_name, recipient_name) if recipient_name else self._anonymous
        message_id = newsletter_message_id(self._newsletter.id, recipient_email, self._domain)
        values = {
            "To": self._fold("To", Address(display_name=recipient_name or "", addr_spec=recipient_email)),
            "Message-ID": self._fold("Message-ID", message_id),
            "List-Unsubscribe": self._fold("List-Unsubscribe", f"<{unsubscribe_url}>"),
            "Date": self._fold("Date", format_datetime(now)),
            "text": _quoted_printable(self._text.replace(self._greeting, greeting)
                                      .replace(self._unsubscribe, unsubscribe_url)),
            "html": _quoted_printable(self._html.replace(self._greeting, str(escape(greeting)))
                                      .replace(self._unsubscribe, str(escape(unsubscribe_url)))),
        }
        pieces = [self._pieces[0]]
        for name, piece in zip(self._order, self._pieces[1:]):
            pieces += [values[name], piece]
        return "".join(pieces), message_id

    @staticmethod
    def problems(raw: str, recipient_name: str | None) -> list[str]:
        """What `lint_message` could find in one personalised message that it did not find in the first of
        its batch (everything else is the same text): unencoded header bytes, long lines, template syntax."""
        problems = []
        head = raw.split("\n\n", 1)[0]
        if not head.isascii():
            problems.append("a header contains non-ASCII characters that are not encoded")
        if any(len(line) > 998 for line in raw.split("\n")):
            problems.append("a line is longer than 998 bytes")
        if recipient_name and ("{{" in recipient_name or "{%" in recipient_name):
            problems.append("the greeting contains unrendered template syntax")
        return problems


def _quoted_printable(text: str) -> str:
    # As the email package prepares a text part (line ends normalised, one final newline), then encoded.
    data = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    return binascii.b2a_qp(data, istext=True).decode("ascii")


# --------------------------------------------------------------------------------------------------
# Transactional mails
# --------------------------------------------------------------------------------------------------

def confirmation_message(
    recipient_email: str,
    confirm_url: str,
    sender: str,
    *,
    topics: Sequence[str] = (),
    valid_for: timedelta | None = None,
    now: datetime | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> EmailMessage:
    """Double opt-in mail, in the subscriber's language: nothing else is sent to a subscriber until this link
    is followed."""
    if not re.match(r"^https?://\S+$", confirm_url or ""):
        raise ValueError("The confirmation link must be an http(s) URL.")
    seconds = valid_for.total_seconds() if valid_for is not None else None
    language = mail_language(language)
    subject, text, html = _render(
        "confirmation",
        language=language,
        topics=list(topics),
        confirm_url=confirm_url,
        valid_days=int(seconds // 86400) if seconds is not None else None,
        valid_hours=max(int((seconds or 0) // 3600), 1),
        sender_email=_sender_address(sender).addr_spec,
    )
    msg = _build(subject=subject, recipient_email=recipient_email, recipient_name=None, sender=sender, text=text,
                 html=html, now=now, language=language)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
    return msg


def enquiry_ack_message(enquiry: Enquiry, sender: str, *, now: datetime | None = None,
                        language: str = DEFAULT_LANGUAGE) -> EmailMessage:
    """Receipt for an enquiry, in the language of the page it was sent from.

    The enquirer's message is deliberately not quoted: the form is public, and echoing arbitrary text to
    an arbitrary address would turn it into a tool for sending spam in the network's name.
    """
    language = mail_language(language)
    subject, text, html = _render(
        "enquiry_ack",
        language=language,
        name=enquiry.name,
        received=enquiry.created_at,
        sender_email=_sender_address(sender).addr_spec,
    )
    msg = _build(subject=subject, recipient_email=enquiry.email, recipient_name=enquiry.name, sender=sender,
                 text=text, html=html, now=now, language=language)
    msg["Auto-Submitted"] = "auto-replied"
    return msg


def notice_message(
    recipient_email: str,
    recipient_name: str | None,
    subject: str,
    text: str,
    sender: str,
    *,
    now: datetime | None = None,
    language: str = NOTICE_LANGUAGE,
) -> EmailMessage:
    """Wrap a decision notice (``domain.decision_notice``) into a mail; the HTML keeps its paragraphs. The
    letter's own text is the office's; `language` is the frame's (German: ``NOTICE_LANGUAGE``)."""
    paragraphs = [p.splitlines() for p in _paragraphs(text)]
    language = mail_language(language)
    subject, text_part, html = _render(
        "notice",
        language=language,
        subject=subject,
        text=text.strip(),
        paragraphs=paragraphs,
        sender_email=_sender_address(sender).addr_spec,
    )
    return _build(subject=subject, recipient_email=recipient_email, recipient_name=recipient_name,
                  sender=sender, text=text_part, html=html, now=now, language=language)


__all__ = [
    "NOTICE_LANGUAGE",
    "SENDER_DISPLAY_NAME",
    "greeting",
    "sender_address",
    "confirmation_message",
    "enquiry_ack_message",
    "lint_message",
    "newsletter_message",
    "newsletter_message_id",
    "PersonalisedNewsletter",
    "notice_message",
]
