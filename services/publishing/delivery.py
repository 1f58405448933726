"""Sending mail from the worker: newsletters, single mails and decision notices, over SMTP.

The queues
----------
`deliveries` holds one row per recipient of a newsletter, written in the same transaction that moves the
newsletter from scheduled to sending (so a crash leaves either no rows or all of them). `mails` holds single
messages, rendered when they were queued. Both rows go pending -> sending -> sent | failed (| skipped).

The rule for "exactly one delivery per recipient"
-------------------------------------------------
Per row, three steps, each its own transaction:
1. claim: `pending -> sending`, `attempts + 1`, `claimed_by` = this worker's lease key; commit;
2. the SMTP transaction (MAIL, RCPT, DATA); the server accepts with its reply to the final dot;
3. mark: `sending -> sent` with the Message-ID; commit, at once. The same commit claims the next row of
   the batch (step 1 for it), so a message costs one commit; at most one row per worker is `sending`.
A row is never claimed twice while its claimer lives: the claim is a conditional update, and a claim whose
worker is alive is never touched. A row left in `sending` by a worker that died is *ambiguous*; it is put
back to pending and sent again, with the same Message-ID (deterministic per newsletter and recipient):
- a worker killed before step 2 completed never got the server's acceptance, so the resend is the only copy
  (the kill test kills exactly there: while the SMTP server holds its reply to the final dot);
- the remaining window is between the server's 250 reply and the commit of step 3, i.e. one network
  round-trip plus one local commit (about a millisecond; if the database is unreachable just then, the
  worker retries that commit for up to a minute, and the window lasts as long). A crash inside it gives
  that one recipient a second copy with the same Message-ID, which receiving servers and clients can
  recognise as a duplicate.
We chose at-least-once inside that window over at-most-once because a lost decision letter or newsletter
is worse than a recognisable duplicate. A temporary failure (SMTP 4xx, a dropped connection) is retried
with backoff up to `smtp_max_attempts`; a permanent one (5xx) fails the row at once.

Who is alive
------------
On PostgreSQL every worker holds a session-level advisory lock under its lease key for its whole life;
the server releases it the moment the worker's connection dies (a SIGKILL closes the socket). A row in
`sending` whose key holds no lock was abandoned. This is exact and immediate, and lets several workers
send at once. On SQLite (development, one worker) a claim counts as abandoned when another key made it
longer than `claim_lease_s` ago. A worker whose lease connection breaks while it lives (a database
restart) re-acquires a new key; a claim it is sending at that moment could then be resent by another
worker: a second, rarer window of the same kind.
"""
from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_string
from email import policy as email_policy
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, and_, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from services.publishing import domain
from services.publishing.db import deliveries, mails, notices
from services.publishing.directory import DirectoryUnavailable
from services.publishing.handlers import SOURCE, queue_mail, recipients_of, render_newsletter, unsubscribe_url
from services.publishing.mail import PersonalisedNewsletter, lint_message, notice_message, sender_address
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import make_event

log = logging.getLogger(__name__)

ADVISORY_NAMESPACE = 0x7075626C  # "publ": the first key of our two-key advisory locks
RUN_BUDGET_S = 5.0  # a periodic run returns after this long, so that the worker stops promptly
NOTICE_LOOKUP_RETRY_S = 5.0
MARK_SENT_PATIENCE_S = 60.0
MAX_BACKOFF = timedelta(hours=1)
NEWSLETTER_BATCH = 50  # messages built ahead of sending: a run that meets its deadline wastes at most these


# --- throttling ----------------------------------------------------------------------------------
class Throttle:
    """At most `rate` sends per second across every sending thread of the worker (0: no limit)."""

    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


# --- SMTP ----------------------------------------------------------------------------------------
class SendFailure(Exception):
    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class SmtpEndpoint:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpEndpoint:
        parts = urlsplit(url)
        default_port = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        return cls(scheme=parts.scheme, host=parts.hostname or "127.0.0.1", port=parts.port or default_port,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)


