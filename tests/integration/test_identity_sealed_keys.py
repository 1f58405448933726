"""The signing keys' private halves are sealed at rest (services/identity/sealing.py): the database holds no
key that could sign a token, the service still signs with it, the migration seals keys written before it
(and its downgrade opens them again), and a service without its key-encryption keys refuses to run outside
development. Over real PostgreSQL."""
from __future__ import annotations

import json
import uuid

import jwt
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from services.identity import sealing
from services.identity.app import MIGRATIONS, create_app
from shared.config import MissingSecret
from shared.db import migrate
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:erika")
PRIVATE_MEMBERS = ("\"d\"", "'d'")  # an EC or RSA private JWK always has the private exponent `d`


def _raw_private_halves(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT private_jwk FROM signing_keys WHERE private_jwk IS NOT NULL")).all()
    engine.dispose()
    return [row[0] for row in rows]


def _signed_token(client) -> str:
    created = client.post("/v1/clients", json={"name": "Werkstattportal", "role": "partner"}, headers=STAFF)
    assert created.status_code == 201, created.json
    token = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": created.json["client_id"],
                                              "client_secret": created.json["client_secret"]})
    assert token.status_code == 200, token.json
    return token.json["access_token"]


def test_the_database_holds_no_private_key_yet_tokens_verify_against_the_jwks(pg_database):
    url = pg_database("identity")
    client = create_app(settings("identity", url, "127.0.0.1:1")).test_client()
    token = _signed_token(client)
    [stored] = _raw_private_halves(url)
    assert isinstance(stored, str) and not any(member in stored for member in PRIVATE_MEMBERS)
    assert stored.startswith("gAAAAA")  # a Fernet token
    opened = sealing.open_sealed(stored)
    assert opened["kty"] == "EC" and "d" in opened
    public = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json)
    key = public[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name or "ES256"], options={"verify_aud": False})
    assert claims["role"] == "partner"


def _downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.downgrade(config, revision)


def test_the_migration_seals_keys_written_before_it_and_its_downgrade_opens_them(postgres):
    url = postgres.create_database("identity")
    try:
        migrate(url, MIGRATIONS, "0001")
        plain = {"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ", "d": "ZA", "kid": "k1"}
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, signs_from) "
                "VALUES ('k1', 'ES256', CAST(:private AS json), CAST(:public AS json), now(), now())"),
                {"private": json.dumps(plain), "public": json.dumps({"kty": "EC", "kid": "k1"})})
        engine.dispose()
        migrate(url, MIGRATIONS)
        [sealed] = _raw_private_halves(url)
        assert not any(member in sealed for member in PRIVATE_MEMBERS)
        assert sealing.open_sealed(sealed) == plain
        _downgrade(url, "0001")
        [opened] = _raw_private_halves(url)
        assert opened == plain
    finally:
        postgres.drop_database(url)


def test_a_key_sealed_under_a_key_no_longer_configured_is_refused_by_name(monkeypatch):
    sealed = sealing.seal({"d": "ZA"})
    monkeypatch.setenv(sealing.SETTING, Fernet.generate_key().decode())
    with pytest.raises(sealing.UnreadableKey, match=sealing.SETTING):
        sealing.open_sealed(sealed)


def test_a_new_key_first_and_the_old_one_after_it_still_open_what_the_old_one_sealed(monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(sealing.SETTING, old)
    sealed_before = sealing.seal({"d": "alt"})
    monkeypatch.setenv(sealing.SETTING, f"{new}, {old}")
    assert sealing.open_sealed(sealed_before) == {"d": "alt"}
    sealed_after = sealing.seal({"d": "neu"})
    monkeypatch.setenv(sealing.SETTING, new)
    assert sealing.open_sealed(sealed_after) == {"d": "neu"}


def test_outside_development_the_service_needs_its_key_encryption_keys(monkeypatch):
    monkeypatch.delenv(sealing.SETTING, raising=False)
    monkeypatch.setenv("VORORT_ENV", "production")
    with pytest.raises(MissingSecret, match=sealing.SETTING):
        sealing.seal({"d": str(uuid.uuid4())})
