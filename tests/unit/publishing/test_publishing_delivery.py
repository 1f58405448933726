"""The sending primitives without a network: throttling, SMTP URLs and how SMTP answers are classified."""
from __future__ import annotations

import smtplib

import pytest

from services.publishing.delivery import SendFailure, SmtpEndpoint, SmtpTransport, Throttle


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_throttle_spaces_sends_evenly_at_the_configured_rate():
    clock = FakeClock()
    throttle = Throttle(4, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        throttle.wait()
    assert clock.slept == [0.25, 0.25, 0.25, 0.25]


def test_throttle_does_not_save_up_idle_time_for_a_burst():
    clock = FakeClock()
    throttle = Throttle(2, clock=clock, sleep=clock.sleep)
    throttle.wait()
    clock.now += 60
    throttle.wait()
    throttle.wait()
    assert clock.slept == [0.5]


def test_a_rate_of_zero_means_unthrottled():
    clock = FakeClock()
    throttle = Throttle(0, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        throttle.wait()
    assert clock.slept == []


@pytest.mark.parametrize("url, expected", [
    ("smtp://127.0.0.1:8025", ("smtp", "127.0.0.1", 8025, None, None)),
    ("smtp://mail.example.org", ("smtp", "mail.example.org", 25, None, None)),
    ("smtps://relay.example.org", ("smtps", "relay.example.org", 465, None, None)),
    ("smtp+starttls://user%40example.org:p%3Ass@relay.example.org:2525",
     ("smtp+starttls", "relay.example.org", 2525, "user@example.org", "p:ss")),
])
def test_smtp_urls_name_scheme_host_port_and_credentials(url, expected):
    endpoint = SmtpEndpoint.parse(url)
    assert (endpoint.scheme, endpoint.host, endpoint.port, endpoint.username, endpoint.password) == expected


class FakeSmtp:
    """Stands in for smtplib.SMTP: raises what it is told to, records what it accepted."""

    def __init__(self, error=None):
        self.error = error
        self.sent = []
        self.closed = False

    def sendmail(self, sender, recipients, message):
        if self.error is not None:
            raise self.error
        self.sent.append((sender, recipients, message))
        return {}

    def quit(self):
        self.closed = True

    def close(self):
        self.closed = True


def send_with(error):
    connections = []

    def connect():
        connections.append(FakeSmtp(error))
        return connections[-1]

    transport = SmtpTransport("smtp://127.0.0.1:8025", connector=connect)
    try:
        transport.send("info@innenstadt-nrw.example", "erika@example.org", "Subject: x\n\nHallo")
    except SendFailure as failure:
        return failure, connections
    return None, connections


def test_an_accepted_message_reuses_the_session():
    connections = []

    def connect():
        connections.append(FakeSmtp())
        return connections[-1]

    transport = SmtpTransport("smtp://127.0.0.1:8025", connector=connect)
    for recipient in ("a@example.org", "b@example.org"):
        transport.send("info@innenstadt-nrw.example", recipient, "Subject: x\n\nHallo")
    assert len(connections) == 1 and len(connections[0].sent) == 2
    transport.close()
    assert connections[0].closed


@pytest.mark.parametrize("error, temporary", [
    (smtplib.SMTPRecipientsRefused({"erika@example.org": (451, b"4.3.0 busy")}), True),
    (smtplib.SMTPRecipientsRefused({"erika@example.org": (550, b"5.1.1 unknown")}), False),
    (smtplib.SMTPDataError(452, b"4.3.1 insufficient storage"), True),
    (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), False),
    (smtplib.SMTPSenderRefused(421, b"4.7.0 later", "info@innenstadt-nrw.example"), True),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (TimeoutError("timed out"), True),
])
def test_4xx_and_broken_sessions_are_temporary_and_5xx_permanent(error, temporary):
    failure, _ = send_with(error)
    assert failure is not None and failure.temporary is temporary


def test_a_broken_session_is_dropped_and_the_next_send_reconnects():
    connections = []

    def connect():
        connections.append(FakeSmtp(smtplib.SMTPServerDisconnected("gone") if not connections else None))
        return connections[-1]

    transport = SmtpTransport("smtp://127.0.0.1:8025", connector=connect)
    with pytest.raises(SendFailure):
        transport.send("info@innenstadt-nrw.example", "a@example.org", "Subject: x\n\nHallo")
    transport.send("info@innenstadt-nrw.example", "a@example.org", "Subject: x\n\nHallo")
    assert len(connections) == 2 and len(connections[1].sent) == 1
