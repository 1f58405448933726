"""Use cases of identity: command -> unit of work -> domain -> outbox. Every handler commits once."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from joserfc import jwk

from services.identity.domain import ApiClient, KeyRing, Organisation, Person, SigningKey
from services.identity.settings import IdentitySettings
from shared.auth import api_scopes
from shared.errors import InvalidInput, NotFound
from shared.events.catalogue import make_event
from shared.logs import correlation_id

SOURCE = "/services/identity"
SIGNING_ALGORITHM = "ES256"
HASHER = PasswordHasher()


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterOrganisation:
    kind: str
    name: str
    ags: str | None = None


@dataclass(frozen=True)
class RegisterPerson:
    organisation_id: str
    name: str
    email: str
    subject: str | None = None
    panel_call_ids: list = field(default_factory=list)


@dataclass(frozen=True)
class RegisterClient:
    name: str
    role: str | None = None
    ags: str | None = None
    subject: str | None = None
    scopes: list = field(default_factory=list)
    organisation_id: str | None = None
    person_id: str | None = None
    public_jwk: dict | None = None
    auth_method: str | None = None
    expires_at: datetime | None = None
    delegate_roles: list = field(default_factory=list)


@dataclass(frozen=True)
class RevokeClient:
    client_id: str


@dataclass(frozen=True)
class RevokePerson:
    person_id: str


@dataclass(frozen=True)
class RotateSigningKey:
    pass


@dataclass(frozen=True)
class EnsureSigningKey:
    pass


@dataclass(frozen=True)
class DestroyRetiredKeys:
    pass


@dataclass
class NewClient:
    """A client as registered, with its secret in clear: shown once, never stored."""
    client: ApiClient
    client_secret: str | None


# --- events --------------------------------------------------------------------------------------
def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())


def _revoked(kind: str, item_id: str, *, client_id=None, subject=None, now):
    return _event("AccessRevoked", {"kind": kind, "id": item_id, "client_id": client_id, "subject": subject,
                                    "revoked_at": now})


# --- keys ----------------------------------------------------------------------------------------
def new_signing_key(now: datetime) -> SigningKey:
    kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    key = jwk.ECKey.generate_key("P-256", parameters={"kid": kid, "alg": SIGNING_ALGORITHM, "use": "sig"})
    return SigningKey(kid=kid, alg=SIGNING_ALGORITHM, private_jwk=key.as_dict(private=True),
                      public_jwk=key.as_dict(private=False), created_at=now, signs_from=now)


# --- handlers ------------------------------------------------------------------------------------
def register_organisation(command: RegisterOrganisation, uow, clock) -> Organisation:
    organisation = Organisation.register(kind=command.kind, name=command.name, ags=command.ags, now=clock())
    uow.organisations.add(organisation)
    uow.emit(_event("OrganisationRegistered", {"organisation_id": organisation.id, "kind": organisation.kind,
                                               "ags": organisation.ags, "registered_at": organisation.created_at}))
    uow.commit()
    return organisation


def _organisation(uow, organisation_id: str | None, field_name: str = "organisation_id") -> Organisation | None:
    if organisation_id is None:
        return None
    organisation = uow.organisations.get(organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.", field=field_name)
    return organisation


def register_person(command: RegisterPerson, uow, clock) -> Person:
    organisation = _organisation(uow, command.organisation_id)
    if organisation is None:
        raise InvalidInput("A person belongs to an organisation.", field="organisation_id")
    person = Person.register(organisation, name=command.name, email=command.email, subject=command.subject,
                             panel_call_ids=command.panel_call_ids, now=clock())
    uow.people.add(person)
    uow.emit(_event("PersonRegistered", {
        "person_id": person.id, "organisation_id": person.organisation_id, "role": person.role,
        "subject": person.subject, "ags": person.ags, "panel_call_ids": person.panel_call_ids,
        "registered_at": person.created_at}))
    uow.commit()  # a subject taken already fails here on the unique index; the API answers 409
    return person


def register_client(command: RegisterClient, uow, clock) -> NewClient:
    organisation = _organisation(uow, command.organisation_id)
    person = None
    if command.person_id is not None:
        person = uow.people.get(command.person_id)
        if person is None:
            raise NotFound(f"No person {command.person_id}.", field="person_id")
        organisation = organisation or _organisation(uow, person.organisation_id)
    method = command.auth_method or ("private_key_jwt" if command.public_jwk else "client_secret_basic")
    secret = None if command.public_jwk else ApiClient.new_secret()
    client = ApiClient.register(
        name=command.name, role=command.role, ags=command.ags, subject=command.subject, scopes=command.scopes,
        allowed_scopes=api_scopes(), auth_method=method, secret_hash=HASHER.hash(secret) if secret else None,
        public_jwk=command.public_jwk, expires_at=command.expires_at, now=clock(), organisation=organisation,
        person=person, delegate_roles=command.delegate_roles)
    uow.clients.add(client)
    uow.emit(_event("ClientRegistered", {
        "client_id": client.client_id, "organisation_id": client.organisation_id, "person_id": client.person_id,
        "role": client.role, "subject": client.subject, "ags": client.ags, "scopes": client.scopes,
        "auth_method": client.auth_method, "expires_at": client.expires_at, "registered_at": client.created_at,
        "delegate_roles": client.delegate_roles}))
    uow.commit()
    return NewClient(client, secret)


def revoke_client(command: RevokeClient, uow, clock) -> ApiClient:
    client = uow.clients.get(command.client_id, for_update=True)
    if client is None:
        raise NotFound(f"No client {command.client_id}.")
    now = clock()
    client.revoke(now)
    uow.emit(_revoked("client", client.client_id, client_id=client.client_id, now=now))
    uow.commit()
    return client


def revoke_person(command: RevokePerson, uow, clock) -> Person:
    """The person and every client bound to them: their tokens, whoever presents them, are denied."""
    person = uow.people.get(command.person_id, for_update=True)
    if person is None:
        raise NotFound(f"No person {command.person_id}.")
    now = clock()
    person.revoke(now)
    uow.emit(_revoked("person", person.id, subject=person.subject, now=now))
    for client in uow.clients.active_of_person(person.id):
        client.revoke(now)
        uow.emit(_revoked("client", client.client_id, client_id=client.client_id, now=now))
    uow.commit()
    return person


def ensure_signing_key(command: EnsureSigningKey, uow, clock) -> SigningKey:
    """The key that signs now; the very first one is made on demand and signs at once."""
    now = clock()
    ring = KeyRing(uow.keys.all())
    key = ring.signing_key(now)
    if key is None:
        ring = KeyRing(uow.keys.all(for_update=True))
        key = ring.signing_key(now)
        if key is None:
            key = new_signing_key(now)
            uow.keys.add(key)
            uow.commit()
    return key


def rotate_signing_key(command: RotateSigningKey, uow, clock) -> SigningKey:
    settings = IdentitySettings.from_env()
    now = clock()
    ring = KeyRing(uow.keys.all(for_update=True))
    key = new_signing_key(now)
    ring.rotate(key, lead=settings.key_publish_lead, token_ttl=settings.token_ttl, skew=settings.clock_skew,
                now=now)
    uow.keys.add(key)
    uow.commit()
    return key


def destroy_retired_keys(command: DestroyRetiredKeys, uow, clock) -> list[str]:
    """The private half of a key that is no longer published can sign nothing we accept: destroy it."""
    retired = KeyRing(uow.keys.all(for_update=True)).expired(clock())
    for key in retired:
        key.private_jwk = None
    uow.commit()
    return [key.kid for key in retired]


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    RegisterOrganisation: register_organisation,
    RegisterPerson: register_person,
    RegisterClient: register_client,
    RevokeClient: revoke_client,
    RevokePerson: revoke_person,
    EnsureSigningKey: ensure_signing_key,
    RotateSigningKey: rotate_signing_key,
    DestroyRetiredKeys: destroy_retired_keys,
}
