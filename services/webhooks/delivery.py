"""The dispatcher: due deliveries -> signed HTTP POSTs -> recorded outcomes. Runs in the worker.

Guarantees, and how they are kept:
- **At least once, same webhook-id.** A batch of due deliveries is claimed in one short transaction by
  moving `next_attempt_at` forward by a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that several
  workers share the work); the requests go out with no transaction open; the outcomes are recorded in a
  second transaction. A worker that dies in between leaves its claims to expire: they are sent again, with
  the same webhook-id, so the receiver can tell. No delivery row is ever created here, so none twice.
- **No per-endpoint order.** Deliveries go out concurrently (`WEBHOOKS_CONCURRENCY`), and a retried one
  arrives after later ones; receivers order by the event's `time` if they need to.
- **Only public addresses** (egress.py), checked at every attempt, and the connection goes to the address
  that was checked; redirects are never followed; each attempt has `WEBHOOKS_TIMEOUT_SECONDS`.
- **Small logs.** Only the first KiB of a receiver's answer is read and kept.
"""
from __future__ import annotations

import email.utils
import logging
import random
import smtplib
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx

from services.webhooks.domain import RESPONSE_BODY_LIMIT, AttemptResult
from services.webhooks.egress import EgressRefused
from services.webhooks.settings import WebhooksSettings
from services.webhooks.signing import webhook_headers
from shared.bus import system_clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    delivery_id: str
    url: str
    body: str
    secrets: list
    signing_key: str | None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max((moment - now).total_seconds(), 0.0)


THREAD_CONNECTIONS = 4  # keep-alive connections per sending thread (to as many receivers)


