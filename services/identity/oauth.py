"""The authorization server, on Authlib: the client credentials grant (RFC 6749 4.4) with
client_secret_basic, client_secret_post and private_key_jwt (RFC 7523), JWT access tokens (RFC 9068)
signed by the current signing key, and the metadata (RFC 8414, OpenID Connect discovery).

What Authlib lacks and is written here: the adapter from our ApiClient to Authlib's ClientMixin, the
argon2 secret check, the replay store for assertion `jti`s, the claims we add (role, ags, our `sub`).
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2.exceptions import InvalidHashError, VerificationError
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, InvalidRequestError, UnauthorizedClientError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwk
from sqlalchemy.exc import IntegrityError

from services.identity import handlers
from services.identity.db import client_assertions
from services.identity.domain import KEY_METHOD, KeyRing
from services.identity.handlers import HASHER
from services.identity.settings import IdentitySettings
from shared.auth import AUDIENCE, api_scopes
from shared.municipalities import AGS_RE
from shared.web import storable

TOKEN_PATH = "/oauth/token"
JWKS_PATH = "/.well-known/jwks.json"
KEY_CACHE_S = 2.0


class OAuthClient(ClientMixin):
    """Authlib's view of one of our API clients."""

    def __init__(self, client, now: datetime):
        self.client = client
        self.now = now

    def get_client_id(self):
        return self.client.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = set(self.client.scopes)
        if not scope:
            return " ".join(s for s in api_scopes() if s in allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        if not self.client.secret_hash or not client_secret:
            return False
        try:
            return HASHER.verify(self.client.secret_hash, client_secret)
        except (VerificationError, InvalidHashError):
            return False

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint != "token":
            return False
        if method == KEY_METHOD:
            return self.client.auth_method == KEY_METHOD
        # a client with a secret may send it in the header or in the body
        return method in ("client_secret_basic", "client_secret_post") and self.client.secret_hash is not None

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        if not self.client.may_get_tokens(self.now):
            return False
        return grant_type == "client_credentials" or (grant_type == DELEGATION_GRANT and
                                                      bool(self.client.delegate_roles))


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", KEY_METHOD]


DELEGATION_GRANT = "urn:vorort:params:oauth:grant-type:delegation"
SUBJECT = re.compile(r"^[A-Za-z0-9._:@-]{1,200}$")


@dataclass(frozen=True)
class Delegated:
    """The person a delegating client acts for (Authlib's "user" of the token)."""
    subject: str
    role: str
    ags: str | None

    def get_user_id(self):
        return self.subject


class Delegation(ClientCredentials):
    """A client that signs people in itself (the portal) gets a token for one of them: form parameters
    `role`, `subject` and, for a municipality, `ags`. Only roles listed in the client's `delegate_roles`
    (never staff); the token's `act` claim names the client (RFC 8693's actor claim)."""
    GRANT_TYPE = DELEGATION_GRANT

    def validate_token_request(self):
        super().validate_token_request()
        data = self.request.payload.data
        role, subject, ags = data.get("role"), data.get("subject"), data.get("ags") or None
        if role not in self.request.client.client.delegate_roles:
            raise UnauthorizedClientError(f"This client may not act for the role {role!r}.")
        if not isinstance(subject, str) or not SUBJECT.match(subject):
            raise InvalidRequestError("subject: letters, digits and . _ : @ - only, at most 200 characters.")
        if (role == "municipality") != (ags is not None) or (ags is not None and not AGS_RE.match(ags)):
            raise InvalidRequestError("ags: a municipality's 8-digit AGS, and only for a municipality.")
        self.request.user = Delegated(subject, role, ags)

    def create_token_response(self):
        token = self.generate_token(user=self.request.user, scope=self.request.payload.scope,
                                    include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class PrivateKeyJWT(JWTBearerClientAssertion):
    """RFC 7523 client authentication with the client's registered public key; each assertion once."""
    CLIENT_AUTH_METHOD = KEY_METHOD

    def __init__(self, server: IdentityServer):
        super().__init__(validate_jti=True, leeway=30)
        self.server = server

    def get_audiences(self):
        issuer = self.server.settings.issuer
        return [issuer + TOKEN_PATH, issuer, issuer + "/"]

    def resolve_client_public_key(self, client):
        return jwk.import_key(client.client.public_jwk)

    def validate_jti(self, claims, jti):
        expires = datetime.fromtimestamp(int(claims.get("exp", time.time() + 300)), timezone.utc)
        engine = self.server.ctx.engine
        try:
            with engine.begin() as connection:
                connection.execute(client_assertions.insert().values(client_id=claims["sub"], jti=str(jti)[:200],
                                                                     expires_at=expires))
        except IntegrityError:
            return False
        return True


class AccessTokens(JWTBearerTokenGenerator):
    """RFC 9068 tokens: our issuer, audience "vorort", the client's role, AGS and subject."""

    def __init__(self, server: IdentityServer):
        ttl = int(server.settings.token_ttl.total_seconds())
        super().__init__(issuer=server.settings.issuer, alg=handlers.SIGNING_ALGORITHM,
                         expires_generator=lambda client, grant_type: ttl)
        self.server = server

    def get_jwks(self):
        return jwk.KeySet([jwk.import_key(self.server.signing_key().private_jwk)])

    def get_audiences(self, client, user, scope):
        return AUDIENCE

    def get_extra_claims(self, client, grant_type, user, scope):
        if isinstance(user, Delegated):
            claims = {"sub": user.subject, "role": user.role, "act": {"sub": client.client.client_id}}
            if user.ags:
                claims["ags"] = user.ags
            return claims
        claims = {"sub": client.client.subject, "role": client.client.role}
        if client.client.ags:
            claims["ags"] = client.client.ags
        return claims


class IdentityServer(AuthorizationServer):
    def __init__(self, app, ctx):
        super().__init__()
        self.ctx = ctx
        self.settings = IdentitySettings.from_env()
        self._key = None
        self._key_checked = 0.0
        self.init_app(app, query_client=self.load_client, save_token=lambda token, request: None)
        self.register_token_generator("default", AccessTokens(self))
        self.register_grant(ClientCredentials)
        self.register_grant(Delegation)
        self.register_client_auth_method(KEY_METHOD, PrivateKeyJWT(self))

    def handle_error_response(self, request, error):
        """invalid_client is always 401 (RFC 6749 section 5.2 allows it for every client authentication, and
        requires it for the Authorization header), as the OpenAPI document says: 400 is left for the request
        itself (invalid_request, invalid_grant, unsupported_grant_type, invalid_scope)."""
        if isinstance(error, InvalidClientError) and error.status_code != 401:
            error.status_code = 401
        return super().handle_error_response(request, error)

    def load_client(self, client_id):
        if not isinstance(client_id, str) or not 0 < len(client_id) <= 64 or not storable(client_id):
            return None
        with self.ctx.uow_factory() as uow:
            client = uow.clients.get(str(client_id))
        return OAuthClient(client, datetime.now(timezone.utc)) if client is not None else None

    def signing_key(self):
        """The current key, looked up again every couple of seconds (a rotation takes effect at once)."""
        if self._key is None or time.monotonic() - self._key_checked > KEY_CACHE_S or \
                not self._key.signs_at(datetime.now(timezone.utc)):
            self._key = self.ctx.bus.handle(handlers.EnsureSigningKey())
            self._key_checked = time.monotonic()
        return self._key

    def jwks(self) -> dict:
        with self.ctx.uow_factory() as uow:
            keys = KeyRing(uow.keys.all()).published(datetime.now(timezone.utc))
        return {"keys": [dict(key.public_jwk) for key in keys]}

    def metadata(self) -> dict:
        issuer = self.settings.issuer
        document = AuthorizationServerMetadata({
            "issuer": issuer,
            "token_endpoint": issuer + TOKEN_PATH,
            "jwks_uri": issuer + JWKS_PATH,
            "grant_types_supported": ["client_credentials", DELEGATION_GRANT],
            "response_types_supported": [],  # no authorization endpoint: client credentials only
            "token_endpoint_auth_methods_supported": list(ClientCredentials.TOKEN_ENDPOINT_AUTH_METHODS),
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
            "scopes_supported": list(api_scopes()),
            "service_documentation": issuer + "/docs",
            # OpenID Connect discovery asks for these even of a server that issues no ID tokens
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [handlers.SIGNING_ALGORITHM],
        })
        document.validate_issuer()
        document.validate_token_endpoint()
        document.validate_jwks_uri()
        return dict(document)


def access_token_ttl() -> timedelta:
    return IdentitySettings.from_env().token_ttl


def development_token(ctx, *, role: str, subject: str, ags: str | None, scopes) -> str:
    """What `vorort token` prints: an access token like the token endpoint's, for client `vorort-cli`."""
    from joserfc import jwt as jose_jwt

    settings = IdentitySettings.from_env()
    key = ctx.bus.handle(handlers.EnsureSigningKey())
    now = int(time.time())
    claims = {"iss": settings.issuer, "aud": AUDIENCE, "sub": subject, "client_id": "vorort-cli", "iat": now,
              "exp": now + int(settings.token_ttl.total_seconds()), "jti": uuid.uuid4().hex,
              "scope": " ".join(scopes), "role": role}
    if ags:
        claims["ags"] = ags
    return jose_jwt.encode({"alg": handlers.SIGNING_ALGORITHM, "typ": "at+jwt"}, claims,
                           jwk.KeySet([jwk.import_key(key.private_jwk)]))
