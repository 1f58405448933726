"""Organisations, people, API clients and signing keys, and the rules that bind them.

- An organisation is a municipality (with its AGS), a steering-group institution, a partner organisation
  or the office. A person acts for one organisation in the role its kind allows; a steering member sits on
  the panels of the calls listed for them.
- An API client acts for an organisation (and optionally for one person) with one role, the AGS of a
  municipality, a subject (the `sub` of its tokens), scopes and an optional expiry. It authenticates with a
  secret (kept only as an argon2 hash) or with a registered public key (`private_key_jwt`).
- A front end that signs people in itself (the portal) may hold a *delegating* client: it gets tokens for
  the people it acts for (never as staff), each carrying the client in `act`.
- Revoking a client or a person is final: identity issues no more tokens to it, and every service denies
  the tokens already issued.
- Signing keys rotate: a new key is published `lead` before it signs; the key it replaces stops signing
  then and stays published until every token it signed has expired.
Nothing here knows Flask, Kafka or database sessions.
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.municipalities import AGS_RE
from shared.errors import Conflict, InvalidInput

ROLES = ("staff", "steering", "municipality", "partner")
ORGANISATION_KINDS = ("municipality", "steering_institution", "partner", "office")
ROLE_OF_KIND = {"municipality": "municipality", "steering_institution": "steering", "partner": "partner",
                "office": "staff"}
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
KEY_METHOD = "private_key_jwt"
AUTH_METHODS = SECRET_METHODS + (KEY_METHOD,)
ACTIVE = "active"
REVOKED = "revoked"


def _require_ags(role: str, ags: str | None, field_name: str = "ags") -> None:
    if role == "municipality" and not ags:
        raise InvalidInput("A municipality needs its AGS.", field=field_name)
    if ags is not None and not AGS_RE.match(ags):
        raise InvalidInput("An AGS has exactly 8 digits.", field=field_name)
    if ags is not None and role != "municipality":
        raise InvalidInput("Only a municipality has an AGS.", field=field_name)


@dataclass
class Organisation:
    id: str
    kind: str
    name: str
    ags: str | None
    created_at: datetime

    @classmethod
    def register(cls, *, kind: str, name: str, ags: str | None, now: datetime) -> Organisation:
        if kind not in ORGANISATION_KINDS:
            raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
        _require_ags(ROLE_OF_KIND[kind], ags)
        return cls(id=str(uuid.uuid4()), kind=kind, name=name, ags=ags, created_at=now)

    @property
    def role(self) -> str:
        return ROLE_OF_KIND[self.kind]


@dataclass
class Person:
    id: str
    organisation_id: str
    name: str
    email: str
    role: str
    subject: str
    ags: str | None
    panel_call_ids: list[str]
    status: str
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def register(cls, organisation: Organisation, *, name: str, email: str, subject: str | None,
                 panel_call_ids: list[str], now: datetime) -> Person:
        role = organisation.role
        if panel_call_ids and role != "steering":  # the organisation's kind decides: a state conflict
            raise Conflict("Only a steering-group member sits on panels.", field="panel_call_ids")
        person_id = str(uuid.uuid4())
        return cls(id=person_id, organisation_id=organisation.id, name=name, email=email, role=role,
                   subject=subject or f"person:{person_id}", ags=organisation.ags,
                   panel_call_ids=list(panel_call_ids), status=ACTIVE, created_at=now)

    def revoke(self, now: datetime) -> None:
        if self.status == REVOKED:
            raise Conflict("This person's access is already revoked.")
        self.status = REVOKED
        self.revoked_at = now


@dataclass
class ApiClient:
    client_id: str
    name: str
    role: str
    subject: str
    ags: str | None
    scopes: list[str]
    auth_method: str
    secret_hash: str | None
    public_jwk: dict[str, Any] | None
    status: str
    created_at: datetime
    organisation_id: str | None = None
    person_id: str | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    delegate_roles: list[str] = field(default_factory=list)

    @staticmethod
    def new_client_id() -> str:
        return "vc_" + secrets.token_urlsafe(18)

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    @classmethod
    def register(cls, *, name: str, role: str | None, ags: str | None, subject: str | None, scopes: list[str],
                 allowed_scopes: tuple[str, ...], auth_method: str, secret_hash: str | None, public_jwk: dict[str, Any] | None,
                 expires_at: datetime | None, now: datetime, organisation: Organisation | None = None,
                 person: Person | None = None, delegate_roles: tuple[str, ...] | list[str] = ()) -> ApiClient:
        # What the body alone decides is refused with 422 (the OpenAPI document states it); what depends on
        # the named person or organisation (kind, AGS, status) is a conflict with their state: 409.
        if (role is None and person is None and organisation is None) or (role is not None and role not in ROLES):
            raise InvalidInput("Give a role: staff, steering, municipality or partner.", field="role")
        if role is not None and ags is not None and role != "municipality":
            raise InvalidInput("Only a municipality has an AGS.", field="ags")
        if role == "municipality" and not ags and person is None and organisation is None:
            raise InvalidInput("A municipality needs its AGS.", field="ags")
        if role == "steering" and not subject and person is None:
            raise InvalidInput("A steering-group client needs the member it acts for (subject or person).",
                               field="subject")
        if person is not None:
            if organisation is not None and person.organisation_id != organisation.id:
                raise Conflict("The person does not act for this organisation.", field="person_id")
            if person.status != ACTIVE:
                raise Conflict("This person's access is revoked.", field="person_id")
            role = role or person.role
            if role != person.role:
                raise Conflict("A client bound to a person has that person's role.", field="role")
            ags, subject = ags or person.ags, subject or person.subject
        elif organisation is not None:
            role = role or organisation.role
            if role != organisation.role:
                raise Conflict(f"An organisation of kind {organisation.kind} has clients of role "
                               f"{organisation.role}.", field="role")
            ags = ags or organisation.ags
        if role not in ROLES:
            raise InvalidInput("Give a role: staff, steering, municipality or partner.", field="role")
        try:
            _require_ags(role, ags)
        except InvalidInput as error:  # the role or AGS came from the organisation or person
            raise Conflict(error.message, field=error.field) from None
        if organisation is not None and organisation.ags and ags != organisation.ags:
            raise Conflict("The AGS differs from the organisation's.", field="ags")
        if role == "steering" and not subject:
            raise Conflict("A steering-group client needs the member it acts for (subject or person).",
                           field="subject")
        _check_grant(scopes, allowed_scopes, auth_method, public_jwk, expires_at, now, delegate_roles)
        client_id = cls.new_client_id()
        if subject is None:
            subject = f"municipality:{ags}" if role == "municipality" else client_id
        return cls(client_id=client_id, name=name, role=role, subject=subject, ags=ags,
                   scopes=list(scopes or allowed_scopes), auth_method=auth_method, secret_hash=secret_hash,
                   public_jwk=public_jwk, status=ACTIVE, created_at=now,
                   organisation_id=organisation.id if organisation else None,
                   person_id=person.id if person else None, expires_at=expires_at,
                   delegate_roles=list(delegate_roles))

    def may_get_tokens(self, now: datetime) -> bool:
        return self.status == ACTIVE and (self.expires_at is None or now < self.expires_at)

    def revoke(self, now: datetime) -> None:
        if self.status == REVOKED:
            raise Conflict("This client is already revoked.")
        self.status = REVOKED
        self.revoked_at = now


def _check_grant(scopes: list[str], allowed_scopes: tuple[str, ...], auth_method: str, public_jwk: dict[str, Any] | None,
                 expires_at: datetime | None, now: datetime, delegate_roles: tuple[str, ...] | list[str]) -> None:
    """What a new client is granted and how it authenticates: known scopes and method, a public key
    exactly for private_key_jwt, an expiry in the future, and never a delegation to staff."""
    unknown = [scope for scope in scopes if scope not in allowed_scopes]
    if unknown:
        raise InvalidInput(f"Unknown scope {unknown[0]!r}.", field="scopes")
    if auth_method not in AUTH_METHODS:
        raise InvalidInput(f"Unknown authentication method {auth_method!r}.", field="auth_method")
    if (auth_method == KEY_METHOD) != (public_jwk is not None):
        raise InvalidInput("private_key_jwt needs a public key (JWK), and only it.", field="public_jwk")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("The expiry must lie in the future.", field="expires_at")
    if any(r not in ROLES or r == "staff" for r in delegate_roles):
        raise InvalidInput("A client may act for municipalities, steering members and partners, never as "
                           "staff.", field="delegate_roles")


@dataclass
class SigningKey:
    kid: str
    alg: str
    private_jwk: dict[str, Any] | None
    public_jwk: dict[str, Any]
    created_at: datetime
    signs_from: datetime
    signs_until: datetime | None = None
    published_until: datetime | None = None

    def signs_at(self, now: datetime) -> bool:
        return self.signs_from <= now and (self.signs_until is None or now < self.signs_until)

    def published_at(self, now: datetime) -> bool:
        return self.published_until is None or now < self.published_until


@dataclass
class KeyRing:
    """The keys that are (or will be, or were) published, newest last."""
    keys: list[SigningKey] = field(default_factory=list)

    def signing_key(self, now: datetime) -> SigningKey | None:
        candidates = [key for key in self.keys if key.signs_at(now) and key.private_jwk]
        return max(candidates, key=lambda key: key.signs_from, default=None)

    def published(self, now: datetime) -> list[SigningKey]:
        return [key for key in self.keys if key.published_at(now)]

    def rotate(self, new_key: SigningKey, *, lead: timedelta, token_ttl: timedelta, skew: timedelta,
               now: datetime) -> None:
        """`new_key` is published now and signs after `lead`; every key that would still be signing then
        stops at that moment and stays published until its last token has expired."""
        new_key.signs_from = now + lead
        for key in self.keys:
            if key.signs_until is None or key.signs_until > new_key.signs_from:
                key.signs_until = new_key.signs_from
                key.published_until = new_key.signs_from + token_ttl + skew
        self.keys.append(new_key)

    def expired(self, now: datetime) -> list[SigningKey]:
        """Keys no longer published whose private half can be destroyed."""
        return [key for key in self.keys if not key.published_at(now) and key.private_jwk]
