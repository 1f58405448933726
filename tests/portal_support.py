"""Helpers for the portal's tests: an app on a fresh database with a movable clock, mails from the SMTP
sink, and a browser-less session that posts forms with their CSRF token."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta, timezone

from admin_support import csrf_token

LINK = re.compile(r"(https?://[^\s]+/signin/[A-Za-z0-9_\-]+)")


class Clock:
    """An injectable clock: `clock()` is now; `clock.advance(minutes=16)` moves it."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2027, 1, 11, 8, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def parse(message: dict):
    return email.message_from_bytes(message["data"], policy=email.policy.default)


def mails_to(smtp, address: str) -> list:
    return [parse(m) for m in smtp.messages if address.lower() in [r.lower() for r in m["to"]]]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def signin_link(message) -> str:
    found = LINK.search(text_of(message))
    assert found, "the mail has no sign-in link"
    return found.group(1)


def post_form(client, path: str, data: dict, token_from: str | None = None, **kwargs):
    """POST a form through Flask's test client with the CSRF token of the page it comes from."""
    page = client.get(token_from or path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))}, **kwargs)
