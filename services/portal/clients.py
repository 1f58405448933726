"""The portal's way into the API services: HTTP, with a token for the signed-in person.

`token_for(person)` is the one place that gets a person's token: from identity, by the delegation grant
with the portal's own client credentials (`auth.delegated_token("portal", ...)`; the token names the
portal in `act`). A municipality's token carries
its AGS, a steering member's subject is its panel member id, so that the services' own rules decide what
the person may see and change. Guests without an account use `guest_token()`: role partner, subject
`portal:guests`; they manage their registration with its manage code. The worker asks as the municipality it mails about
(`as_municipality`) or as the guests (`PortalClients`, which its bus injects into the command handlers).
"""
from __future__ import annotations

import requests

from services.portal.people import Person
from shared import auth
from shared.apiclient import ServiceClient

SERVICES = ("applications", "selection", "workshops", "publishing", "webhooks")


def token_for(person: Person) -> str:
    if person.role == "municipality":
        return auth.delegated_token("portal", "municipality", f"portal:{person.id}", ags=person.ags)
    if person.role == "steering":
        if not person.member_id:
            raise ValueError(f"steering person {person.id} has no panel member id")
        return auth.delegated_token("portal", "steering", person.member_id)
    return auth.delegated_token("portal", "partner", f"portal:{person.id}")


def guest_token() -> str:
    return auth.delegated_token("portal", "partner", "portal:guests")


def as_municipality(service: str, ags: str) -> ServiceClient:
    """The API as the municipality itself (the portal's worker mailing its people): the services' own rules
    decide what the portal may read."""
    return ServiceClient(service, auth.delegated_token("portal", "municipality", "portal:mail", ags=ags))


class PortalClients:
    """The API services as the portal's worker calls them: the dependency `clients` its bus gives the
    command handlers (a test gives a stand-in)."""

    def as_municipality(self, service: str, ags: str) -> ServiceClient:
        return as_municipality(service, ags)

    def as_guest(self, service: str) -> ServiceClient:
        return ServiceClient(service, guest_token())


class PersonServices:
    """The API services as one person (or as the portal's guest, or public without a token):
    `services.applications.get(...)`."""

    def __init__(self, person: Person | None):
        self.person = person
        self._session = requests.Session()
        self._clients: dict[tuple[str, str], ServiceClient] = {}

    def _person_token(self) -> str:
        if self.person is None:
            raise PermissionError("no one is signed in")
        return token_for(self.person)

    def _client(self, name: str, kind: str) -> ServiceClient:
        if name not in SERVICES:
            raise AttributeError(name)
        if (name, kind) not in self._clients:
            token = {"person": self._person_token, "guest": guest_token, "public": lambda: None}[kind]()
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
