"""Issue 12, acceptance 2 and 3, against the real platform (gunicorn + workers, PostgreSQL, Kafka):

- a client created by the CLI gets tokens by client credentials (client_secret_basic and private_key_jwt),
  is admitted, and after `vorort clients revoke` every service answers its tokens with 401 within 10 s;
- forged and unfit tokens (HS256 with any key, alg none, unknown issuer, wrong audience, expired, unknown
  kid) get 401 on every service; tokens issued before a key rotation keep working until they expire, and
  the rotated-out key leaves the JWKS after that.
This platform runs with short token lifetimes (60 s) and a short key lead (2 s), so that expiry and
rotation can be watched; production defaults are 600 s and 60 s.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
import requests
from joserfc import jwk

from shared import auth
from shared.config import REPO_ROOT
from support import eventually, start_platform, stop_platform

pytestmark = pytest.mark.integration

SERVICES = ["identity", "applications", "selection", "workshops", "publishing"]
TOKEN_TTL_S = 60
# every API service has this staff-only read; a non-staff token gets 403 there, never 401, while it is valid
PROBE = "/v1/personal-data?email=probe@example.org"


@pytest.fixture(scope="module")
def access_platform(postgres, kafka_bootstrap, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("identity-platform-logs")
    running = start_platform(postgres, kafka_bootstrap, log_dir, SERVICES, extra_env={
        "IDENTITY_TOKEN_TTL_SECONDS": str(TOKEN_TTL_S), "IDENTITY_KEY_PUBLISH_LEAD_SECONDS": "2"})
    running.log_dir = log_dir
    yield running
    stop_platform(running)


def vorort(platform, *args) -> str:
    import os

    env = dict(os.environ)
    env.update(platform.env)
    result = subprocess.run([str(Path(sys.executable).parent / "vorort"), *args], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def token_url(platform) -> str:
    return platform.url("identity") + "/oauth/token"


def token_by_basic(platform, client_id: str, secret: str) -> requests.Response:
    return requests.post(token_url(platform), data={"grant_type": "client_credentials"},
                         auth=(client_id, secret), timeout=30)


def token_by_private_key_jwt(platform, client_id: str, key: jwk.ECKey) -> requests.Response:
    now = datetime.now(timezone.utc)
    assertion = jwt.encode({"iss": client_id, "sub": client_id, "aud": token_url(platform), "iat": now,
                            "exp": now + timedelta(minutes=2), "jti": uuid.uuid4().hex},
                           jwt.PyJWK(key.as_dict(private=True)).key, algorithm="ES256",
                           headers={"kid": key.kid})
    return requests.post(token_url(platform), timeout=30, data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})


def expiry(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["exp"]


def status(platform, service: str, token: str, path: str = PROBE) -> int:
    return requests.get(platform.url(service) + path, headers={"Authorization": f"Bearer {token}"},
                        timeout=30).status_code


def staff_client(platform, tmp_path):
    key = jwk.ECKey.generate_key("P-256", parameters={"kid": "partner-key-1", "alg": "ES256"}, private=True)
    public = tmp_path / f"public-{uuid.uuid4().hex[:6]}.jwk"
    public.write_text(json.dumps(key.as_dict(private=False)))
    created = json.loads(vorort(platform, "clients", "add", "--name", "Fachverfahren der Geschäftsstelle",
                                "--role", "staff", "--subject", "fachverfahren", "--public-jwk", str(public),
                                "--json"))
    assert created["client_secret"] is None and created["auth_method"] == "private_key_jwt"
    return created["client_id"], key


def test_a_cli_client_gets_tokens_is_admitted_and_is_locked_out_everywhere_once_revoked(access_platform,
                                                                                           tmp_path):
    platform = access_platform
    municipality = json.loads(vorort(platform, "clients", "add", "--name", "GIS der Stadt Wassenberg",
                                     "--role", "municipality", "--ags", "05370040", "--json"))
    assert municipality["client_secret"] and municipality["role"] == "municipality"
    listed = vorort(platform, "clients", "list")
    assert municipality["client_id"] in listed and municipality["client_secret"] not in listed

    by_basic = token_by_basic(platform, municipality["client_id"], municipality["client_secret"])
    assert by_basic.status_code == 200, by_basic.text
    assert by_basic.json()["expires_in"] == TOKEN_TTL_S and by_basic.json()["token_type"] == "Bearer"
    basic_token = by_basic.json()["access_token"]
    assert jwt.get_unverified_header(basic_token)["alg"] == "ES256"
    assert jwt.get_unverified_header(basic_token)["typ"] == "at+jwt"
    calls = requests.get(platform.url("applications") + "/v1/calls",
                         headers={"Authorization": f"Bearer {basic_token}"}, timeout=30)
    assert calls.status_code == 200, calls.text

    wrong_secret = token_by_basic(platform, municipality["client_id"], "not-the-secret")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"

    staff_id, staff_key = staff_client(platform, tmp_path)
    by_key = token_by_private_key_jwt(platform, staff_id, staff_key)
    assert by_key.status_code == 200, by_key.text
    key_token = by_key.json()["access_token"]
    basic_token = token_by_basic(platform, municipality["client_id"], municipality["client_secret"]).json()[
        "access_token"]  # afresh: creating the second client may take a while on a loaded machine
    for service in SERVICES:
        assert status(platform, service, key_token) == 200, service
        assert status(platform, service, basic_token) == 403, service  # valid, but not staff
    calls = requests.get(platform.url("applications") + "/v1/calls",
                         headers={"Authorization": f"Bearer {key_token}"}, timeout=30)
    assert calls.status_code == 200

    # one revocation by the CLI, one by the API (as the admin pages do); each must reach every service
    # within 10 s of the moment it was made
    def locked_out_everywhere(token):
        return lambda: all(status(platform, service, token) == 401 for service in SERVICES)

    vorort(platform, "clients", "revoke", municipality["client_id"])
    revoked = time.monotonic()
    eventually(locked_out_everywhere(basic_token), timeout=10, interval=0.2,
               message="every service refuses the CLI-revoked client's token within 10 s")
    by_cli = time.monotonic() - revoked
    assert time.time() < expiry(basic_token), "refused because revoked, not because expired"
    key_token = token_by_private_key_jwt(platform, staff_id, staff_key).json()["access_token"]  # a fresh one
    assert status(platform, "applications", key_token) == 200
    answer = requests.post(f"{platform.url('identity')}/v1/clients/{staff_id}/revoke", timeout=30,
                           headers={"Authorization": "Bearer " + auth.issue_token("staff", "erika.office")})
    assert answer.status_code == 200 and answer.json()["status"] == "revoked"
    revoked = time.monotonic()
    eventually(locked_out_everywhere(key_token), timeout=10, interval=0.2,
               message="every service refuses the API-revoked client's token within 10 s")
    by_api = time.monotonic() - revoked
    assert time.time() < expiry(key_token), "refused because revoked, not because expired"
    print(f"\nrevocation effective on all {len(SERVICES)} services: {by_cli:.1f} s after the CLI, "
          f"{by_api:.1f} s after the API")
    again = token_by_basic(platform, municipality["client_id"], municipality["client_secret"])
    assert again.status_code in (400, 401) and "access_token" not in again.json()
    assert token_by_private_key_jwt(platform, staff_id, staff_key).status_code in (400, 401)


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(issuer: str, **overrides) -> dict:
    now = int(time.time())
    claims = {"iss": issuer, "aud": "vorort", "sub": "mallory", "role": "staff", "iat": now, "exp": now + 300,
              "scope": " ".join(auth.api_scopes()), "client_id": "mallory"}
    claims.update(overrides)
    return claims


def _hs256(claims: dict, secret: bytes, kid: str) -> str:
    signing_input = _b64({"alg": "HS256", "typ": "at+jwt", "kid": kid}) + "." + _b64(claims)
    return signing_input + "." + _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def _es256(claims: dict, key: jwk.ECKey, kid: str) -> str:
    return jwt.encode(claims, jwt.PyJWK(key.as_dict(private=True)).key, algorithm="ES256",
                      headers={"kid": kid, "typ": "at+jwt"})


def test_forged_and_unfit_tokens_get_401_on_every_service(access_platform, tmp_path):
    platform = access_platform
    issuer = platform.url("identity")
    jwks = requests.get(issuer + "/.well-known/jwks.json", timeout=30).json()["keys"]
    assert jwks and all("d" not in key for key in jwks)  # public halves only
    kid = jwks[0]["kid"]
    public_pem = jwk.import_key(jwks[0]).as_pem(private=False)
    stranger = jwk.ECKey.generate_key("P-256", private=True)
    test_key = auth._test_issuer_key()
    staff_id, staff_key = staff_client(platform, tmp_path)
    good = token_by_private_key_jwt(platform, staff_id, staff_key).json()["access_token"]

    bad = {
        "HS256 with a random key": _hs256(_claims(issuer), uuid.uuid4().bytes * 2, kid),
        "HS256 with identity's public key": _hs256(_claims(issuer), public_pem, kid),
        "alg none": _b64({"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + _b64(_claims(issuer)) + ".",
        "unknown issuer": _es256(_claims("https://idp.example.org/realms/fremd"), stranger, "fremd-1"),
        "our kid, someone else's key": _es256(_claims(issuer), stranger, kid),
        "unknown kid": _es256(_claims(issuer), stranger, "no-such-kid"),
        "wrong audience": jwt.encode(_claims(auth.TEST_ISSUER, aud="another-api"), test_key.key,
                                     algorithm="ES256", headers={"kid": test_key.key_id, "typ": "at+jwt"}),
        "expired": auth.issue_token("staff", "mallory", ttl=timedelta(seconds=-60)),
    }
    for service in SERVICES:
        assert status(platform, service, good) == 200, service
        for name, token in bad.items():
            assert status(platform, service, token) == 401, f"{service}: {name}"


def test_tokens_from_before_a_rotation_live_until_they_expire_and_the_old_key_then_leaves_the_jwks(
        access_platform, tmp_path):
    platform = access_platform
    issuer = platform.url("identity")
    staff_id, staff_key = staff_client(platform, tmp_path)

    def published() -> set[str]:
        return {key["kid"] for key in requests.get(issuer + "/.well-known/jwks.json", timeout=30).json()["keys"]}

    before = token_by_private_key_jwt(platform, staff_id, staff_key).json()["access_token"]
    old_kid = jwt.get_unverified_header(before)["kid"]
    expires = jwt.decode(before, options={"verify_signature": False})["exp"]
    vorort(platform, "keys", "rotate")
    new_kids = published() - {old_kid}
    assert len(new_kids) == 1 and old_kid in published()  # the next key is published before it signs

    def signed_by_the_new_key():
        token = token_by_private_key_jwt(platform, staff_id, staff_key).json()["access_token"]
        return token if jwt.get_unverified_header(token)["kid"] in new_kids else None

    after = eventually(signed_by_the_new_key, timeout=30, interval=0.5, message="the new key signs")
    assert time.time() < expires, "the platform is too slow for this test's short-lived tokens"
    for service in SERVICES:
        assert status(platform, service, before) == 200, service
        assert status(platform, service, after) == 200, service

    eventually(lambda: time.time() > expires + auth.LEEWAY_S + 1, timeout=TOKEN_TTL_S + 30, interval=0.5,
               message="the old token's expiry")
    for service in SERVICES:
        assert status(platform, service, before) == 401, service
    eventually(lambda: old_kid not in published(), timeout=30, interval=0.5, message="the old key leaves the JWKS")
    assert new_kids <= published()
