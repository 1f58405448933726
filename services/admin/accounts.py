"""Staff accounts: argon2 password hashes, login with throttling, and account administration.

Throttling: after `MAX_FAILURES` failed logins for one username from one address within `WINDOW`,
further attempts are refused (HTTP 429) until the oldest failure leaves the window. A successful
login clears the count. Unknown usernames count like known ones and cost the same hashing time, so
that neither the answer nor its timing tells an attacker which accounts exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from services.admin.db import StaffStore

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Staff:
    username: str
    display_name: str

    @property
    def token_subject(self) -> str:
        """Who the services' audit trails name when this person acts through the admin."""
        return f"admin:{self.username}"


@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None = None
    throttled: bool = False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher.hash(password)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def add_staff(store: StaffStore, username: str, password: str, display_name: str | None = None,
              now: datetime | None = None) -> Staff:
    username = normalise_username(username)
    if not USERNAME.match(username):
        raise AccountError("A username is 2 to 100 lower-case letters, digits and . _ -, starting with a "
                           "letter or digit.")
    display_name = (display_name or "").strip() or username
    try:
        store.add_account(username, display_name[:200], hash_password(password), now or utcnow())
    except IntegrityError:
        raise AccountError(f"There is already a staff account {username!r}.") from None
    return Staff(username, display_name)


def set_password(store: StaffStore, username: str, password: str, now: datetime | None = None) -> None:
    if not store.set_password_hash(normalise_username(username), hash_password(password), now or utcnow()):
        raise AccountError(f"There is no staff account {username!r}.")


def active_staff(store: StaffStore, username: str) -> Staff | None:
    row = store.account(normalise_username(username))
    if row is None or not row.active:
        return None
    return Staff(row.username, row.display_name)


def log_in(store: StaffStore, username: str, password: str, remote_addr: str,
           now: datetime | None = None) -> LoginResult:
    now = now or utcnow()
    username = normalise_username(username)[:100]
    remote_addr = (remote_addr or "unknown")[:64]
    store.forget_failures_before(now - WINDOW)
    if store.failures_since(username, remote_addr, now - WINDOW) >= MAX_FAILURES:
        return LoginResult(throttled=True)
    row = store.account(username) if username else None
    if _verify(row.password_hash if row is not None else _DUMMY_HASH, password) and row is not None and row.active:
        if _hasher.check_needs_rehash(row.password_hash):
            store.set_password_hash(username, _hasher.hash(password), now)
        store.clear_failures(username, remote_addr)
        store.record_login(username, now)
        return LoginResult(staff=Staff(row.username, row.display_name))
    store.record_failure(username, remote_addr, now)
    return LoginResult()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def create_staff_account(username: str, password: str, display_name: str | None = None) -> Staff:
    """Create an account in the admin database configured by the environment (`ADMIN_DATABASE_URL`); an
    account of that name gets the new password instead. For operator tooling such as `vorort demo`."""
    from shared.config import ServiceSettings
    from shared.db import make_engine

    engine = make_engine(ServiceSettings.from_env("admin").database_url)
    try:
        store = StaffStore(engine)
        if store.account(normalise_username(username)) is not None:
            set_password(store, username, password)
            return active_staff(store, username) or Staff(normalise_username(username), display_name or username)
        return add_staff(store, username, password, display_name)
    finally:
        engine.dispose()
