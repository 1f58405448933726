"""Sign-in through an organisation's OpenID Connect provider: authorization code flow with PKCE (S256).

The provider is a small one of the test's own on loopback (discovery, authorize, token, JWKS; RS256 ID
tokens); the portal talks to it over real HTTP through Authlib. It signs in only a registered person."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

from portal_support import Clock
from support import settings
from vorort.broker import free_port

pytestmark = pytest.mark.integration

CLIENT_ID, CLIENT_SECRET = "vorort-portal", "s3cret-" + secrets.token_hex(8)


class Provider:
    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.email = "petra.beispiel@mhkbg.example.org"
        self.pkce_checked = 0
        app = Flask("provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(issuer=self.issuer, authorization_endpoint=f"{self.issuer}/authorize",
                           token_endpoint=f"{self.issuer}/token", jwks_uri=f"{self.issuer}/jwks",
                           response_types_supported=["code"], id_token_signing_alg_values_supported=["RS256"],
                           code_challenge_methods_supported=["S256"])

        @app.get("/jwks")
        def jwks():
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return jsonify(keys=[dict(public, kid="k1", use="sig", alg="RS256")])

        @app.get("/authorize")
        def authorize():
            args = request.args
            assert args["code_challenge_method"] == "S256" and args["client_id"] == CLIENT_ID
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": args["code_challenge"], "nonce": args.get("nonce"),
                                "redirect_uri": args["redirect_uri"]}
            return redirect(f"{args['redirect_uri']}?code={code}&state={args['state']}")

        @app.post("/token")
        def token():
            grant = self.codes.pop(request.form["code"], None)
            verifier = request.form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant is None or digest != grant["challenge"]:
                return jsonify(error="invalid_grant"), 400
            self.pkce_checked += 1
            now = int(time.time())
            id_token = jwt.encode({"iss": self.issuer, "aud": CLIENT_ID, "sub": "u-1", "email": self.email,
                                   "email_verified": True, "nonce": grant["nonce"], "iat": now, "exp": now + 300},
                                  self.key, algorithm="RS256", headers={"kid": "k1"})
            return jsonify(access_token="at-" + secrets.token_hex(8), token_type="Bearer", expires_in=300,
                           id_token=id_token)

        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.server.shutdown()


@pytest.fixture
def provider():
    with Provider() as running:
        yield running


@pytest.fixture
def portal(pg_database, provider):
    from services.portal.app import PortalSettings, create_app

    clock = Clock()
    app = create_app(settings("portal", pg_database("portal"), "127.0.0.1:9"), clock=clock, portal=PortalSettings(
        base_url="http://localhost", smtp_url="smtp://127.0.0.1:9", sender="p@example.org",
        office_email="o@example.org",
        oidc={"issuer": provider.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "label": "Land NRW"}))
    app.extensions["vorort-portal"].people.add(email="petra.beispiel@mhkbg.example.org", name="Petra Beispiel",
                                               role="steering", member_id="stg-ministerium", now=clock())
    return app


def through_provider(client, provider) -> object:
    """Start at the portal, let the provider authorize, come back with the code; the portal's answer."""
    start = client.get("/oidc/login?next=/review")
    assert start.status_code == 302 and start.location.startswith(provider.issuer + "/authorize")
    assert parse_qs(urlsplit(start.location).query)["code_challenge_method"] == ["S256"]
    back = requests.get(start.location, allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_the_sign_in_page_offers_the_configured_provider(portal):
    page = portal.test_client().get("/signin").get_data(as_text=True)
    assert "Anmelden mit Land NRW" in page


def test_a_registered_person_signs_in_with_the_authorization_code_and_pkce(portal, provider):
    client = portal.test_client()
    answer = through_provider(client, provider)
    assert answer.status_code == 302 and answer.location.endswith("/review")
    assert provider.pkce_checked == 1
    assert "Petra Beispiel" in client.get("/").get_data(as_text=True)


def test_an_address_nobody_registered_is_refused(portal, provider):
    provider.email = "someone.else@example.org"
    client = portal.test_client()
    answer = through_provider(client, provider)
    assert answer.status_code == 400
    assert "Angemeldet als" not in client.get("/").get_data(as_text=True)


def test_without_a_configured_provider_there_is_no_oidc_sign_in(pg_database):
    from services.portal.app import PortalSettings, create_app

    app = create_app(settings("portal", pg_database("portal"), "127.0.0.1:9"), portal=PortalSettings(
        base_url="http://localhost", smtp_url="smtp://127.0.0.1:9", sender="p@example.org", office_email="o@example.org"))
    assert app.test_client().get("/oidc/login").status_code == 404
    assert "/oidc/login" not in app.test_client().get("/signin").get_data(as_text=True)
