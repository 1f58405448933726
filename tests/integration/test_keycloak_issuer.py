"""Issue 12, acceptance 4: an operator trusts an external identity provider by configuration only.

A real Keycloak (the server distribution from Maven Central, `kc.sh start-dev` on a free port) gets two
realms through its admin REST API, each with a confidential client that uses the client credentials grant
and puts our audience and its role and AGS into its access tokens. The applications API, configured to
trust the first realm (issuer URL, audience, claim mapping), admits that realm's token and answers 401 to
the same kind of token from the second realm, which it does not trust.
"""
from __future__ import annotations

import json
import secrets
import time

import pytest
import requests

from shared import auth
from support import settings
from vorort import keycloak
from vorort.broker import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = time.monotonic()
    running = keycloak.start(free_port(), tmp_path_factory.mktemp("keycloak") / "keycloak.log")
    print(f"\nKeycloak {keycloak.VERSION} up in {time.monotonic() - started:.0f} s")
    yield running
    running.stop()


def _hardcoded(name: str, claim: str, value: str) -> dict:
    return {"name": name, "protocol": "openid-connect", "protocolMapper": "oidc-hardcoded-claim-mapper",
            "config": {"claim.name": claim, "claim.value": value, "jsonType.label": "String",
                       "access.token.claim": "true", "id.token.claim": "false", "userinfo.token.claim": "false"}}


def make_realm(server, realm: str) -> tuple[str, str]:
    """A realm with a confidential client (client credentials only); returns (client_id, secret)."""
    admin = {"Authorization": f"Bearer {server.admin_token()}"}
    created = requests.post(f"{server.url}/admin/realms", headers=admin, timeout=60,
                            json={"realm": realm, "enabled": True})
    assert created.status_code == 201, created.text
    client_id, secret = "stadtwerke-wassenberg", secrets.token_urlsafe(24)
    client = requests.post(f"{server.url}/admin/realms/{realm}/clients", headers=admin, timeout=60, json={
        "clientId": client_id, "enabled": True, "publicClient": False, "secret": secret,
        "serviceAccountsEnabled": True, "standardFlowEnabled": False, "directAccessGrantsEnabled": False,
        "protocolMappers": [
            {"name": "audience vorort", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
             "config": {"included.custom.audience": "vorort", "access.token.claim": "true",
                        "id.token.claim": "false"}},
            _hardcoded("role for vorort", "vorort_role", "municipality"),
            _hardcoded("ags for vorort", "vorort_ags", "05370040")]})
    assert client.status_code == 201, client.text
    return client_id, secret


def client_credentials_token(server, realm: str, client_id: str, secret: str) -> str:
    response = requests.post(f"{server.url}/realms/{realm}/protocol/openid-connect/token", timeout=60,
                             data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def applications(pg_database, server, monkeypatch):
    trusted_realm = f"partner-{secrets.token_hex(3)}"
    issuer = f"{server.url}/realms/{trusted_realm}"
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps(auth.trusted_entries() + [{
        "issuer": issuer, "jwks_uri": f"{issuer}/protocol/openid-connect/certs", "audience": "vorort",
        "claims": {"role": "vorort_role", "ags": "vorort_ags", "subject": "azp"},
        "scopes": ["applications:read"]}]))
    from services.applications.app import create_app

    app = create_app(settings("applications", pg_database("applications"), "127.0.0.1:1"))
    return app.test_client(), trusted_realm


def test_a_token_from_a_trusted_keycloak_realm_is_admitted_and_one_from_another_realm_is_not(server, applications):
    client, trusted_realm = applications
    untrusted_realm = f"fremd-{secrets.token_hex(3)}"
    trusted_token = client_credentials_token(server, trusted_realm, *make_realm(server, trusted_realm))
    untrusted_token = client_credentials_token(server, untrusted_realm, *make_realm(server, untrusted_realm))

    principal = auth.verify_token(trusted_token)
    assert (principal.role, principal.ags, principal.subject) == ("municipality", "05370040",
                                                                  "stadtwerke-wassenberg")
    assert principal.issuer.endswith(f"/realms/{trusted_realm}")
    admitted = client.get("/v1/calls", headers={"Authorization": f"Bearer {trusted_token}"})
    assert admitted.status_code == 200, admitted.json
    # the configured scopes are all this issuer's tokens get: reading, not writing
    assert client.post("/v1/calls", json={}, headers={"Authorization": f"Bearer {trusted_token}"}).status_code == 403

    refused = client.get("/v1/calls", headers={"Authorization": f"Bearer {untrusted_token}"})
    assert refused.status_code == 401 and "unknown issuer" in refused.json["message"]
