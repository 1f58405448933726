"""Helpers for the portal's tests: an app on a fresh database with a movable clock, mails from the SMTP
sink, a browser-less session that posts forms with their CSRF token, and the platform's portal people and
decision letters."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta, timezone

import requests

from admin_support import csrf_token
from support import bearer, eventually

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


def subject_of(message) -> str:
    """The subject as a mail client shows it. Python folds a subject whose value fits one line of its own
    as `Subject:` CRLF ` value`, and its parser keeps that line's leading space, which unfolding drops."""
    return str(message["Subject"]).lstrip()


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


def add_person(platform, email: str, name: str, role: str, **extra) -> None:
    """A person who may sign in to the platform's portal (the office's `vorort people add`)."""
    from services.portal.people import LocalPeople
    from shared.db import make_engine

    engine = make_engine(platform.env["PORTAL_DATABASE_URL"])
    LocalPeople(engine).add(email=email, name=name, role=role, now=datetime.now(timezone.utc), **extra)
    engine.dispose()


def subjects(platform, address: str, prefix: str = "") -> list[str]:
    return [subject_of(m) for m in mails_to(platform.smtp, address) if subject_of(m).startswith(prefix)]


def approve_letter(platform, call, town: str) -> None:
    """The office approves `town`'s decision letter in publishing (which then sends it)."""
    def staff() -> dict:
        return bearer("staff", "test:portal-mails")

    def pending():
        response = requests.get(f"{platform.url('publishing')}/v1/notices", headers=staff(), timeout=30,
                                params={"call_id": call.call_id, "page_size": 100})
        assert response.status_code == 200, response.text
        return [n for n in response.json()
                if n["application_id"] == call.id_of(town) and n["status"] == "pending_review"]
    (notice,) = eventually(pending, timeout=180, interval=0.5, message=f"{town}'s decision letter for review")

    def approved():
        response = requests.post(f"{platform.url('publishing')}/v1/notices/{notice['id']}/approve", headers=staff(),
                                 timeout=30)
        return response.status_code == 202  # 409 while publishing has not yet heard the decision is final
    eventually(approved, timeout=180, interval=1, message=f"{town}'s letter approved")
