"""What token verification keeps: each issuer's key set, and verified tokens for their lifetime.

JwksCache: the keys of each trusted issuer by `kid`, fetched from its JWKS. VerifiedTokens: a caller's next
request with the same token skips the signature. A token is verified once (shared.auth.verify_token: signature, issuer, audience, lifetime); its principal is
then kept under the token's own text until the token expires, as PyJWT would judge it (`exp` plus the same
leeway). An entry counts only while everything its verification rested on still holds: the issuer is still
trusted with the same entry, and the issuer's key set still holds the very key that verified it (a key
withdrawn from the JWKS ends every token it signed at the next refresh). Revocation is checked per request
by the caller, not here. The cache is bounded; when full, expired entries go first, then the oldest half.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jwt

from shared import config

log = logging.getLogger("shared.auth")


@dataclass(frozen=True)
class Verified:
    principal: Any  # shared.auth.Principal (not imported: auth imports this module)
    valid_until: float  # epoch seconds: exp + leeway
    issuer: Any  # the TrustedIssuer entry it was verified against
    key: Any  # the PyJWK that verified the signature


class VerifiedTokens:
    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, Verified] = {}
        self._lock = threading.Lock()

    def get(self, token: str, now: float | None = None) -> Verified | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if (now if now is not None else time.time()) >= entry.valid_until:
            with self._lock:
                self._entries.pop(token, None)
            return None
        return entry

    def put(self, token: str, entry: Verified) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._make_room(time.time())
            self._entries[token] = entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _make_room(self, now: float) -> None:
        live = {token: entry for token, entry in self._entries.items() if entry.valid_until > now}
        if len(live) >= self.max_entries:  # dicts keep insertion order: drop the older half
            live = dict(list(live.items())[len(live) // 2:])
        self._entries = live


class JwksCache:
    """The keys of each issuer, by `kid`. Fetched again after `max_age_s`, or when a token names a `kid`
    we do not know (at most every `min_refresh_s`, so unknown kids cannot make us hammer the issuer)."""

    def __init__(self, max_age_s: float | None = None, min_refresh_s: float = 1.0) -> None:
        self.max_age_s = max_age_s if max_age_s is not None else config.jwks_cache_seconds()
        self.min_refresh_s = min_refresh_s
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}
        self._fetched: dict[str, float] = {}
        self._lock = threading.Lock()
        self.local: dict[str, Callable[[], dict[str, Any]]] = {}  # jwks_uri -> callable returning a JWKS (identity's own keys)

    def key(self, jwks_uri: str, kid: str) -> jwt.PyJWK | None:
        now = time.monotonic()
        with self._lock:
            keys = self._keys.get(jwks_uri)
            age = now - self._fetched.get(jwks_uri, -1e9)
            if keys is None or age > self.max_age_s or (kid not in keys and age > self.min_refresh_s):
                keys = self._fetch(jwks_uri)
                self._keys[jwks_uri], self._fetched[jwks_uri] = keys, now
        return keys.get(kid)

    def _fetch(self, jwks_uri: str) -> dict[str, jwt.PyJWK]:
        try:
            document = self._document(jwks_uri)
            found: dict[str, jwt.PyJWK] = {}
            for entry in document.get("keys", []):
                if entry.get("kid") and entry.get("kty") in ("EC", "OKP", "RSA") and entry.get("use", "sig") == "sig":
                    try:
                        found[entry["kid"]] = jwt.PyJWK(entry)
                    except jwt.PyJWTError:
                        continue
            return found
        except Exception as error:  # noqa: BLE001 - an unreachable issuer means: no keys, 401
            log.warning("cannot fetch JWKS", extra={"jwks_uri": jwks_uri, "error": str(error)[:300]})
            return self._keys.get(jwks_uri, {})

    def _document(self, jwks_uri: str) -> dict[str, Any]:
        if jwks_uri in self.local:
            return self.local[jwks_uri]()
        document: dict[str, Any]
        if jwks_uri.startswith("file://"):
            document = json.loads(Path(urlparse(jwks_uri).path).read_text())
            return document
        import requests

        response = requests.get(jwks_uri, timeout=5)
        response.raise_for_status()
        document = response.json()
        return document
