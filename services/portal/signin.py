"""Passwordless sign-in: an email address gets a one-time link.

- The token is 32 random bytes (URL-safe); only its SHA-256 is stored, so a copy of the database cannot
  sign anyone in.
- A link is valid for `LINK_TTL` (15 minutes) and works once: redeeming marks it used in the same
  UPDATE that checks it (`used_at IS NULL AND expires_at > now`), so two concurrent clicks cannot both win.
- Asking for a link answers the same for a known and an unknown address (the caller renders one page
  for both), and both count against the same limits: per address and per IP address.
- The link is mailed in the language of the page it was asked from, which becomes the person's language.
The clock is injected (`clock()` returns an aware UTC datetime), so tests move time instead of sleeping.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from services.portal import mail
from services.portal.db import signin_links
from services.portal.people import PeopleDirectory, normalise_email, remember_language
from services.portal.throttle import forget_before, hit, throttle_key

LINK_TTL = timedelta(minutes=15)
THROTTLE_WINDOW = timedelta(minutes=15)
PER_ADDRESS = 5      # links per address and window
PER_IP = 30          # requests per IP address and window


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LinkRequest:
    throttled: bool


class SigninLinks:
    def __init__(self, engine: Engine, directory: PeopleDirectory, clock, base_url: str):
        self.engine = engine
        self.directory = directory
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    def request(self, email: str, remote_addr: str, next_path: str | None = None,
                language: str = mail.DEFAULT_LANGUAGE) -> LinkRequest:
        """Mail a link if the address belongs to a person, in `language` (the page's); the answer never says
        whether it does."""
        now = self.clock()
        email = normalise_email(email)
        with self.engine.begin() as connection:
            within = hit(connection, throttle_key("signin-ip", remote_addr or "-"), now, THROTTLE_WINDOW, PER_IP)
            within = hit(connection, throttle_key("signin-address", email), now, THROTTLE_WINDOW,
                         PER_ADDRESS) and within
            if not within:
                return LinkRequest(throttled=True)
            person = self.directory.by_email(email)
            if person is None:
                return LinkRequest(throttled=False)
            token = secrets.token_urlsafe(32)
            digest = token_hash(token)
            connection.execute(insert(signin_links).values(
                token_hash=digest, person_id=person.id, created_at=now, expires_at=now + LINK_TTL,
                next_path=next_path))
            remember_language(connection, person.id, language)
            mail.queue(connection, key=f"signin:{digest}", kind="signin", recipient=person.email,
                       template="signin", now=now, language=language, person=person, link=f"{self.base_url}/signin/{token}",
                       minutes=int(LINK_TTL.total_seconds() // 60))
        return LinkRequest(throttled=False)

    def is_valid(self, token: str) -> bool:
        """Whether the link would sign in now (shown before the button; does not use it up)."""
        with self.engine.connect() as connection:
            row = connection.execute(select(signin_links).where(signin_links.c.token_hash == token_hash(token))).first()
        return bool(row and row.used_at is None and row.expires_at > self.clock())

    def redeem(self, token: str):
        """(person id, next path) if the link is valid now, and uses it up; else None."""
        now = self.clock()
        digest = token_hash(token)
        with self.engine.begin() as connection:
            used = connection.execute(update(signin_links).where(
                signin_links.c.token_hash == digest, signin_links.c.used_at.is_(None),
                signin_links.c.expires_at > now).values(used_at=now)).rowcount
            if used != 1:
                return None
            row = connection.execute(select(signin_links).where(signin_links.c.token_hash == digest)).first()
        return (row.person_id, row.next_path) if row is not None else None

    def forget_old(self) -> None:
        """Links and throttle counts are only kept as long as they matter (a day for the audit of use)."""
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(delete(signin_links).where(signin_links.c.expires_at < now - timedelta(days=1)))
            forget_before(connection, now - THROTTLE_WINDOW)
