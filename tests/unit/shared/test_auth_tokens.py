"""Tokens: only a well-signed, unexpired token for our audience with a known role gets in."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from shared import auth
from shared.config import ServiceSettings


def _claims(**overrides):
    now = datetime.now(timezone.utc)
    claims = {"sub": "erika", "role": "staff", "aud": "vorort", "iss": "vorort", "iat": now,
              "exp": now + timedelta(minutes=5)}
    claims.update(overrides)
    return claims


def _client():
    from services.applications.app import create_app

    return create_app(ServiceSettings("applications", "sqlite://", "127.0.0.1:1", "development")).test_client()


def test_a_valid_token_identifies_the_principal():
    principal = auth.verify_token(auth.issue_token("municipality", "wassenberg", ags="05370040"))
    assert (principal.role, principal.ags, principal.subject) == ("municipality", "05370040", "wassenberg")


@pytest.mark.parametrize("name,token_factory", [
    ("expired", lambda: jwt.encode(_claims(exp=datetime.now(timezone.utc) - timedelta(seconds=5)),
                                   auth.signing_key(), algorithm="HS256")),
    ("wrong signature", lambda: jwt.encode(_claims(), "another-key-entirely-0123456789abcdef", algorithm="HS256")),
    ("wrong audience", lambda: jwt.encode(_claims(aud="someone-else"), auth.signing_key(), algorithm="HS256")),
    ("wrong issuer", lambda: jwt.encode(_claims(iss="someone-else"), auth.signing_key(), algorithm="HS256")),
    ("unknown role", lambda: jwt.encode(_claims(role="admin"), auth.signing_key(), algorithm="HS256")),
    ("municipality without ags", lambda: jwt.encode(_claims(role="municipality"), auth.signing_key(),
                                                   algorithm="HS256")),
    ("no expiry", lambda: jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, auth.signing_key(),
                                     algorithm="HS256")),
    ("alg none", lambda: ".".join([
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(json.dumps({"sub": "x", "role": "staff", "aud": "vorort", "iss": "vorort",
                                             "exp": 4102444800}).encode()).decode().rstrip("="), ""])),
    ("garbage", lambda: "not.a.token"),
])
def test_bad_tokens_are_refused_with_401(name, token_factory):
    token = token_factory()
    with pytest.raises(auth.InvalidToken):
        auth.verify_token(token)
    response = _client().get("/v1/calls", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, name
    assert response.json["code"] == 401


def test_a_service_refuses_to_start_without_its_key_outside_development(monkeypatch):
    monkeypatch.setenv("VORORT_ENV", "production")
    monkeypatch.delenv("VORORT_JWT_SECRET", raising=False)
    from services.applications.app import create_app

    with pytest.raises(auth.MissingSigningKey):
        create_app(ServiceSettings("applications", "sqlite://", "127.0.0.1:1", "production"))


def test_in_production_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("VORORT_ENV", "production")
    monkeypatch.setenv("VORORT_JWT_SECRET", "a-production-secret-of-enough-length-0123456789")
    token = auth.issue_token("staff", "erika")
    assert auth.verify_token(token).subject == "erika"
    assert jwt.decode(token, "a-production-secret-of-enough-length-0123456789", algorithms=["HS256"],
                      audience="vorort")["role"] == "staff"