class SmtpTransport:
    """One SMTP session, opened on first use and reused for the following messages; not thread-safe."""

    def __init__(self, url: str, timeout_s: float = 30.0, connector: Callable[[], smtplib.SMTP] | None = None):
        self.endpoint = SmtpEndpoint.parse(url)
        self.timeout_s = timeout_s
        self._connector = connector or self._connect
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        connection: smtplib.SMTP
        if endpoint.scheme == "smtps":
            connection = smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=self.timeout_s,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(endpoint.host, endpoint.port, timeout=self.timeout_s)
            if endpoint.scheme == "smtp+starttls":
                connection.starttls(context=ssl.create_default_context())
        connection.ehlo_or_helo_if_needed()
        if endpoint.username:
            connection.login(endpoint.username, endpoint.password or "")
        return connection

    def send(self, envelope_from: str, recipient: str, message: str) -> None:
        """Returns once the server accepted the message; raises SendFailure otherwise."""
        try:
            if self._connection is None:
                self._connection = self._connector()
            self._connection.sendmail(envelope_from, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise SendFailure(f"recipient refused: {code} {_text(reply)}", temporary=400 <= code < 500) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise SendFailure(f"refused: {error.smtp_code} {_text(error.smtp_error)}",
                              temporary=400 <= error.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as error:
            # Connection, TLS, login or a dropped session: nothing says the message was refused, so retry it.
            self.close()
            raise SendFailure(f"SMTP session failed: {error.__class__.__name__}: {error}", temporary=True) from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


# --- who is alive --------------------------------------------------------------------------------
class ClaimLease:
    """This worker's key for claims, and the test whether another key's worker is still alive."""

    def __init__(self, engine, lease_s: float = 300.0):
        self.engine = engine
        self.lease_s = lease_s
        self.postgres = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self.key = 0  # acquired on the first `ensure()`, so that building a worker opens no connection

    def _acquire(self) -> None:
        if not self.postgres:
            self.key = secrets.randbelow(2**31 - 2) + 1
            return
        while True:
            key = secrets.randbelow(2**31 - 2) + 1
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                     {"ns": ADVISORY_NAMESPACE, "key": key}).scalar()
            connection.commit()  # the lock is the session's, not the transaction's: no transaction stays open
            if got:
                self._connection, self.key = connection, key
                return
            connection.close()

    def ensure(self) -> None:
        """Before a run: hold a key, and on PostgreSQL make sure its lock is still held (a restart drops it)."""
        with self._lock:
            if not self.key:
                self._acquire()
                return
            if not self.postgres:
                return
            connection = self._connection
            assert connection is not None  # on PostgreSQL a key comes with the connection that holds its lock
            try:
                connection.execute(text("SELECT 1"))
                connection.commit()
            except Exception:  # noqa: BLE001 - whatever broke, a fresh session and key fix it
                log.warning("claim lease lost; acquiring a new one")
                try:
                    connection.invalidate()
                except Exception:  # noqa: BLE001
                    pass
                self._acquire()

    def abandoned(self, table, now: datetime):
        """SQL condition: the row's claim belongs to a worker that is gone."""
        if self.postgres:
            return text(
                f"{table.name}.claimed_by NOT IN (SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :lease_ns AND objsubid = 2 AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
            ).bindparams(lease_ns=ADVISORY_NAMESPACE)
        return and_(table.c.claimed_by != self.key, table.c.claimed_at < now - timedelta(seconds=self.lease_s))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# --- one queue -----------------------------------------------------------------------------------
class SendingQueue:
    """Claim, mark and recover rows of one queue table; every step is its own short transaction.

    Inside `connected()` the steps share one connection (a sender makes two commits per message; taking
    a pooled connection, with its liveness ping, for each would cost as much as the commits themselves).
    """

    def __init__(self, engine, table, lease: ClaimLease, settings: PublishingSettings):
        self.engine = engine
        self.table = table
        self.lease = lease
        self.settings = settings
        self._local = threading.local()

    @contextmanager
    def connected(self):
        with self.engine.connect() as connection:
            self._local.connection = connection
            try:
                yield
            finally:
                self._local.connection = None

    @contextmanager
    def _transaction(self, fresh: bool = False):
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            with self.engine.begin() as fresh:
                yield fresh
        else:
            with connection.begin():
                yield connection

    def recover(self, scope, now: datetime) -> int:
        table = self.table
        with self._transaction() as connection:
            result = connection.execute(update(table).where(
                scope, table.c.status == "sending", self.lease.abandoned(table, now)).values(
                status="pending", claimed_by=None, next_attempt_at=now,
                last_error="claimed by a worker that stopped before recording the outcome; sent again"))
        if result.rowcount:
            log.warning("resending abandoned claims", extra={"queue": table.name, "rows": result.rowcount})
        return result.rowcount

    def due(self, scope, now: datetime, limit: int, *columns):
        table = self.table
        with self._transaction() as connection:
            return connection.execute(select(table.c.id, table.c.attempts, *columns).where(
                scope, table.c.status == "pending", table.c.next_attempt_at <= now)
                .order_by(table.c.id).limit(limit)).all()

    def claim(self, row_id: int, now: datetime) -> bool:
        with self._transaction() as connection:
            return self._claim(connection, row_id, now)

    def _claim(self, connection, row_id: int, now: datetime) -> bool:
        table = self.table
        # A row this worker claimed already counts too: a retried commit may have committed the first time.
        return connection.execute(update(table).where(
            table.c.id == row_id, or_(table.c.status == "pending",
                                      and_(table.c.status == "sending", table.c.claimed_by == self.lease.key)))
            .values(status="sending", attempts=table.c.attempts + 1, claimed_by=self.lease.key,
                    claimed_at=now)).rowcount == 1

    def mark_sent(self, row_id: int, now: datetime, message_id: str | None, *, claim_next: int | None = None) -> bool:
        """Record an accepted message, and claim the next row in the same commit (one commit per message
        instead of two; the claimed row is the next to go out, so `sending` still means "in flight or about
        to be"). Returns whether the next row was claimed. The server has this message already, so a
        database hiccup here must not leave the row claimed (a restart would send it again): the commit is
        retried on fresh connections."""
        table = self.table
        retrying = Retrying(stop=stop_after_delay(MARK_SENT_PATIENCE_S), reraise=True,
                            wait=wait_exponential(multiplier=0.2, max=5), retry=retry_if_exception_type(DBAPIError))
        for attempt in retrying:
            with attempt, self._transaction(fresh=attempt.retry_state.attempt_number > 1) as connection:
                # last_error stays: "sent after a 451" or "sent again after a crash" is worth seeing.
                connection.execute(update(table).where(table.c.id == row_id).values(
                    status="sent", sent_at=now, message_id=message_id))
                self.after_outcome(connection, row_id, "sent", now, None)
                claimed = claim_next is not None and self._claim(connection, claim_next, now)
        return claimed

    def mark_failure(self, row_id: int, attempts: int, failure: SendFailure, now: datetime) -> None:
        table = self.table
        final = not failure.temporary or attempts >= self.settings.smtp_max_attempts
        values: dict[str, object] = {"last_error": str(failure)[:2000], "claimed_by": None}
        if final:
            values["status"] = "failed"
        else:
            delay = timedelta(seconds=self.settings.smtp_retry_base_s * 2 ** (attempts - 1))
            values.update(status="pending", next_attempt_at=now + min(delay, MAX_BACKOFF))
        with self._transaction() as connection:
            connection.execute(update(table).where(table.c.id == row_id).values(**values))
            if final:
                self.after_outcome(connection, row_id, "failed", now, str(failure))
        log.warning("send failed", extra={"queue": table.name, "row": row_id, "attempt": attempts,
                                           "final": final, "error": str(failure)[:500]})

    def skip(self, row_id: int, reason: str) -> None:
        table = self.table
        with self._transaction() as connection:
            connection.execute(update(table).where(table.c.id == row_id, table.c.status == "pending").values(
                status="skipped", last_error=reason))

    def after_outcome(self, connection, row_id: int, status: str, now: datetime, error: str | None) -> None:
        """Hook: a decision notice follows the state of its mail."""
        if self.table is not mails:
            return
        notice_id = connection.execute(select(mails.c.notice_id).where(mails.c.id == row_id)).scalar()
        if notice_id:
            connection.execute(update(notices).where(notices.c.id == notice_id).values(
                status=status, sent_at=now if status == "sent" else None, last_error=error))


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
            row = uow.newsletters.row(newsletter_id, for_update=True)
            newsletter = uow.newsletters.get(newsletter_id)
            now = self.clock()
            if row is None or row.status != "scheduled" or (row.send_at and row.send_at > now):
                return  # another worker started it, or it was rescheduled meanwhile
            sending = domain.start_sending(newsletter, now)
            recipients = recipients_of(uow, dict(newsletter.segment))
            uow.newsletters.materialise(newsletter_id, recipients, now)
            uow.newsletters.save(sending, started_at=now)
            uow.commit()
        log.info("newsletter sending started", extra={"newsletter_id": newsletter_id, "recipients": len(recipients)})

    def _send_newsletter(self, newsletter_id: str, scope, transport: SmtpTransport, deadline: float) -> int:
        """Send the due deliveries of one newsletter. The newsletter is rendered once; per recipient only the
        personal part (greeting, unsubscribe link, To, Message-ID) is filled in. The first message of each
        batch is built and linted the ordinary way; the others differ from it only in what
        `PersonalisedNewsletter.problems` checks."""
        with self.uow_factory() as uow:
            newsletter = uow.newsletters.get(newsletter_id)
            publications = uow.publications.by_ids(newsletter.publication_ids)
        once = PersonalisedNewsletter(newsletter, publications, self.settings.sender, base_url=self.settings.base_url,
                                      allow_http_unsubscribe=self.settings.allows_http_links)
        sent = 0
        while time.monotonic() < deadline:
            batch = self.deliveries.due(scope, self.clock(), NEWSLETTER_BATCH, deliveries.c.email,
                                        deliveries.c.email_key, deliveries.c.name)
            if not batch:
                break
            with self.uow_factory() as uow:
                suppressed = uow.suppressions.keys()
            now = self.clock()
            outgoing: list[Outgoing] = []
            for row in batch:
                if row.email_key in suppressed:  # unsubscribed after the newsletter started
                    self.deliveries.skip(row.id, "unsubscribed before this newsletter reached the address")
                    continue
                url = unsubscribe_url(self.settings, row.email, now)
                if not outgoing:  # the batch's first message: built and linted the ordinary way
                    message = render_newsletter(self.settings, newsletter, publications, row.email, row.name, now)
                    problems = lint_message(message, bulk=True,
                                            allow_http_unsubscribe=self.settings.allows_http_links)
                    outgoing.append(Outgoing(row, row.email, message.as_string(), str(message["Message-ID"]),
                                             problems))
                    continue
                raw, message_id = once.message(row.email, row.name or None, url, now)
                outgoing.append(Outgoing(row, row.email, raw, message_id, once.problems(raw, row.name)))
            sent += self._deliver_all(self.deliveries, outgoing, transport, deadline)
        return sent

    def _complete_if_done(self, newsletter_id: str) -> None:
        with self.uow_factory() as uow:
            row = uow.newsletters.row(newsletter_id, for_update=True)
            if row is None or row.status != "sending":
                return
            progress = uow.newsletters.progress(newsletter_id)
            if progress["pending"] or progress["sending"]:
                return
            now = self.clock()
            done = domain.mark_sent(uow.newsletters.get(newsletter_id), now, progress)
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
                        message = message_from_string(row.message, policy=email_policy.default)
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
