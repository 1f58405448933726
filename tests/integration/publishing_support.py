"""Helpers for the publishing tests: a real SMTP server, events applied the way the consumer loop does,
and the worker as a real process.

`MailSink` is an aiosmtpd server on a free local port that records every message it accepts. It can refuse
recipients (temporarily with 451 a given number of times, or permanently with 550), and it can hold its
reply to the final dot of the n-th message until the test releases it: the point at which a client has
handed over a message that the server has not accepted yet.
"""
from __future__ import annotations

import time

import asyncio
import email
import email.policy
import os
import re
import signal
import socket
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from aiosmtpd.controller import Controller
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from services.publishing.consumers import consumers
from shared.events.catalogue import make_event, spec_for, validate_data
from support import bearer, service_process

STAFF = bearer("staff", "staff:barbara")
BASE_URL = "https://vorort.innenstadt-nrw.example"
SECRET = "publishing-test-secret"
SENDER = "Netzwerk Innenstadt NRW <info@innenstadt-nrw.example>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LateServer:
    """A service's WSGI app on a port that stays closed until `start()`: an API that is down, then up."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.server = None

    def start(self):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()


class MailSink:
    def __init__(self, *, hold_at: int | None = None):
        self.port = free_port()
        self.raw: list[bytes] = []  # parsed on demand: parsing in the handler would slow every send down
        self._parsed: list[email.message.EmailMessage] = []
        self.recipients: Counter = Counter()
        self.data_commands = 0
        self.temporary_failures: dict[str, int] = {}
        self.permanent_failures: set[str] = set()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.controller.stop()

    # --- aiosmtpd handler hooks ------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.casefold()
        if key in self.permanent_failures:
            return "550 5.1.1 No such mailbox"
        if self.temporary_failures.get(key, 0) > 0:
            self.temporary_failures[key] -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_commands += 1
            hold = self.data_commands == self.hold_at
        if hold:
            # The client has sent the whole message and waits for our verdict: it is not accepted yet.
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 Not accepted, the client went away"
        with self._lock:
            self.raw.append(envelope.content)
            for recipient in envelope.rcpt_tos:
                self.recipients[recipient.casefold()] += 1
        return "250 2.0.0 Accepted"

    # --- reading what arrived --------------------------------------------------------------------
    @property
    def messages(self) -> list:
        with self._lock:
            fresh = self.raw[len(self._parsed):]
        self._parsed.extend(email.message_from_bytes(raw, policy=email.policy.default) for raw in fresh)
        return list(self._parsed)

    def to(self, address: str) -> list:
        return [m for m in self.messages if address.casefold() in str(m["To"]).casefold()]

    def with_subject(self, subject: str) -> list:
        return [m for m in self.messages if str(m["Subject"]) == subject]


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def link_in(message, path: str) -> str:
    match = re.search(re.escape(BASE_URL + path) + r"\?token=[A-Za-z0-9_\-.]+", text_part(message))
    assert match, f"no {path} link in the mail"
    return match.group(0)


def path_of(url: str) -> str:
    return url.removeprefix(BASE_URL)


@contextmanager
def mail_sink(**kwargs):
    sink = MailSink(**kwargs).start()
    try:
        yield sink
    finally:
        sink.stop()


# --- events --------------------------------------------------------------------------------------
def workshop_completed(*, workshop_id: str | None = None, name: str = "Wassenberg", ags: str = "05370040",
                       sequence: int = 1, organisations=("Stadtwerke Wassenberg", "IHK NRW"), topic="Smart City"):
    example = spec_for("WorkshopCompleted").example
    return make_event("WorkshopCompleted", dict(
        example, workshop_id=workshop_id or str(uuid.uuid4()), call_id=str(uuid.uuid4()),
        application_id=str(uuid.uuid4()), municipality={"ags": ags, "name": name}, sequence=sequence,
        participant_organisations=list(organisations), topic=topic,
        completed_at=datetime.now(timezone.utc) - timedelta(hours=1)), source="/services/workshops")


def apply(ctx, event) -> str:
    """Apply one event as the consumer loop does: duplicate check, handler, processed record, one commit."""
    spec = next(spec for spec in consumers(ctx.bus) if event.type in spec.handlers)
    handler, group = spec.handlers[event.type], spec.group_id
    data = validate_data(event.type, event.data, event.version)
    with ctx.uow_factory() as uow:
        if uow.already_processed(group, event.id):
            return "duplicate"
        handler(event, data, uow)
        uow.mark_processed(group, event)
        uow.commit()
    return "applied"


def published_draft(client, ctx, **kwargs) -> dict:
    """A workshop result, drafted from its event and published by the office."""
    from services.publishing.domain import publication_id

    event = workshop_completed(**kwargs)
    apply(ctx, event)
    publication = client.post(f"/v1/publications/{publication_id('workshop_result', event.subject)}/publish",
                              headers=STAFF)
    assert publication.status_code == 200, publication.json
    return publication.json


# --- the worker as a process ---------------------------------------------------------------------
def unique_suffix() -> str:
    """A consumer-group suffix of this test's own (VORORT_CONSUMER_GROUP_SUFFIX, see `worker_env`)."""
    return f".test-{uuid.uuid4().hex[:10]}"


def start_groups_at_end(bootstrap: str, suffix: str) -> None:
    """The worker's two consumer groups with this suffix, both at the topics' current ends."""
    from services.publishing.consumers import PRIVACY_TOPICS, TOPICS

    start_group_at_end(bootstrap, f"publishing.results{suffix}", TOPICS)
    start_group_at_end(bootstrap, f"publishing.privacy{suffix}", PRIVACY_TOPICS)


def start_group_at_end(bootstrap: str, group: str, topics) -> None:
    """Commit a fresh consumer group at the topics' current ends: the worker sees only this test's events,
    not the history that other tests left on the shared broker."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False)
    partitions = []
    for topic in topics:
        # A topic whose partitions the client does not know yet would get no committed offset, and the worker
        # would start it from its earliest record: every earlier test's events (on a long run, thousands).
        deadline = time.monotonic() + 60
        known = consumer.partitions_for_topic(topic)
        while not known:
            assert time.monotonic() < deadline, f"the broker named no partitions of {topic}"
            time.sleep(0.2)
            known = consumer.partitions_for_topic(topic)
        partitions += [TopicPartition(topic, p) for p in known]
    ends = consumer.end_offsets(partitions)
    consumer.assign(partitions)
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in ends.items()})
    consumer.close()


def worker_env(db_url: str, bootstrap: str, smtp_url: str, suffix: str, **extra) -> dict:
    env = {"PUBLISHING_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "SMTP_URL": smtp_url,
           "VORORT_CONSUMER_GROUP_SUFFIX": suffix,
           "PUBLISHING_BASE_URL": BASE_URL, "PUBLISHING_SECRET": SECRET,
           "PUBLISHING_SENDER": SENDER, "APPLICATIONS_URL": f"http://127.0.0.1:{free_port()}"}
    env.update({key: str(value) for key, value in extra.items()})
    return env


@contextmanager
def worker_process(env: dict, log_path):
    process = service_process("publishing", ["worker"], env, log_path)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except Exception:  # noqa: BLE001
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
