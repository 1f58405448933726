"""Tokens: only an asymmetrically signed, unexpired access token of a trusted issuer, for our audience,
with a known role and a key in that issuer's JWKS, gets in; its scopes decide what it may do."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from joserfc import jwk

from shared import auth
from shared.config import ServiceSettings


def _claims(**overrides):
    now = datetime.now(timezone.utc)
    claims = {"sub": "erika", "role": "staff", "aud": "vorort", "iss": auth.TEST_ISSUER, "iat": now,
              "exp": now + timedelta(minutes=5), "scope": " ".join(auth.api_scopes())}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _test_key():
    return auth._test_issuer_key()


def _signed(claims: dict, *, key=None, kid=None, alg="ES256", typ="at+jwt") -> str:
    test_key = _test_key()
    return jwt.encode(claims, (key or test_key.key), algorithm=alg,
                      headers={"kid": kid or test_key.key_id, "typ": typ})


def _foreign_key():
    return jwk.ECKey.generate_key("P-256", parameters={"kid": "foreign", "alg": "ES256"}, private=True)


def _unsigned(claims: dict) -> str:
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    body = {k: (int(v.timestamp()) if isinstance(v, datetime) else v) for k, v in claims.items()}
    return ".".join([part({"alg": "none", "typ": "at+jwt", "kid": _test_key().key_id}), part(body), ""])


def _public_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return _test_key().key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed_by_a_foreign_key_with_our_kid() -> str:
    return _signed(_claims(), key=jwt.PyJWK(_foreign_key().as_dict(private=True)).key)


@pytest.fixture
def client(tmp_path):
    from services.applications.app import MIGRATIONS, create_app
    from shared.db import migrate

    url = f"sqlite:///{tmp_path / 'applications.db'}"
    migrate(url, MIGRATIONS)
    return create_app(ServiceSettings("applications", url, "127.0.0.1:1", "development")).test_client()


def test_a_valid_token_identifies_the_principal():
    principal = auth.verify_token(auth.issue_token("municipality", "wassenberg", ags="05370040"))
    assert (principal.role, principal.ags, principal.subject) == ("municipality", "05370040", "wassenberg")
    assert principal.issuer == auth.TEST_ISSUER and "applications:write" in principal.scopes


def _hs256_with_the_public_key():
    # the classic confusion: the issuer's public key used as an HMAC secret; PyJWT itself refuses to do
    # this, so the token is assembled by hand
    import hashlib
    import hmac

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    body = {k: (int(v.timestamp()) if isinstance(v, datetime) else v) for k, v in _claims().items()}
    signing_input = part({"alg": "HS256", "typ": "at+jwt", "kid": _test_key().key_id}) + "." + part(body)
    signature = hmac.new(_public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


BAD_TOKENS = [
    ("HS256 with some key", lambda: jwt.encode(_claims(), "another-key-entirely-0123456789abcdef", algorithm="HS256",
                                               headers={"kid": _test_key().key_id})),
    ("HS256 with the issuer's public key", _hs256_with_the_public_key),
    ("alg none", lambda: _unsigned(_claims())),
    ("expired", lambda: _signed(_claims(exp=datetime.now(timezone.utc) - timedelta(seconds=60)))),
    ("wrong audience", lambda: _signed(_claims(aud="someone-else"))),
    ("unknown issuer", lambda: _signed(_claims(iss="https://issuer.example.org"))),
    ("unknown kid", lambda: _signed(_claims(), kid="no-such-key")),
    ("right kid, foreign key", _signed_by_a_foreign_key_with_our_kid),
    ("unknown role", lambda: _signed(_claims(role="admin"))),
    ("municipality without ags", lambda: _signed(_claims(role="municipality"))),
    ("no expiry", lambda: _signed(_claims(exp=None))),
    ("garbage", lambda: "not.a.token"),
]


@pytest.mark.parametrize("name,token_factory", BAD_TOKENS, ids=[name for name, _ in BAD_TOKENS])
def test_bad_tokens_are_refused_with_401(client, name, token_factory):
    token = token_factory()
    with pytest.raises(auth.InvalidToken):
        auth.verify_token(token)
    response = client.get("/v1/calls", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, name
    assert response.json["code"] == 401


def test_a_token_reaches_only_what_its_scopes_allow(client):
    read_only = auth.issue_token("staff", "erika", scopes=["applications:read"])
    other_service = auth.issue_token("staff", "erika", scopes=["selection:read", "selection:write"])
    body = {"title": "T", "topic": "Smart City", "opens_at": "2030-01-01T09:00:00+01:00",
            "closes_at": "2030-02-01T09:00:00+01:00", "places": 3}
    assert client.get("/v1/calls", headers={"Authorization": f"Bearer {read_only}"}).status_code == 200
    refused = client.post("/v1/calls", json=body, headers={"Authorization": f"Bearer {read_only}"})
    assert refused.status_code == 403 and "applications:write" in refused.json["message"]
    assert client.get("/v1/calls", headers={"Authorization": f"Bearer {other_service}"}).status_code == 403
    full = auth.issue_token("staff", "erika")
    assert client.post("/v1/calls", json=body, headers={"Authorization": f"Bearer {full}"}).status_code == 201


def test_a_service_refuses_to_start_with_a_broken_trust_configuration(monkeypatch):
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps([{"issuer": "https://x.example.org"}]))
    from services.applications.app import create_app

    with pytest.raises(auth.MisconfiguredIssuers):
        create_app(ServiceSettings("applications", "sqlite://", "127.0.0.1:1", "production"))


def test_an_issuer_from_configuration_is_trusted_with_its_claim_mapping(client, monkeypatch, tmp_path):
    key = jwk.ECKey.generate_key("P-256", parameters={"kid": "partner-1", "alg": "ES256", "use": "sig"},
                                 private=True)
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    issuer = f"https://idp.example.org/realms/{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps(auth.trusted_entries() + [{
        "issuer": issuer, "jwks_uri": (tmp_path / "jwks.json").as_uri(), "audience": "vorort-api",
        "claims": {"role": "vorort_role", "subject": "azp"}, "scopes": ["applications:read"]}]))
    now = datetime.now(timezone.utc)
    token = jwt.encode({"iss": issuer, "aud": "vorort-api", "sub": "f81d4fae", "azp": "stadtwerke-gis",
                        "vorort_role": "partner", "iat": now, "exp": now + timedelta(minutes=5)},
                       jwt.PyJWK(key.as_dict(private=True)).key, algorithm="ES256", headers={"kid": "partner-1"})
    principal = auth.verify_token(token)
    assert (principal.subject, principal.role, principal.scopes) == (
        "stadtwerke-gis", "partner", frozenset({"applications:read"}))
    assert client.get("/v1/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/v1/calls", json={}, headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_an_api_service_without_its_deny_list_refuses_to_start():
    """Fail closed: an API service whose metadata lacks `revoked_access` would accept revoked tokens, so it
    does not start at all."""
    import pytest
    from sqlalchemy import MetaData, create_engine

    from shared.bus import MessageBus
    from shared.web import ServiceContext, create_api_app

    ctx = ServiceContext(name="nodeny", engine=create_engine("sqlite://"), metadata=MetaData(),
                         uow_factory=lambda: None, kafka_bootstrap_servers="127.0.0.1:9",
                         bus=MessageBus(lambda: None, {}))
    with pytest.raises(RuntimeError, match="revoked_access"):
        create_api_app(name="nodeny", title="t", description="d", blueprints=[], ctx=ctx)


def test_a_token_living_longer_than_its_issuers_maximum_is_refused(client, monkeypatch, tmp_path):
    """Short-lived tokens by default: a trusted external issuer's token that lives a day gets 401, one of
    five minutes is accepted; the entry's `max_lifetime_s` may lower the bound further."""
    key = jwk.ECKey.generate_key("P-256", parameters={"kid": "long-1", "alg": "ES256", "use": "sig"}, private=True)
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    issuer = f"https://idp.example.org/realms/{uuid.uuid4().hex[:6]}"
    entry = {"issuer": issuer, "jwks_uri": (tmp_path / "jwks.json").as_uri(), "role": "partner"}
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps(auth.trusted_entries() + [entry]))
    now = datetime.now(timezone.utc)

    def token(lifetime: timedelta, with_iat: bool = True) -> str:
        claims = {"iss": issuer, "aud": auth.AUDIENCE, "sub": "gis", "exp": now + lifetime}
        if with_iat:
            claims["iat"] = now
        return jwt.encode(claims, jwt.PyJWK(key.as_dict(private=True)).key, algorithm="ES256",
                          headers={"kid": "long-1"})

    assert auth.verify_token(token(timedelta(minutes=5))).subject == "gis"
    for long_lived in (token(timedelta(days=1)), token(timedelta(days=1), with_iat=False)):
        assert client.get("/v1/calls", headers={"Authorization": f"Bearer {long_lived}"}).status_code == 401
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps(auth.trusted_entries()[:-1] + [
        {**entry, "max_lifetime_s": 120}]))
    assert client.get("/v1/calls", headers={"Authorization": f"Bearer {token(timedelta(minutes=5))}"}).status_code == 401