class Dispatcher:
    def __init__(self, uow_factory, settings: WebhooksSettings, *, clock=system_clock, rng=None, transport=None):
        self.uow_factory = uow_factory
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()
        # Requests go straight to the connection pool (httpx's transport), not through an httpx.Client: a
        # webhook follows no redirect, takes no proxy from the environment and keeps no cookie (a receiver's
        # cookie must not ride along to the next endpoint on its host), which is the Client's work per request.
        # Each sending thread has a pool of its own: one pool shared by 16 threads costs more in its lock and
        # its search for a free connection than the request itself (bench row 22: 555 against 900 a second).
        self._shared_transport = transport
        self._local = threading.local()
        self._transports: list[httpx.BaseTransport] = []
        self._transports_lock = threading.Lock()
        self.timeouts = httpx.Timeout(settings.timeout_s).as_dict()
        self.pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="webhook-send")

    @property
    def transport(self) -> httpx.BaseTransport:
        """This thread's connection pool (or the one given, for tests)."""
        if self._shared_transport is not None:
            return self._shared_transport
        transport = getattr(self._local, "transport", None)
        if transport is None:
            transport = self._local.transport = httpx.HTTPTransport(
                limits=httpx.Limits(max_connections=THREAD_CONNECTIONS, max_keepalive_connections=THREAD_CONNECTIONS))
            with self._transports_lock:
                self._transports.append(transport)
        return transport

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        with self._transports_lock:
            transports, self._transports = self._transports, []
        for transport in transports + ([self._shared_transport] if self._shared_transport else []):
            transport.close()

    # --- one attempt ---------------------------------------------------------------------------------
    def send(self, job: Job) -> AttemptResult:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            target = self.settings.egress.resolve(job.url)
        except EgressRefused as refused:
            return AttemptResult(None, elapsed(), error=f"refused: {refused}")
        except Exception as error:  # noqa: BLE001 - e.g. a URL that cannot be parsed any more
            return AttemptResult(None, elapsed(), error=f"refused: {error!r}")
        url = httpx.URL(job.url)
        headers = webhook_headers(message_id=job.delivery_id, timestamp=int(self.clock().timestamp()),
                                  body=job.body, secrets=job.secrets, signing_key=job.signing_key)
        headers["host"] = url.netloc.decode("ascii")
        extensions: dict[str, object] = {"timeout": self.timeouts}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        try:
            request = httpx.Request("POST", url.copy_with(host=target.address), content=job.body.encode(),
                                    headers=headers, extensions=extensions)
            with closing(self.transport.handle_request(request)) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= RESPONSE_BODY_LIMIT:
                        break
                text = body[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")
                refusal = None
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    refusal = f"redirect to {location[:300]!r} not followed: register the final URL"
                retry_after = None
                if response.status_code == 429 or response.status_code >= 500:
                    retry_after = retry_after_seconds(response.headers.get("retry-after"), self.clock())
                return AttemptResult(response.status_code, elapsed(), text or None, refusal, retry_after)
        except httpx.TimeoutException:
            return AttemptResult(None, elapsed(), error=f"timed out after {self.settings.timeout_s:g} s")
        except httpx.HTTPError as error:
            return AttemptResult(None, elapsed(), error=f"{type(error).__name__}: {error}"[:500])

    # --- a batch -------------------------------------------------------------------------------------
    def _claim(self) -> list[Job]:
        now = self.clock()
        lease_until = datetime.fromtimestamp(now.timestamp() + self.settings.lease_s, tz=timezone.utc)
        with self.uow_factory() as uow:
            ids = uow.deliveries.claim_due(now, lease_until, self.settings.batch_size)
            if not ids:
                uow.commit()
                return []
            jobs = []
            endpoints: dict = {}
            for row in uow.deliveries.payloads(ids):
                endpoint = endpoints.get(row.endpoint_id)
                if endpoint is None:
                    endpoint = endpoints[row.endpoint_id] = uow.endpoints.get(row.endpoint_id)
                jobs.append(Job(row.id, endpoint.url, row.payload, endpoint.signing_secrets(now),
                                endpoint.signing_key))
            uow.commit()
        return jobs

    def _record(self, jobs: list[Job], results: list[AttemptResult]) -> None:
        now = self.clock()
        outcome = dict(zip((job.delivery_id for job in jobs), results))
        with self.uow_factory() as uow:
            found = uow.deliveries.states_for_update(list(outcome))
            endpoint_ids = sorted({d.endpoint_id for d in found})
            endpoints = {eid: uow.endpoints.get(eid, for_update=True) for eid in endpoint_ids}
            attempts, recorded = [], set()
            for delivery in sorted(found, key=lambda d: d.id):
                result = outcome[delivery.id]
                if delivery.status != "pending":
                    continue  # replayed or recorded meanwhile by a worker that took over the lease
                delivery.record(result, now, self.settings.retry, self.rng)
                recorded.add(delivery.id)
                attempts.append({"delivery_id": delivery.id, "attempted_at": now, "latency_ms": result.latency_ms,
                                 "response_code": result.status_code, "error": result.error,
                                 "response_body": (result.response_body or "")[:RESPONSE_BODY_LIMIT] or None})
                endpoint = endpoints[delivery.endpoint_id]
                if result.succeeded:
                    endpoint.record_success(now)
                elif result.gone:
                    if endpoint.status != "disabled":
                        endpoint.disable("The receiver answered 410 Gone.", now)
                        self._notice(uow, endpoint, now)
                elif endpoint.record_failure(now, self.settings.disable_after):
                    self._notice(uow, endpoint, now)
            uow.deliveries.save_states([d for d in found if d.id in recorded])
            uow.deliveries.log_attempts(attempts)
            uow.commit()

    @staticmethod
    def _notice(uow, endpoint, now) -> None:
        uow.notices.add(endpoint_id=endpoint.id, recipient=endpoint.contact_email, created_at=now,
                        subject="Webhook-Endpunkt deaktiviert",
                        body=disabled_mail_body(endpoint))

    def run_once(self) -> int:
        jobs = self._claim()
        if jobs:
            results = list(self.pool.map(self.send, jobs))
            self._record(jobs, results)
        return len(jobs)

    def run(self, stop: threading.Event) -> None:
        """Like `run_once` in a loop, with one batch's outcomes recorded while the next batch is sent. A
        recording that fails leaves its deliveries claimed: they go out again when their lease ends."""
        recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-record")
        recording: Future | None = None
        while not stop.is_set():
            try:
                jobs = self._claim()
                results = list(self.pool.map(self.send, jobs)) if jobs else []
                if recording is not None:
                    previous = recording
                    recording = None
                    previous.result()
                if jobs:
                    recording = recorder.submit(self._record, jobs, results)
                else:
                    stop.wait(self.settings.idle_poll_s)
            except Exception:  # noqa: BLE001 - keep the worker alive; the database may be restarting
                log.exception("dispatcher error")
                stop.wait(1.0)
        if recording is not None:
            try:
                recording.result()
            except Exception:  # noqa: BLE001
                log.exception("dispatcher error")
        recorder.shutdown(wait=True)
        self.close()


def disabled_mail_body(endpoint) -> str:
    return (
        "Guten Tag,\n\n"
        f"der Webhook-Endpunkt {endpoint.url} ({endpoint.description or 'ohne Beschreibung'}) wurde deaktiviert.\n"
        f"Grund: {endpoint.disabled_reason}\n\n"
        "Solange er deaktiviert ist, erhält er keine Ereignisse. Wenn Ihr System wieder erreichbar ist, "
        f"aktivieren Sie den Endpunkt mit POST /v1/endpoints/{endpoint.id}/resume und stellen fehlgeschlagene "
        f"Zustellungen mit POST /v1/endpoints/{endpoint.id}/replay erneut zu.\n\n"
        "Netzwerk Innenstadt NRW\n"
    )


def send_notices(uow_factory, settings: WebhooksSettings, clock=system_clock) -> int:
    """Mail the contacts of disabled endpoints (the notices were written with the disabling)."""
    with uow_factory() as uow:
        pending = uow.notices.unsent()
    if not pending:
        return 0
    parts = urlsplit(settings.smtp_url)
    sent = 0
    for notice in pending:
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = notice["recipient"]
        message["Subject"] = notice["subject"]
        message["Message-ID"] = email.utils.make_msgid(domain="innenstadt-nrw.de")
        message.set_content(notice["body"])
        try:
            with smtplib.SMTP(parts.hostname or "127.0.0.1", parts.port or 25, timeout=30) as smtp:
                smtp.send_message(message)
            values = {"sent_at": clock()}
            sent += 1
        except (OSError, smtplib.SMTPException) as error:
            values = {"attempts": notice["attempts"] + 1, "last_error": repr(error)[:500]}
        with uow_factory() as uow:
            uow.notices.mark(notice["id"], **values)
            uow.commit()
    return sent
