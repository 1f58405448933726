"""The identity service's settings, from the environment, with defaults that run on one machine."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.config import setting
from shared import auth


@dataclass(frozen=True)
class IdentitySettings:
    issuer: str
    token_ttl: timedelta          # access tokens live this long (RFC 9068 tokens cannot be recalled)
    key_publish_lead: timedelta   # a new key is in the JWKS this long before it signs
    clock_skew: timedelta         # a retired key stays published this much longer than its last token

    @classmethod
    def from_env(cls) -> IdentitySettings:
        return cls(
            issuer=auth.identity_issuer(),
            token_ttl=timedelta(seconds=int(setting("IDENTITY_TOKEN_TTL_SECONDS", "600"))),
            key_publish_lead=timedelta(seconds=int(setting("IDENTITY_KEY_PUBLISH_LEAD_SECONDS", "60"))),
            clock_skew=timedelta(seconds=auth.LEEWAY_S + 5),
        )
