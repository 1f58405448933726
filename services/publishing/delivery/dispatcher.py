"""The worker's jobs: build the messages of newsletters and notices and send them in turn."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_string
from typing import Any

from services.publishing import domain
from services.publishing.db import deliveries, mails
from services.publishing.delivery.pacing import NEWSLETTER_BATCH, NOTICE_LOOKUP_RETRY_S, RUN_BUDGET_S, Throttle, log
from services.publishing.delivery.queue import ClaimLease, SendingQueue
from services.publishing.delivery.smtp import SendFailure, SmtpTransport
from services.publishing.directory import DirectoryUnavailable
from services.publishing.handlers import SOURCE, queue_mail, recipients_of, render_newsletter, unsubscribe_url
from services.publishing.mail import MAIL_POLICY, PersonalisedNewsletter, lint_message, notice_message, sender_address
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import make_event


# --- the worker's jobs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """One message ready to go: its queue row, the SMTP recipient, the text, its Message-ID, lint problems."""
    row: Any  # the queue's row (id, attempts, ...)
    recipient: str
    message: str
    message_id: str
    problems: list


class Dispatcher:
    """The periodic jobs of the worker: start due newsletters and send them, send single mails, write letters.

    `transport_factory`, `directory` and `clock` are the bootstrap seams: tests pass fakes or a local SMTP
    server's address.
    """

    def __init__(self, *, engine, uow_factory, settings: PublishingSettings, directory,
                 clock: Callable[[], datetime], transport_factory: Callable[[], SmtpTransport] | None = None,
                 throttle: Throttle | None = None, lease: ClaimLease | None = None):
        self.engine = engine
        self.uow_factory = uow_factory
        self.settings = settings
        self.directory = directory
        self.clock = clock
        self.transport_factory = transport_factory or (
            lambda: SmtpTransport(settings.smtp_url, settings.smtp_timeout_s))
        self.throttle = throttle or Throttle(settings.smtp_rate_per_second)
        self.lease = lease or ClaimLease(engine, settings.claim_lease_s)
        self.deliveries = SendingQueue(engine, deliveries, self.lease, settings)
        self.mails = SendingQueue(engine, mails, self.lease, settings)
        self.envelope_from = sender_address(settings.sender).addr_spec

    # --- newsletters ---------------------------------------------------------------------------------
    def run_newsletters(self) -> int:
        """One run: start every due newsletter, then send for at most RUN_BUDGET_S; returns mails sent."""
        self.lease.ensure()
        for newsletter_id in self._due_newsletters():
            self._start(newsletter_id)
        deadline = time.monotonic() + RUN_BUDGET_S
        transport = self.transport_factory()
        sent = 0
        try:
            for newsletter_id in self._newsletters_in_progress():
                scope = deliveries.c.newsletter_id == newsletter_id
                with self.deliveries.connected():
                    self.deliveries.recover(scope, self.clock())
                    sent += self._send_newsletter(newsletter_id, scope, transport, deadline)
                self._complete_if_done(newsletter_id)
                if time.monotonic() >= deadline:
                    break
        finally:
            transport.close()
        return sent

    def _due_newsletters(self) -> list[str]:
        with self.uow_factory() as uow:
            return uow.newsletters.due(self.clock())

    def _newsletters_in_progress(self) -> list[str]:
        with self.uow_factory() as uow:
            return uow.newsletters.in_progress()

    def _start(self, newsletter_id: str) -> None:
        """Scheduled -> sending, with one delivery row per recipient, in one transaction."""
        with self.uow_factory() as uow:
            newsletter = uow.newsletters.get(newsletter_id, for_update=True)
            now = self.clock()
            if newsletter is None or newsletter.status != "scheduled" or (newsletter.send_at and newsletter.send_at > now):
                return  # another worker started it, or it was rescheduled meanwhile
            sending = domain.start_sending(newsletter, now)
            recipients = recipients_of(uow, dict(newsletter.segment))
            uow.newsletters.materialise(newsletter_id, recipients, now, languages=uow.subscribers.languages())
            uow.newsletters.save(sending)
            uow.commit()
        log.info("newsletter sending started", extra={"newsletter_id": newsletter_id, "recipients": len(recipients)})

    def _send_newsletter(self, newsletter_id: str, scope, transport: SmtpTransport, deadline: float) -> int:
        """Send the due deliveries of one newsletter. The newsletter is rendered once per language its
        recipients read (when the first of them comes up); per recipient only the personal part (greeting,
        unsubscribe link, To, Message-ID) is filled in. The first message of each language in each batch is
        built and linted the ordinary way; the others differ from it only in what
        `PersonalisedNewsletter.problems` checks."""
        with self.uow_factory() as uow:
            newsletter = uow.newsletters.get(newsletter_id)
            publications = uow.publications.by_ids(newsletter.publication_ids)
        rendered: dict[str, PersonalisedNewsletter] = {}
        sent = 0
        while time.monotonic() < deadline:
            batch = self.deliveries.due(scope, self.clock(), NEWSLETTER_BATCH, deliveries.c.email,
                                        deliveries.c.email_key, deliveries.c.name, deliveries.c.language)
            if not batch:
                break
            with self.uow_factory() as uow:
                suppressed = uow.suppressions.keys()
            now = self.clock()
            outgoing: list[Outgoing] = []
            linted: set[str] = set()
            for row in batch:
                if row.email_key in suppressed:  # unsubscribed after the newsletter started
                    self.deliveries.skip(row.id, "unsubscribed before this newsletter reached the address")
                    continue
                url = unsubscribe_url(self.settings, row.email, now)
                if row.language not in linted:  # the batch's first message in a language: built the ordinary way
                    linted.add(row.language)
                    message = render_newsletter(self.settings, newsletter, publications, row.email, row.name, now,
                                                language=row.language)
                    problems = lint_message(message, bulk=True,
                                            allow_http_unsubscribe=self.settings.allows_http_links)
                    outgoing.append(Outgoing(row, row.email, message.as_string(), str(message["Message-ID"]),
                                             problems))
                    continue
                once = rendered.get(row.language) or rendered.setdefault(row.language, PersonalisedNewsletter(
                    newsletter, publications, self.settings.sender, base_url=self.settings.base_url,
                    allow_http_unsubscribe=self.settings.allows_http_links, language=row.language))
                raw, message_id = once.message(row.email, row.name or None, url, now)
                outgoing.append(Outgoing(row, row.email, raw, message_id, once.problems(raw, row.name)))
            sent += self._deliver_all(self.deliveries, outgoing, transport, deadline)
        return sent

    def _complete_if_done(self, newsletter_id: str) -> None:
        with self.uow_factory() as uow:
            newsletter = uow.newsletters.get(newsletter_id, for_update=True)
            if newsletter is None or newsletter.status != "sending":
                return
            progress = uow.newsletters.progress(newsletter_id)
            if progress["pending"] or progress["sending"]:
                return
            now = self.clock()
            done = domain.mark_sent(newsletter, now, progress)
            uow.newsletters.save(done)
            uow.emit(make_event("NewsletterSent", domain.newsletter_sent_payload(done, progress), source=SOURCE))
            uow.commit()
        log.info("newsletter sent", extra={"newsletter_id": newsletter_id, **progress})

    # --- single mails --------------------------------------------------------------------------------
    def run_mails(self) -> int:
        """One run: send the queued single mails for at most RUN_BUDGET_S; returns mails sent."""
        self.lease.ensure()
        deadline = time.monotonic() + RUN_BUDGET_S
        scope = mails.c.id.is_not(None)
        transport = self.transport_factory()
        sent = 0
        try:
            with self.mails.connected():
                self.mails.recover(scope, self.clock())
                while time.monotonic() < deadline:
                    batch = self.mails.due(scope, self.clock(), 50, mails.c.recipient, mails.c.message,
                                           mails.c.kind)
                    if not batch:
                        break
                    outgoing = []
                    for row in batch:
                        message = message_from_string(row.message, policy=MAIL_POLICY)
                        problems = lint_message(message, bulk=row.kind == "newsletter_test",
                                                allow_http_unsubscribe=self.settings.allows_http_links)
                        outgoing.append(Outgoing(row, row.recipient, message.as_string(), str(message["Message-ID"]),
                                                 problems))
                    sent += self._deliver_all(self.mails, outgoing, transport, deadline)
        finally:
            transport.close()
        return sent

    def _deliver_all(self, queue: SendingQueue, outgoing: list[Outgoing], transport: SmtpTransport,
                     deadline: float) -> int:
        """Claim, send and mark each message in turn: claim (commit), SMTP, mark sent (commit, at once). The
        mark of one message claims the next in the same commit, while the deadline allows it; a message
        claimed that way is always sent. Returns how many were accepted."""
        sent, claimed = 0, None
        for index, item in enumerate(outgoing):
            if claimed != item.row.id:
                if time.monotonic() >= deadline:
                    break
                self.throttle.wait()
                if not queue.claim(item.row.id, self.clock()):
                    continue  # another worker has it
            else:
                self.throttle.wait()
            claimed = None
            attempts = item.row.attempts + 1
            if item.problems:
                queue.mark_failure(item.row.id, attempts, SendFailure(
                    "not sent, the message is faulty: " + "; ".join(item.problems), temporary=False), self.clock())
                continue
            try:
                transport.send(self.envelope_from, item.recipient, item.message)
            except SendFailure as failure:
                queue.mark_failure(item.row.id, attempts, failure, self.clock())
                continue
            following = outgoing[index + 1] if index + 1 < len(outgoing) else None
            chain = following is not None and not following.problems and time.monotonic() < deadline
            next_id = following.row.id if following is not None and chain else None
            if queue.mark_sent(item.row.id, self.clock(), item.message_id, claim_next=next_id):
                claimed = next_id
            sent += 1
        return sent

    # --- decision notices ----------------------------------------------------------------------------
    def run_notices(self) -> int:
        """Write approved letters: ask for the contact (HTTP, outside any transaction), then queue the mail."""
        now = self.clock()
        with self.uow_factory() as uow:
            due = uow.notices.due_for_lookup(now)
        written = 0
        for notice_id in due:
            with self.uow_factory() as uow:
                notice = uow.notices.get(notice_id)
            if notice is None or notice.status != "approved":
                continue
            try:
                if notice.kind == "workshop_cancelled":
                    contact = self.directory.registrant(notice.workshop_id, notice.registration_id)
                else:
                    contact = self.directory.contact(notice.application_id)
            except DirectoryUnavailable as error:
                delay = min(NOTICE_LOOKUP_RETRY_S * 2 ** notice.lookup_attempts, 600.0)
                with self.uow_factory() as uow:
                    uow.notices.update(notice_id, lookup_attempts=notice.lookup_attempts + 1,
                                       next_lookup_at=self.clock() + timedelta(seconds=delay),
                                       last_error=f"contact lookup failed, retrying: {error}"[:2000])
                    uow.commit()
                continue
            written += self._write_notice(notice_id, contact)
        return written

    def _write_notice(self, notice_id: str, contact) -> int:
        with self.uow_factory() as uow:
            notice = uow.notices.get(notice_id, for_update=True)
            if notice is None or notice.status != "approved":
                return 0  # discarded while we asked
            if contact is None:
                nobody = ("The registration is gone or erased" if notice.kind == "workshop_cancelled"
                          else "The application has no contact person (any more)")
                uow.notices.update(notice_id, status="failed", last_error=f"{nobody}; nobody to write to.")
                uow.commit()
                return 0
            now = self.clock()
            subject, text_ = domain.decision_notice(
                notice.kind, notice.municipality_name, contact.name, notice.call_title, notice.body_template,
                subject_template=notice.subject_template, selected_municipalities=notice.workshop_places or (),
                workshop=notice.workshop)
            message = notice_message(contact.email, contact.name or None, subject, text_, self.settings.sender,
                                     now=now)
            mail_id = queue_mail(uow, "notice", message, now, notice_id=notice_id)
            uow.notices.update(notice_id, status="queued", recipient_email=contact.email,
                               recipient_name=contact.name or None, mail_id=mail_id, last_error=None)
            uow.commit()
            return 1

    def close(self) -> None:
        self.lease.close()
