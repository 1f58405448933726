"""The identity API and its token endpoint over real PostgreSQL: the registry, what events say (and do
not say), secrets kept only as hashes, private_key_jwt assertions used once, revocation of a person."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from joserfc import jwk
from sqlalchemy import create_engine, select

from services.identity.app import create_app
from services.identity.db import clients as clients_table
from services.identity.db import metadata
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:erika")
WASSENBERG = bearer("municipality", "wassenberg", ags="05370040")


@pytest.fixture
def db_url(pg_database):
    return pg_database("identity")


@pytest.fixture
def client(db_url):
    return create_app(settings("identity", db_url, "127.0.0.1:1")).test_client()


def _outbox(db_url) -> list[dict]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(metadata.tables["outbox"]).order_by(metadata.tables["outbox"].c.id)).all()
    engine.dispose()
    return [{"type": row.event_type, "data": json.loads(row.payload)["data"]} for row in rows]


def _assertion(client_id: str, key, audience: str, jti: str | None = None) -> str:
    now = datetime.now(timezone.utc)
    return jwt.encode({"iss": client_id, "sub": client_id, "aud": audience, "iat": now,
                       "exp": now + timedelta(minutes=1), "jti": jti or uuid.uuid4().hex},
                      jwt.PyJWK(key.as_dict(private=True)).key, algorithm="ES256")


def _by_assertion(client, assertion: str):
    return client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})


def test_the_office_registers_a_steering_member_and_events_carry_no_names(client, db_url):
    ihk = client.post("/v1/organisations", json={"kind": "steering_institution", "name": "IHK NRW"}, headers=STAFF)
    assert ihk.status_code == 201, ihk.json
    member = client.post("/v1/people", headers=STAFF, json={
        "organisation_id": ihk.json["id"], "name": "Frank Fiktiv", "email": "frank.fiktiv@example.org",
        "subject": "stg-ihk", "panel_call_ids": ["c0a8e2f4-3b1d-4e5f-9a6b-7c8d9e0f1a2b"]})
    assert member.status_code == 201 and member.json["role"] == "steering"
    again = client.post("/v1/people", headers=STAFF, json={
        "organisation_id": ihk.json["id"], "name": "Someone Else", "email": "else@example.org", "subject": "stg-ihk"})
    assert again.status_code == 409 and "subject" in again.json["errors"]["json"]
    events = _outbox(db_url)
    assert [e["type"] for e in events] == ["OrganisationRegistered", "PersonRegistered"]
    text = json.dumps(events)
    assert "Frank" not in text and "frank.fiktiv" not in text and "IHK NRW" not in text


def test_bad_input_names_the_field_and_other_roles_are_refused(client):
    wrong = client.post("/v1/organisations", json={"kind": "municipality", "name": "Wassenberg"}, headers=STAFF)
    assert wrong.status_code == 422 and "ags" in wrong.json["errors"]["json"]
    private = client.post("/v1/clients", headers=STAFF, json={"name": "x", "role": "partner", "public_jwk": {
        "kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "secret"}})
    assert private.status_code == 422 and "public_jwk" in private.json["errors"]["json"]
    assert client.get("/v1/clients", headers=WASSENBERG).status_code == 403
    assert client.get("/v1/clients").status_code == 401


def test_the_secret_is_shown_once_and_kept_only_as_an_argon2_hash(client, db_url):
    created = client.post("/v1/clients", json={"name": "Werkstattportal", "role": "partner"}, headers=STAFF)
    assert created.status_code == 201
    secret = created.json["client_secret"]
    shown = client.get(f"/v1/clients/{created.json['client_id']}", headers=STAFF).json
    assert "client_secret" not in shown and secret not in json.dumps(shown)
    engine = create_engine(db_url)
    with engine.connect() as connection:
        stored = connection.execute(select(clients_table.c.secret_hash)).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2") and secret not in stored
    token = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                              "client_id": created.json["client_id"], "client_secret": secret})
    assert token.status_code == 200 and token.json["expires_in"] == 600


def test_a_private_key_jwt_assertion_is_good_once_and_only_for_this_server(client):
    key = jwk.ECKey.generate_key("P-256", private=True)
    created = client.post("/v1/clients", headers=STAFF, json={
        "name": "Portal Stadtwerke", "role": "partner", "public_jwk": key.as_dict(private=False)})
    assert created.status_code == 201 and created.json["client_secret"] is None
    client_id = created.json["client_id"]
    audience = "http://127.0.0.1:8006/oauth/token"
    assertion = _assertion(client_id, key, audience)
    first = _by_assertion(client, assertion)
    assert first.status_code == 200, first.json
    replayed = _by_assertion(client, assertion)
    assert replayed.status_code in (400, 401) and replayed.json["error"] == "invalid_client"
    elsewhere = _by_assertion(client, _assertion(client_id, key, "https://other-server.example.org/token"))
    assert elsewhere.status_code in (400, 401)
    stranger = jwk.ECKey.generate_key("P-256", private=True)
    assert _by_assertion(client, _assertion(client_id, stranger, audience)).status_code in (400, 401)
    secret_instead = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                       "client_secret": "guess"})
    assert secret_instead.status_code in (400, 401)


def test_revoking_a_person_revokes_their_clients_and_says_so_in_events(client, db_url):
    office = client.post("/v1/organisations", json={"kind": "office", "name": "Geschäftsstelle"}, headers=STAFF)
    person = client.post("/v1/people", headers=STAFF, json={
        "organisation_id": office.json["id"], "name": "Erika Musterfrau", "email": "erika@example.org"}).json
    made = client.post("/v1/clients", json={"name": "Skript", "person_id": person["id"]}, headers=STAFF).json
    assert (made["role"], made["subject"]) == ("staff", person["subject"])
    revoked = client.post(f"/v1/people/{person['id']}/revoke", headers=STAFF)
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert client.get(f"/v1/clients/{made['client_id']}", headers=STAFF).json["status"] == "revoked"
    assert client.post(f"/v1/people/{person['id']}/revoke", headers=STAFF).status_code == 409
    refused = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": made["client_id"],
                                                "client_secret": made["client_secret"]})
    assert refused.status_code in (400, 401) and "access_token" not in refused.json
    revocations = [e["data"] for e in _outbox(db_url) if e["type"] == "AccessRevoked"]
    assert {(r["kind"], r["subject"] or r["client_id"]) for r in revocations} == {
        ("person", person["subject"]), ("client", made["client_id"])}


def test_the_metadata_names_the_endpoints_and_the_jwks_holds_public_keys_only(client):
    metadata_document = client.get("/.well-known/oauth-authorization-server").json
    assert metadata_document == client.get("/.well-known/openid-configuration").json
    assert metadata_document["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic", "client_secret_post", "private_key_jwt"]
    assert metadata_document["grant_types_supported"] == [
        "client_credentials", "urn:vorort:params:oauth:grant-type:delegation"]
    created = client.post("/v1/clients", json={"name": "x", "role": "partner"}, headers=STAFF).json
    client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": created["client_id"],
                                      "client_secret": created["client_secret"]})
    keys = client.get("/.well-known/jwks.json").json["keys"]
    assert keys and all(key["kty"] == "EC" and "d" not in key for key in keys)


def test_a_delegating_client_gets_tokens_for_the_people_it_signed_in_but_never_as_staff(client):
    portal = client.post("/v1/clients", headers=STAFF, json={
        "name": "Portal", "role": "partner", "delegate_roles": ["municipality", "steering", "partner"]}).json
    assert client.post("/v1/clients", headers=STAFF, json={
        "name": "x", "role": "partner", "delegate_roles": ["staff"]}).status_code == 422
    grant = "urn:vorort:params:oauth:grant-type:delegation"

    def ask(who, secret, **form):
        return client.post("/oauth/token", data={"grant_type": grant, "client_id": who, "client_secret": secret,
                                                 **form})

    issued = ask(portal["client_id"], portal["client_secret"], role="municipality", subject="portal:17",
                 ags="05370040")
    assert issued.status_code == 200, issued.json
    claims = jwt.decode(issued.json["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["ags"], claims["act"]) == (
        "portal:17", "municipality", "05370040", {"sub": portal["client_id"]})
    assert ask(portal["client_id"], portal["client_secret"], role="staff", subject="x").status_code in (400, 401)
    assert ask(portal["client_id"], portal["client_secret"], role="municipality", subject="y").status_code == 400
    plain = client.post("/v1/clients", headers=STAFF, json={"name": "y", "role": "partner"}).json
    refused = ask(plain["client_id"], plain["client_secret"], role="partner", subject="z")
    assert refused.status_code in (400, 401) and "access_token" not in refused.json