def _partner_issuer(monkeypatch, tmp_path, kid: str):
    key = jwk.ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256", "use": "sig"}, private=True)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    issuer = f"https://idp.example.org/realms/{uuid.uuid4().hex[:6]}"
    entries = auth.trusted_entries() + [{"issuer": issuer, "jwks_uri": jwks.as_uri(), "role": "partner"}]
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps(entries))
    now = datetime.now(timezone.utc)
    token = jwt.encode({"iss": issuer, "aud": "vorort", "sub": "stadtwerke", "iat": now,
                        "exp": now + timedelta(minutes=5)},
                       jwt.PyJWK(key.as_dict(private=True)).key, algorithm="ES256", headers={"kid": kid})
    return token, jwks, entries


def test_a_verified_token_is_not_verified_again_while_it_lives(monkeypatch):
    token = auth.issue_token("staff", "erika")
    first = auth.verify_token(token)
    checked = []
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: checked.append(a) or pytest.fail("decoded again"))
    assert auth.verify_token(token) == first and checked == []


def test_a_cached_token_ends_when_its_key_leaves_the_issuers_key_set(monkeypatch, tmp_path):
    token, jwks, _ = _partner_issuer(monkeypatch, tmp_path, "rotating-1")
    assert auth.verify_token(token).subject == "stadtwerke"
    jwks.write_text(json.dumps({"keys": []}))  # the issuer withdrew the key
    monkeypatch.setattr(auth.JWKS, "max_age_s", 0.0)  # the next look-up fetches the key set again
    with pytest.raises(auth.InvalidToken, match="unknown signing key"):
        auth.verify_token(token)


def test_a_cached_token_ends_when_its_issuer_is_no_longer_trusted(monkeypatch, tmp_path):
    token, _, entries = _partner_issuer(monkeypatch, tmp_path, "distrusted-1")
    assert auth.verify_token(token).role == "partner"
    monkeypatch.setenv("VORORT_TRUSTED_ISSUERS", json.dumps(entries[:-1]))
    with pytest.raises(auth.InvalidToken, match="unknown issuer"):
        auth.verify_token(token)


def test_a_cached_token_ends_at_its_expiry(monkeypatch):
    token = auth.issue_token("staff", "erika", ttl=timedelta(minutes=2))
    principal = auth.verify_token(token)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert auth.VERIFIED.get(token, now=expires + auth.LEEWAY_S - 1).principal == principal
    assert auth.VERIFIED.get(token, now=expires + auth.LEEWAY_S) is None


def test_the_verified_token_cache_stays_within_its_bound():
    from shared.token_cache import Verified, VerifiedTokens

    cache = VerifiedTokens(max_entries=100)
    for i in range(1000):
        cache.put(f"token-{i}", Verified(principal=i, valid_until=9e9, issuer=None, key=None))
    assert len(cache) <= 100 and cache.get("token-999").principal == 999
