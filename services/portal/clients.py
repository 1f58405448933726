"""The portal's way into the API services: HTTP, with a token for the signed-in person.

`token_for(person)` is the one place that mints a person's token (today with shared.auth.issue_token;
when the identity service lands, this is where its token is obtained). A municipality's token carries
its AGS, a steering member's subject is its panel member id, so that the services' own rules decide what
the person may see and change. Guests without an account use `guest_token()`: role partner, subject
`portal:guests`; they manage their registration with its manage code.
"""
from __future__ import annotations

from datetime import timedelta

import requests

from services.portal.people import Person
from shared import auth
from shared.apiclient import ServiceClient

TOKEN_TTL = timedelta(minutes=10)
SERVICES = ("applications", "selection", "workshops", "publishing")


def token_for(person: Person) -> str:
    if person.role == "municipality":
        return auth.issue_token("municipality", f"portal:{person.id}", ags=person.ags, ttl=TOKEN_TTL)
    if person.role == "steering":
        return auth.issue_token("steering", person.member_id, ttl=TOKEN_TTL)
    return auth.issue_token("partner", f"portal:{person.id}", ttl=TOKEN_TTL)


def guest_token() -> str:
    return auth.issue_token("partner", "portal:guests", ttl=TOKEN_TTL)


class PersonServices:
    """The API services as one person (or as the portal's guest, or public without a token):
    `services.applications.get(...)`."""

    def __init__(self, person: Person | None):
        self.person = person
        self._session = requests.Session()
        self._clients: dict[tuple[str, str], ServiceClient] = {}

    def _client(self, name: str, kind: str) -> ServiceClient:
        if name not in SERVICES:
            raise AttributeError(name)
        if (name, kind) not in self._clients:
            token = {"person": lambda: token_for(self.person), "guest": guest_token, "public": lambda: None}[kind]()
            self._clients[(name, kind)] = ServiceClient(name, token, session=self._session)
        return self._clients[(name, kind)]

    def __getattr__(self, name: str) -> ServiceClient:
        if self.person is None:
            raise AttributeError(f"{name}: nobody is signed in")
        return self._client(name, "person")

    def guest(self, name: str) -> ServiceClient:
        return self._client(name, "guest")

    def public(self, name: str) -> ServiceClient:
        return self._client(name, "public")

    def close(self) -> None:
        self._session.close()
