"""The portal's mails: composed from templates (plain text and HTML) in the recipient's language, queued in
the `mails` table under a key, sent by the worker over SMTP.

Languages: `templates/mail/<language>/<template>.txt|.html`, one folder per language (`de`, `en`), each mail
written out whole as its reader sees it; the HTML frame `templates/mail/_layout.html` is shared (its `lang`
is the language's, its footer the language's `_footer.html`). `render(template, language=...)` is the one path for
every language, the platform's (shared.mail_templates, which publishing's mails use too): it picks the folder; the
text's first line is the subject, after the language's word for it (`Betreff:`, `Subject:`); times are formatted
by the templates' `time` filter the way the language writes them. Who reads
which language is decided by the caller (docs/architecture.md, "Mails"): a person's preference
(`people.language`), a guest's page language at registration (`guest_registrations.language`), German for
the office. tests/unit/portal/test_portal_mail_language.py checks that every German template has an English
counterpart with the same placeholders.

Exactly once in effect: a mail's key names the fact it reports (`signin:<link hash>`,
`registration:<id>:confirmed`, `workshop:<event id>:<registration id>` ...); queuing the same key again
is a no-op, so a retried request or a redelivered event never mails twice. The sender marks a mail sent
only after the SMTP server accepted it; a crash in between sends it again (the one remaining window).
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from services.portal.db import mails
from shared.mail_templates import DEFAULT_LANGUAGE, LANGUAGES, SUBJECT_WORD, MailTemplates, mail_language, mail_time

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates" / "mail"
MAX_ATTEMPTS = 8
OFFICE_LANGUAGE = "de"   # the office works in German, whatever the sender's language

_TEMPLATES = MailTemplates(TEMPLATES)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    mimetype: str = "text/calendar"


def render(template: str, *, language: str, **context) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of `templates/mail/<language>/<template>.txt|.html` (shared.mail_templates)."""
    return _TEMPLATES.render(template, language=language, **context)


def queue(connection: Connection, *, key: str, kind: str, recipient: str, template: str, now: datetime,
          language: str, attachment: Attachment | None = None, **context) -> bool:
    """Queue a mail once per key, in `language`; False when a mail with this key was queued before."""
    exists = connection.execute(select(mails.c.id).where(mails.c.key == key)).first()
    if exists:
        return False
    language = mail_language(language)
    subject, text, html = render(template, language=language, **context)
    # A concurrent writer of the same key fails on the unique key and its transaction rolls back whole.
    connection.execute(insert(mails).values(
        key=key, kind=kind, recipient=recipient, language=language, subject=subject, text_body=text, html_body=html,
        attachment_name=attachment.filename if attachment else None,
        attachment=attachment.content if attachment else None, created_at=now, attempts=0))
    return True


def message_of(row, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = row.recipient
    message["Message-ID"] = make_msgid(domain="netzwerk-vor-ort.invalid")
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    if row.attachment:
        message.add_attachment(row.attachment.encode(), maintype="text", subtype="calendar",
                               filename=row.attachment_name or "termin.ics")
    message["Content-Language"] = row.language  # after the content: set_content() drops Content-* headers
    return message


class MailSender:
    """Sends queued mails, oldest first. On PostgreSQL rows are claimed with SKIP LOCKED, so two
    workers never send the same mail."""

    def __init__(self, engine: Engine, smtp_url: str, sender: str, clock):
        self.engine = engine
        parts = urlsplit(smtp_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 25
        self.sender = sender
        self.clock = clock

    def send_pending(self, limit: int = 50) -> int:
        sent = 0
        for _ in range(limit):
            outcome = self._send_one()
            if outcome is None:
                break
            sent += outcome
        return sent

    def _send_one(self) -> int | None:
        with self.engine.begin() as connection:
            query = (select(mails).where(mails.c.sent_at.is_(None), mails.c.attempts < MAX_ATTEMPTS)
                     .order_by(mails.c.attempts, mails.c.id).limit(1))
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = connection.execute(query).first()
            if row is None:
                return None
            try:
                with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                    smtp.send_message(message_of(row, self.sender))
            except (smtplib.SMTPException, OSError) as error:
                log.warning("mail not sent", extra={"mail_id": row.id, "error": str(error)})
                connection.execute(update(mails).where(mails.c.id == row.id).values(
                    attempts=row.attempts + 1, last_error=str(error)[:1000]))
                return 0
            connection.execute(update(mails).where(mails.c.id == row.id).values(
                sent_at=self.clock(), attempts=row.attempts + 1, last_error=None))
            return 1


def default_sender() -> str:
    return formataddr(("Netzwerk vor Ort", "portal@innenstadt-nrw.de"))


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "MAX_ATTEMPTS", "OFFICE_LANGUAGE", "SUBJECT_WORD", "TEMPLATES", "Attachment",
           "MailSender", "default_sender", "mail_language", "mail_time", "message_of", "queue", "render"]
