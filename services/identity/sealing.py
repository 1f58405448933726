"""The private halves of the signing keys, sealed at rest: whoever reads the database (a backup, a replica, a
support dump) learns no key that could sign a token.

Sealed with Fernet (AES-128-CBC and HMAC-SHA256, from `cryptography`) under the key-encryption keys in
`IDENTITY_KEY_ENCRYPTION_KEYS`: Fernet keys, comma-separated. The first seals; every one of them opens, so
an operator rotates by putting a new key first and dropping the old one once the signing keys sealed under
it have been rotated out (`RotateSigningKey`; a retired key's private half is destroyed). In development a
key derived from the machine's local development secret is used; outside development a missing setting
stops the service (shared.config.MissingSecret)."""
from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

from shared.config import MissingSecret, environment, local_secret, setting

SETTING = "IDENTITY_KEY_ENCRYPTION_KEYS"


class UnreadableKey(RuntimeError):
    """A sealed key that none of the configured key-encryption keys opens."""


@lru_cache(maxsize=4)
def _sealer(configured: str | None, development: bool) -> MultiFernet:
    if configured:
        return MultiFernet([Fernet(key.strip().encode()) for key in configured.split(",") if key.strip()])
    if not development:
        raise MissingSecret(f"{SETTING} must be set outside development mode")
    derived = hashlib.sha256(f"{local_secret('session-dev', 'VORORT_SESSION_SECRET')}:identity-keys".encode())
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived.digest()))])


def sealer() -> MultiFernet:
    return _sealer(setting(SETTING), environment() == "development")


def seal(value: dict[str, Any]) -> str:
    return sealer().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def open_sealed(value: str) -> dict[str, Any]:
    try:
        opened: dict[str, Any] = json.loads(sealer().decrypt(value.encode()))
    except InvalidToken:
        raise UnreadableKey(f"a signing key is sealed under a key that {SETTING} does not hold") from None
    return opened


class SealedJson(TypeDecorator[dict[str, Any]]):
    """A JSON object stored sealed (text); None stays None."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else open_sealed(value)
