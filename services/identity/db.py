"""The identity service's tables, their mapping to the domain, repositories and unit of work."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, select

from services.identity.domain import ApiClient, Organisation, Person, SigningKey
from services.identity.sealing import SealedJson
from shared.db import (ImperativeMapping, Repository, T, UtcDateTime, new_metadata, privacy_erasures_table,
                       revoked_access_table)
from shared.uow import UnitOfWork

metadata = new_metadata()
privacy_erasures_table(metadata)
revoked_access_table(metadata)

organisations = Table(
    "organisations", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("name", String(200), nullable=False),
    Column("ags", String(8), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

people = Table(
    "people", metadata,
    Column("id", String(36), primary_key=True),
    Column("organisation_id", String(36), ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("role", String(20), nullable=False),
    Column("subject", String(200), nullable=False, unique=True),
    Column("ags", String(8), nullable=True),
    Column("panel_call_ids", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

clients = Table(
    "api_clients", metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("organisation_id", String(36), ForeignKey("organisations.id"), nullable=True),
    Column("person_id", String(36), ForeignKey("people.id"), nullable=True),
    Column("role", String(20), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("ags", String(8), nullable=True),
    Column("scopes", JSON, nullable=False),
    Column("auth_method", String(40), nullable=False),
    Column("secret_hash", String(200), nullable=True),
    Column("public_jwk", JSON, nullable=True),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("delegate_roles", JSON, nullable=False, default=list),
)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(64), primary_key=True),
    Column("alg", String(10), nullable=False),
    Column("private_jwk", SealedJson(), nullable=True),  # sealed at rest (services/identity/sealing.py)
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("signs_from", UtcDateTime(), nullable=False),
    Column("signs_until", UtcDateTime(), nullable=True),
    Column("published_until", UtcDateTime(), nullable=True),
)

# `jti`s of private_key_jwt assertions already used (RFC 7523: an assertion is good once).
client_assertions = Table(
    "client_assertions", metadata,
    Column("client_id", String(64), primary_key=True),
    Column("jti", String(200), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False),
)

MAPPING = ImperativeMapping((Organisation, organisations), (Person, people), (ApiClient, clients),
                            (SigningKey, signing_keys))


def start_mappers() -> None:
    MAPPING.start()


class _Repository(Repository[T]):
    order = "created_at"

    def list(self, *, offset: int, limit: int, **filters: Any) -> tuple[list[T], int]:
        query = select(self.model)
        for name, value in filters.items():
            if value is not None:
                query = query.where(self.table.c[name] == value)
        return self.page(query, self.table.c[self.order], self.table.c[self.key], offset=offset, limit=limit)


class OrganisationRepository(_Repository[Organisation]):
    model, table = Organisation, organisations


class PersonRepository(_Repository[Person]):
    model, table = Person, people

    def by_contact_digest(self, digest: str) -> list[Person]:
        from shared.privacy import email_digest

        rows = self.session.execute(select(people.c.id, people.c.email)).all()
        ids = [row.id for row in rows if email_digest(row.email) == digest]
        return list(self.session.scalars(select(Person).where(people.c.id.in_(ids)))) if ids else []


class ClientRepository(_Repository[ApiClient]):
    model, table, key = ApiClient, clients, "client_id"

    def active_of_person(self, person_id: str) -> list[ApiClient]:
        return list(self.session.scalars(select(ApiClient).where(clients.c.person_id == person_id,
                                                                 clients.c.status == "active")))


class SigningKeyRepository:
    def __init__(self, session):
        self.session = session

    def all(self, *, for_update: bool = False) -> list[SigningKey]:
        query = select(SigningKey).order_by(signing_keys.c.signs_from)
        if for_update:
            query = query.with_for_update()
        return list(self.session.scalars(query))

    def add(self, key: SigningKey) -> None:
        self.session.add(key)


class IdentityUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.organisations = OrganisationRepository(self.session)
        self.people = PersonRepository(self.session)
        self.clients = ClientRepository(self.session)
        self.keys = SigningKeyRepository(self.session)
