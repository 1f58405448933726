"""Signed confirmation and unsubscribe tokens."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.publishing.domain import make_token, read_token
from shared.errors import DomainError, Forbidden, InvalidInput

from .publishing_helpers import NOW, SECRET

DAY = 24 * 3600


def test_token_round_trip_returns_the_address():
    token = make_token(SECRET, "confirm", "erika@example.org", NOW)
    assert read_token(SECRET, "confirm", token, max_age=DAY, now=NOW + timedelta(hours=1)) == "erika@example.org"


def test_max_age_may_be_a_timedelta():
    token = make_token(SECRET, "unsubscribe", "erika@example.org", NOW)
    assert read_token(SECRET, "unsubscribe", token, timedelta(days=365), now=NOW + timedelta(days=300))


def test_token_is_url_safe():
    token = make_token(SECRET, "unsubscribe", "ümlaut+tag@example.org", NOW)
    assert all(c.isalnum() or c in "-_." for c in token)


def _rejected(token, purpose="confirm", secret=SECRET, now=NOW, refusal=Forbidden) -> DomainError:
    """A well-formed token that is not good: 403; one not of the token's form: 422 (its OpenAPI pattern)."""
    with pytest.raises(DomainError) as err:
        read_token(secret, purpose, token, max_age=DAY, now=now)
    assert err.value.field == "token" and type(err.value) is refusal
    return err.value


def test_token_signed_with_another_secret_is_rejected():
    _rejected(make_token("someone-elses-secret", "confirm", "erika@example.org", NOW))


def test_token_with_tampered_payload_is_rejected():
    genuine = make_token(SECRET, "confirm", "erika@example.org", NOW)
    forged_payload = make_token(SECRET, "confirm", "mallory@example.org", NOW).split(".")[0]
    _rejected(forged_payload + "." + genuine.split(".")[1])


def test_token_with_tampered_signature_is_rejected():
    token = make_token(SECRET, "confirm", "erika@example.org", NOW)
    last = "A" if token[-1] != "A" else "B"
    _rejected(token[:-1] + last)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "....", "%%%.%%%"])
def test_garbage_is_rejected(garbage):
    _rejected(garbage, refusal=InvalidInput)


def test_expired_token_is_rejected_with_a_clear_message():
    token = make_token(SECRET, "confirm", "erika@example.org", NOW)
    error = _rejected(token, now=NOW + timedelta(seconds=DAY + 1))
    assert "expired" in error.message


def test_token_for_another_purpose_is_rejected():
    token = make_token(SECRET, "confirm", "erika@example.org", NOW)
    error = _rejected(token, purpose="unsubscribe")
    assert "different action" in error.message


def test_unknown_purpose_cannot_be_issued():
    with pytest.raises(ValueError):
        make_token(SECRET, "login", "erika@example.org", NOW)
