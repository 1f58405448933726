"""The person a letter goes to, asked from the owning service's public API when the letter goes out: an
application's contact person (applications service) or a workshop's registrant (workshops service).

Events carry no personal data, so publishing never holds a copy of a contact until it writes a letter.
The call is made by the worker, outside any database transaction, with a short-lived staff token of its
own (`service:publishing`). Transient failures (connection, timeout, 5xx, 429) are retried a few times
with backoff; if the service stays unreachable, `DirectoryUnavailable` tells the caller to keep the
letter queued and try again later.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.auth import service_token
from shared.config import service_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None = None


class DirectoryUnavailable(Exception):
    """The applications service did not answer usefully; try again later."""


class _Transient(Exception):
    pass


class ApplicationsDirectory:
    def __init__(self, base_url: str | None = None, *, timeout_s: float = 5.0, attempts: int = 3,
                 backoff_s: float = 0.5, session: requests.Session | None = None,
                 workshops_url: str | None = None):
        self.base_url = (base_url or service_url("applications")).rstrip("/")
        self.workshops_url = (workshops_url or service_url("workshops")).rstrip("/")
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.session = session or requests.Session()

    def contact(self, application_id: str) -> Contact | None:
        """The application's contact person; None if the application or its contact no longer exists."""
        found = self._retrying(lambda: self._fetch(
            "applications", f"{self.base_url}/v1/applications/{quote(application_id, safe='')}"))
        contact = (found or {}).get("contact")
        if not contact or not contact.get("email"):
            return None
        return Contact(name=contact.get("name") or "", email=contact["email"], phone=contact.get("phone"))

    def registrant(self, workshop_id: str, registration_id: str) -> Contact | None:
        """The person behind a workshop registration; None if it no longer exists or was erased."""
        found = self._retrying(lambda: self._fetch(
            "workshops", f"{self.workshops_url}/v1/workshops/{quote(workshop_id, safe='')}/registrations/"
                         f"{quote(registration_id, safe='')}"))
        if not found or not found.get("email") or found["email"].endswith(".invalid"):
            return None  # an erased registrant keeps a placeholder address that nobody reads
        return Contact(name=found.get("name") or "", email=found["email"])

    def _retrying(self, fetch):
        retrying = Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                            wait=wait_exponential(multiplier=self.backoff_s, max=10),
                            retry=retry_if_exception_type(_Transient))
        try:
            for attempt in retrying:
                with attempt:
                    return fetch()
        except _Transient as error:
            raise DirectoryUnavailable(str(error)) from None
        raise AssertionError("unreachable")

    def _fetch(self, service: str, url: str) -> dict | None:
        token = service_token("publishing", scopes=("applications:read", "workshops:read"))
        try:
            response = self.session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout_s)
        except requests.RequestException as error:
            raise _Transient(f"{service} service unreachable: {error.__class__.__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(f"{service} service answered {response.status_code}")
        if response.status_code != 200:
            # 401/403 is a configuration fault (keys differ); it will not heal by itself, but nor may the
            # letter be lost: report it and let the caller keep the notice queued.
            raise DirectoryUnavailable(f"{service} service answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise _Transient(f"{service} service answered with something that is not JSON") from None
