"""Identity's rules without infrastructure: who may have which client, and how keys rotate."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.identity.domain import ApiClient, KeyRing, Organisation, Person, SigningKey
from services.identity.handlers import new_signing_key
from shared.auth import api_scopes
from shared.errors import Conflict, InvalidInput

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)
TTL, LEAD, SKEW = timedelta(minutes=10), timedelta(seconds=60), timedelta(seconds=10)


def _client(**overrides):
    arguments = dict(name="GIS", role="municipality", ags="05370040", subject=None, scopes=[],
                     allowed_scopes=api_scopes(), auth_method="client_secret_basic", secret_hash="h",
                     public_jwk=None, expires_at=None, now=NOW)
    arguments.update(overrides)
    return ApiClient.register(**arguments)


def test_a_municipality_client_needs_its_ags_and_acts_as_the_municipality():
    client = _client()
    assert client.subject == "municipality:05370040" and client.scopes == list(api_scopes())
    with pytest.raises(InvalidInput) as missing:
        _client(ags=None)
    assert missing.value.field == "ags"


def test_a_steering_client_must_name_the_member_it_acts_for():
    with pytest.raises(InvalidInput) as error:
        _client(role="steering", ags=None)
    assert error.value.field == "subject"
    assert _client(role="steering", ags=None, subject="stg-ihk").subject == "stg-ihk"


def test_a_client_of_an_organisation_has_its_role_and_ags():
    wassenberg = Organisation.register(kind="municipality", name="Wassenberg", ags="05370040", now=NOW)
    client = _client(role=None, ags=None, organisation=wassenberg)
    assert (client.role, client.ags) == ("municipality", "05370040")
    # The organisation's kind decides the role: a conflict with its state (409), not a bad body (422).
    with pytest.raises(Conflict) as error:
        _client(role="staff", ags=None, organisation=wassenberg)
    assert error.value.field == "role"


def test_a_client_bound_to_a_revoked_person_cannot_be_made():
    ihk = Organisation.register(kind="steering_institution", name="IHK NRW", ags=None, now=NOW)
    member = Person.register(ihk, name="Frank Fiktiv", email="f@example.org", subject="stg-ihk",
                             panel_call_ids=["c1"], now=NOW)
    assert _client(role=None, ags=None, person=member).subject == "stg-ihk"
    member.revoke(NOW)
    with pytest.raises(Conflict):
        _client(role=None, ags=None, person=member)


def test_private_key_jwt_needs_a_public_key_and_unknown_scopes_are_refused():
    with pytest.raises(InvalidInput):
        _client(auth_method="private_key_jwt")
    with pytest.raises(InvalidInput) as error:
        _client(scopes=["everything"])
    assert error.value.field == "scopes"


def test_an_expired_or_revoked_client_gets_no_tokens():
    client = _client(expires_at=NOW + timedelta(days=1))
    assert client.may_get_tokens(NOW)
    assert not client.may_get_tokens(NOW + timedelta(days=2))
    client.revoke(NOW)
    assert not client.may_get_tokens(NOW)
    with pytest.raises(Conflict):
        client.revoke(NOW)


def test_a_new_key_is_published_before_it_signs_and_the_old_one_stays_until_its_tokens_expired():
    old = new_signing_key(NOW)
    ring = KeyRing([old])
    assert ring.signing_key(NOW) is old
    new = new_signing_key(NOW)
    ring.rotate(new, lead=LEAD, token_ttl=TTL, skew=SKEW, now=NOW)
    assert {k.kid for k in ring.published(NOW)} == {old.kid, new.kid}
    assert ring.signing_key(NOW + LEAD - timedelta(seconds=1)) is old
    assert ring.signing_key(NOW + LEAD) is new
    last_old_token_expires = NOW + LEAD + TTL
    assert old.kid in {k.kid for k in ring.published(last_old_token_expires)}
    assert old.kid not in {k.kid for k in ring.published(last_old_token_expires + SKEW)}
    assert ring.expired(last_old_token_expires + SKEW) == [old]


def test_a_key_whose_private_half_was_destroyed_never_signs():
    key = SigningKey(kid="k", alg="ES256", private_jwk=None, public_jwk={}, created_at=NOW, signs_from=NOW)
    assert KeyRing([key]).signing_key(NOW) is None
