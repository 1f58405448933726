"""Signed tokens for the confirmation and unsubscribe links."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta

from services.publishing.domain.vocabulary import _utcnow
from shared.errors import Forbidden, InvalidInput

# --------------------------------------------------------------------------------------------------
# Signed tokens (confirmation and unsubscribe links)
# --------------------------------------------------------------------------------------------------

TOKEN_PURPOSES = ("confirm", "unsubscribe")
_TOKEN_KEY_CONTEXT = b"netzwerk-vor-ort/publishing/token/v1"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_signature(secret: str | bytes, payload: str) -> str:
    key_material = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key_material:
        raise ValueError("A token secret is required.")
    # Derive a key for this use, so the shared app secret is never used directly as an HMAC key here.
    key = hmac.new(key_material, _TOKEN_KEY_CONTEXT, hashlib.sha256).digest()
    return _b64encode(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


# payload (base64url JSON) "." signature (base64url HMAC-SHA256, 43 characters)
TOKEN_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$"
TOKEN_INCOMPLETE = "This link is incomplete. Please copy the whole link from the e-mail."


def make_token(secret: str | bytes, purpose: str, email: str, now: datetime | None = None) -> str:
    """URL-safe signed token binding an address to a purpose and a time.

    Same idea as itsdangerous' URLSafeTimedSerializer (payload.timestamp-in-payload.signature, HMAC),
    written with the standard library because this module must not import third-party packages.
    The purpose is inside the signed payload, so a confirmation link cannot be replayed as an
    unsubscribe link and vice versa.
    """
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"Unknown token purpose '{purpose}'.")
    issued = int((now or _utcnow()).timestamp())
    payload = _b64encode(json.dumps({"p": purpose, "e": email, "t": issued}, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_token_signature(secret, payload)}"


def _signed_payload(secret: str | bytes, token: str) -> tuple[str, str, int]:
    """(purpose, address, issued) of a token signed with `secret`, whatever its age and purpose."""
    if not re.fullmatch(TOKEN_PATTERN, token or ""):
        raise InvalidInput(TOKEN_INCOMPLETE, field="token")
    payload, _sep, signature = token.partition(".")
    if not hmac.compare_digest(signature, _token_signature(secret, payload)):
        raise Forbidden("This link is not valid.", field="token")
    try:
        data = json.loads(_b64decode(payload))
        return str(data["p"]), str(data["e"]), int(data["t"])
    except (ValueError, KeyError, TypeError):
        raise Forbidden("This link is not valid.", field="token") from None


def signed_address(secret: str | bytes, token: str) -> str | None:
    """The address a token of ours names, expired or meant for another action too; None for a token that is
    incomplete, forged or not ours. For what a link's page may know about whom it was mailed to (its language),
    never for acting on it (read_token)."""
    try:
        return _signed_payload(secret, token)[1]
    except (InvalidInput, Forbidden):
        return None


def read_token(
    secret: str | bytes, purpose: str, token: str, max_age: int | float | timedelta, now: datetime | None = None
) -> str:
    """Return the address in a valid token. A token not of the form TOKEN_PATTERN is incomplete (InvalidInput,
    422); a well-formed one that is forged, expired, meant for another action or not ours is refused
    (Forbidden, 403), each with field 'token'.

    The signature is checked before anything in the payload is trusted; messages tell the person
    what to do (request a new link) without revealing which check failed beyond that.
    """
    max_seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else float(max_age)
    token_purpose, email, issued = _signed_payload(secret, token)
    if token_purpose != purpose:
        raise Forbidden("This link is meant for a different action.", field="token")
    age = (now or _utcnow()).timestamp() - issued
    if age < -60:  # issued in the future beyond clock skew: not one of ours
        raise Forbidden("This link is not valid.", field="token")
    if age > max_seconds:
        raise Forbidden("This link has expired. Please request a new one.", field="token")
    return email
