"""Authentication and roles: every API call carries `Authorization: Bearer <JWT access token>`.

Tokens are JWT access tokens (RFC 9068) signed with an asymmetric key by a *trusted issuer*: the identity
service always (`IDENTITY_ISSUER`, default its URL), and every further issuer an operator lists in
`VORORT_TRUSTED_ISSUERS` (a JSON list of `{"issuer", "jwks_uri", "audience", "claims", "role", "scopes"}`,
see docs/security.md). A service verifies a token through its issuer's JWKS (cached, fetched again when a
token names an unknown `kid`), checks `iss`, `aud`, `exp`, accepts only ES256, EdDSA and RS256 (never HS*,
never `none`), and refuses tokens of revoked clients and people (the deny list in shared.revocation).
No service but identity holds a signing key.

Claims we read: `sub`, `role` (staff | steering | municipality | partner), `ags` for a municipality,
`client_id`, `scope` (space separated). Scopes are `<service>:read` (GET, HEAD) and `<service>:write`
(every other method); `current_principal()` answers 403 when the token lacks the scope for this request.

Tests mint tokens with `issue_token()`: they are signed by a local *test issuer* whose key lives under
`$VORORT_VAR_DIR/test-issuer/`; a service accepts them only when the test issuer is configured as trusted
(`trust_test_issuer()`, which the test suite and the benchmarks call). Services call each other with
`service_token(name)`: client credentials at identity.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

import jwt
from flask import current_app, g, request
from flask_smorest import abort

from shared import config
from shared.actors import actor_key
from shared.token_cache import JwksCache, Verified, VerifiedTokens

log = logging.getLogger(__name__)

ROLES = ("staff", "steering", "municipality", "partner")
ANY_ROLE = ROLES
AUDIENCE = "vorort"
ACCEPTED_ALGORITHMS = ("ES256", "EdDSA", "RS256")
ACCESS_TOKEN_TYPE = "at+jwt"
LEEWAY_S = 5
# The longest an access token of any issuer may live unless its trust entry says otherwise (identity's own
# live 10 minutes; Keycloak's default is 5).
MAX_TOKEN_LIFETIME_S = 3600
TEST_ISSUER = "urn:vorort:test-issuer"
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def api_scopes() -> tuple[str, ...]:
    """Every scope there is: read and write on every service with an API (the admin UI has none)."""
    return tuple(f"{name}:{access}" for name in config.SERVICE_PORTS if name != "admin"
                 for access in ("read", "write"))


# --- the caller ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    ags: str | None = None
    scopes: frozenset[str] = field(default_factory=lambda: frozenset(api_scopes()))
    client_id: str | None = None
    issuer: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def actor(self) -> str:
        """Who is acting, as records name them (`actor_key`)."""
        return actor_key(self.role, self.subject)


class InvalidToken(Exception):
    pass


class MisconfiguredIssuers(RuntimeError):
    pass


# --- trusted issuers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrustedIssuer:
    """One issuer whose tokens the services accept, with how its claims map onto ours.

    `claims` names the token claims that carry role, ags, subject and scope (defaults: role, ags, sub,
    scope). `role` is a fixed role for every token of this issuer (when it has no role claim of ours);
    `scopes` are granted when a token carries none of ours. `require_typ` holds tokens to RFC 9068's
    `typ: at+jwt` (identity's do; many external issuers' tokens do not). `max_lifetime_s` refuses tokens
    that live longer (from `iat`, or from now without one), whatever the issuer grants: access tokens
    cannot be recalled, so they must be short-lived."""
    issuer: str
    jwks_uri: str
    audience: str = AUDIENCE
    claims: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    scopes: tuple[str, ...] = ()
    require_typ: bool = False
    max_lifetime_s: int = MAX_TOKEN_LIFETIME_S

    def claim(self, name: str) -> str:
        mapped: str = self.claims.get(name, {"subject": "sub"}.get(name, name))
        return mapped


def identity_issuer() -> str:
    return config.identity_issuer_setting() or config.service_url("identity")


def identity_jwks_uri() -> str:
    return config.service_url("identity") + "/.well-known/jwks.json"


def trusted_issuers() -> dict[str, TrustedIssuer]:
    """Identity, then every issuer in `VORORT_TRUSTED_ISSUERS` (read at each call, since tests change it;
    parsed once per distinct setting)."""
    return _parsed_issuers(identity_issuer(), identity_jwks_uri(), config.trusted_issuers_setting())


@lru_cache(maxsize=16)
def _parsed_issuers(identity: str, identity_jwks: str, raw: str | None) -> dict[str, TrustedIssuer]:
    issuers = {identity: TrustedIssuer(identity, identity_jwks, require_typ=True)}
    if not raw:
        return issuers
    try:
        entries = json.loads(raw)
        for entry in entries:
            unknown = set(entry) - {"issuer", "jwks_uri", "audience", "claims", "role", "scopes", "require_typ",
                                    "max_lifetime_s"}
            if unknown or not entry.get("issuer") or not entry.get("jwks_uri"):
                raise ValueError(f"bad entry {entry!r}")
            if entry.get("role") is not None and entry["role"] not in ROLES:
                raise ValueError(f"unknown role {entry['role']!r}")
            issuers[entry["issuer"]] = TrustedIssuer(
                issuer=entry["issuer"], jwks_uri=entry["jwks_uri"], audience=entry.get("audience", AUDIENCE),
                claims=dict(entry.get("claims") or {}), role=entry.get("role"),
                scopes=tuple(entry.get("scopes") or ()), require_typ=bool(entry.get("require_typ", False)),
                max_lifetime_s=int(entry.get("max_lifetime_s", MAX_TOKEN_LIFETIME_S)))
    except (ValueError, TypeError, AttributeError) as error:
        raise MisconfiguredIssuers(f"VORORT_TRUSTED_ISSUERS is not a list of issuers: {error}") from None
    return issuers


def check_configuration() -> None:
    """Called when a service starts: a broken trust configuration stops it at once, not at the first call."""
    trusted_issuers()


# --- key sets and verified tokens (shared.token_cache) ---------------------------------------
JWKS = JwksCache()
VERIFIED = VerifiedTokens()


# --- verification --------------------------------------------------------------------------------
def verify_token(token: str) -> Principal:
    """The principal of a valid token; InvalidToken for anything else (the caller answers 401). A token
    verified before is taken from VERIFIED while its issuer entry and signing key are unchanged."""
    known = VERIFIED.get(token)
    if known is not None and trusted_issuers().get(known.issuer.issuer) == known.issuer \
            and JWKS.key(known.issuer.jwks_uri, known.key.key_id) is known.key:
        principal: Principal = known.principal
        return principal
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise InvalidToken(f"malformed: {error}") from None
    algorithm = header.get("alg")
    if algorithm not in ACCEPTED_ALGORITHMS:
        raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
    claimed_issuer = unverified.get("iss")
    issuer = trusted_issuers().get(claimed_issuer) if isinstance(claimed_issuer, str) else None
    if issuer is None:
        raise InvalidToken("unknown issuer")
    if issuer.require_typ and str(header.get("typ", "")).lower() not in (ACCESS_TOKEN_TYPE,
                                                                          "application/" + ACCESS_TOKEN_TYPE):
        raise InvalidToken("not an access token (typ)")
    kid = header.get("kid")
    key = JWKS.key(issuer.jwks_uri, kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidToken("unknown signing key")
    if key.algorithm_name != algorithm:
        raise InvalidToken("the key does not sign with this algorithm")
    try:
        claims = jwt.decode(token, key.key, algorithms=[algorithm], audience=issuer.audience, issuer=issuer.issuer,
                            leeway=LEEWAY_S, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    issued = claims.get("iat") if isinstance(claims.get("iat"), (int, float)) else time.time()
    if claims["exp"] - issued > issuer.max_lifetime_s + LEEWAY_S:
        raise InvalidToken("the token lives longer than its issuer's maximum")
    principal = _principal(claims, issuer)
    VERIFIED.put(token, Verified(principal, claims["exp"] + LEEWAY_S, issuer, key))
    return principal


def _principal(claims: dict[str, Any], issuer: TrustedIssuer) -> Principal:
    role = issuer.role or claims.get(issuer.claim("role"))
    if role not in ROLES:
        raise InvalidToken("unknown role")
    ags = claims.get(issuer.claim("ags"))
    if role == "municipality" and not (isinstance(ags, str) and ags):
        raise InvalidToken("municipality token without ags")
    scope = claims.get(issuer.claim("scope"))
    ours = set(api_scopes())
    scopes = {s for s in scope.split() if s in ours} if isinstance(scope, str) else set()
    if not scopes:
        scopes = set(issuer.scopes) & ours
    subject = claims.get(issuer.claim("subject"))
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("no subject")
    client_id = claims.get("client_id") or claims.get("azp")
    return Principal(subject=subject, role=role, ags=ags if role == "municipality" else (ags or None),
                     scopes=frozenset(scopes), client_id=str(client_id) if client_id else None,
                     issuer=issuer.issuer)


def _service_name() -> str | None:
    ctx = current_app.extensions.get("vorort") if current_app else None
    return getattr(ctx, "name", None)


class Refused(Exception):
    """A request's caller refused: `status` 401 (no valid token, access revoked) or 403 (scope missing)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def principal_of_request(service: str | None, deny_list_of: Any = None) -> Principal:
    """The caller named by this request's bearer token, checked against the deny list (`deny_list_of`: the
    engine and metadata holding it; by default the API service's) and, for `service`, the scope this
    method needs. Raises Refused; `current_principal` turns that into the API's error answer."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused(401, "A bearer token is required.")
    try:
        principal = verify_token(token.strip())
    except InvalidToken as error:
        raise Refused(401, f"Invalid token: {error}") from None
    from shared.revocation import is_revoked

    if is_revoked(principal, deny_list_of):
        raise Refused(401, "Invalid token: access revoked.")
    if service:
        needed = f"{service}:{'read' if request.method in READ_METHODS else 'write'}"
        if not principal.may(needed):
            raise Refused(403, f"This token lacks the scope {needed}.")
    return principal


def current_principal() -> Principal:
    """The caller of this request: 401 without a valid bearer token or when its access was revoked,
    403 when the token lacks the scope for this service and method."""
    known: Principal | None = getattr(g, "principal", None)
    if known is not None:
        return known
    try:
        principal = principal_of_request(_service_name())
    except Refused as refused:
        abort(refused.status, message=refused.message)
    g.principal = principal
    return principal


def require_role(*roles: str) -> Principal:
    principal = current_principal()
    if principal.role not in roles:
        abort(403, message=f"This operation needs one of the roles: {', '.join(roles)}.")
    return principal


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for views: 401 without a valid token, 403 for any other role."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_role(*roles)
            return view(*args, **kwargs)
        wrapper.__dict__["_vorort_roles"] = roles  # read by the authorization matrix test
        return wrapper
    return decorator


# --- the test issuer (tests and benchmarks only) -------------------------------------------------
def _test_issuer_dir() -> Path:
    return config.var_dir() / "test-issuer"


def _test_issuer_key() -> jwt.PyJWK:
    """The test issuer's private key, made once per var dir (first writer wins), with its public JWKS."""
    from joserfc import jwk

    directory = _test_issuer_dir()
    private = directory / "private.jwk"
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = jwk.ECKey.generate_key("P-256", parameters={"kid": f"test-{uuid.uuid4().hex[:12]}",
                                                          "alg": "ES256", "use": "sig"})
        staging = directory / f".private-{uuid.uuid4().hex}"
        staging.write_text(json.dumps(key.as_dict(private=True)))
        public = directory / f".jwks-{uuid.uuid4().hex}"
        public.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
        try:
            os.link(staging, private)  # atomic, and fails if another process won
            os.replace(public, directory / "jwks.json")
        except FileExistsError:
            public.unlink()
        staging.unlink()
    return jwt.PyJWK(json.loads(private.read_text()))


def test_issuer_entry() -> dict[str, Any]:
    _test_issuer_key()
    return {"issuer": TEST_ISSUER, "jwks_uri": (_test_issuer_dir() / "jwks.json").as_uri(), "audience": AUDIENCE,
            "max_lifetime_s": int(TEST_TOKEN_TTL.total_seconds())}


def trusted_entries(environ: MutableMapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The further issuers as configured (`VORORT_TRUSTED_ISSUERS`), to extend in tests."""
    environ = config.process_environment() if environ is None else environ
    entries: list[dict[str, Any]] = json.loads(environ.get("VORORT_TRUSTED_ISSUERS") or "[]")
    return entries


def trust_test_issuer(environ: MutableMapping[str, str] | None = None) -> None:
    """Make this process and its children accept `issue_token()`'s tokens (tests and benchmarks only)."""
    environ = config.process_environment() if environ is None else environ
    entries = trusted_entries(environ)
    if not any(entry.get("issuer") == TEST_ISSUER for entry in entries):
        entries.append(test_issuer_entry())
    environ["VORORT_TRUSTED_ISSUERS"] = json.dumps(entries)


def test_issuer_trusted() -> bool:
    try:
        return TEST_ISSUER in trusted_issuers()
    except MisconfiguredIssuers:
        return False


# Test-issuer tokens are minted when a test module is collected and used until the suite ends (an hour
# or more in CI); identity's own tokens live 10 minutes. Tests of expiry pass `ttl` themselves.
TEST_TOKEN_TTL = timedelta(hours=12)


def issue_token(role: str, subject: str, ags: str | None = None, ttl: timedelta = TEST_TOKEN_TTL,
                scopes: Iterable[str] | None = None, client_id: str | None = None) -> str:
    """A token of the test issuer (see the module docstring): for tests, benchmarks and fixtures."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "municipality" and not ags:
        raise ValueError("a municipality token needs its AGS")
    key = _test_issuer_key()
    now = datetime.now(timezone.utc)
    claims = {"sub": subject, "role": role, "aud": AUDIENCE, "iss": TEST_ISSUER, "iat": now, "exp": now + ttl,
              "jti": uuid.uuid4().hex, "client_id": client_id or f"test:{subject}",
              "scope": " ".join(api_scopes() if scopes is None else scopes)}
    if ags:
        claims["ags"] = ags
    return jwt.encode(claims, key.key, algorithm="ES256",
                      headers={"kid": key.key_id, "typ": ACCESS_TOKEN_TYPE})


# --- service-to-service --------------------------------------------------------------------------
@dataclass
class ClientCredentials:
    client_id: str
    client_secret: str


def service_credentials(name: str) -> ClientCredentials | None:
    """`<NAME>_CLIENT_ID` and `<NAME>_CLIENT_SECRET`, else (development) var/clients/<name>.json."""
    client_id, secret = config.client_credentials_setting(name)
    if client_id and secret:
        return ClientCredentials(client_id, secret)
    path = config.var_dir() / "clients" / f"{name}.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return ClientCredentials(stored["client_id"], stored["client_secret"])
    return None


DELEGATION_GRANT = "urn:vorort:params:oauth:grant-type:delegation"


class TokenSource:
    """Access tokens by client credentials (client_secret_basic), kept until shortly before they expire.
    `grant` replaces the grant's form parameters (for the delegation grant)."""

    def __init__(self, credentials: ClientCredentials, scopes: tuple[str, ...] = (), token_url: str | None = None,
                 grant: dict[str, Any] | None = None) -> None:
        self.credentials = credentials
        self.scopes = scopes
        self.grant = grant or {"grant_type": "client_credentials"}
        self.token_url = token_url or config.service_url("identity") + "/oauth/token"
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        import requests

        with self._lock:
            if self._token is None or time.monotonic() > self._valid_until:
                data = dict(self.grant)
                if self.scopes:
                    data["scope"] = " ".join(self.scopes)
                response = requests.post(self.token_url, data=data, timeout=10,
                                         auth=(self.credentials.client_id, self.credentials.client_secret))
                if response.status_code != 200:
                    raise InvalidToken(f"identity refused the client credentials: {response.status_code} "
                                       f"{response.text[:200]}")
                body = response.json()
                self._token = body["access_token"]
                self._valid_until = time.monotonic() + max(5, int(body.get("expires_in", 60)) - 30)
            return body["access_token"] if self._token is None else self._token


_SOURCES: dict[str, TokenSource] = {}
_SOURCES_LOCK = threading.Lock()


def service_token(name: str, scopes: tuple[str, ...] = (), role: str = "staff") -> str:
    """A token for service `name`'s own calls to other services: by its client credentials at identity.
    In the test suite, where services run without credentials, the test issuer stands in."""
    credentials = service_credentials(name)
    if credentials is None:
        if test_issuer_trusted():
            return issue_token(role, f"service:{name}", scopes=scopes or None, client_id=f"service:{name}")
        raise InvalidToken(f"no client credentials for {name}: set {name.upper()}_CLIENT_ID and "
                           f"{name.upper()}_CLIENT_SECRET")
    with _SOURCES_LOCK:
        source = _SOURCES.get(name)
        if source is None or source.credentials != credentials:
            source = _SOURCES[name] = TokenSource(credentials, scopes)
    return source.token()


_DELEGATED: dict[tuple[str, str, str, str, str | None, tuple[str, ...]], TokenSource] = {}
MAX_DELEGATED_SOURCES = 2000


def delegated_token(name: str, role: str, subject: str, ags: str | None = None, scopes: tuple[str, ...] = ()) -> str:
    """A token for a person that service `name` signed in itself (the portal): the delegation grant at
    identity with `name`'s client credentials. In the test suite the test issuer stands in."""
    credentials = service_credentials(name)
    if credentials is None:
        if test_issuer_trusted():
            return issue_token(role, subject, ags=ags, scopes=scopes or None, client_id=f"service:{name}")
        raise InvalidToken(f"no client credentials for {name}: set {name.upper()}_CLIENT_ID and "
                           f"{name.upper()}_CLIENT_SECRET")
    key = (name, credentials.client_id, role, subject, ags, tuple(scopes))
    with _SOURCES_LOCK:
        source = _DELEGATED.get(key)
        if source is None:
            if len(_DELEGATED) >= MAX_DELEGATED_SOURCES:
                _DELEGATED.clear()
            grant = {"grant_type": DELEGATION_GRANT, "role": role, "subject": subject}
            if ags:
                grant["ags"] = ags
            source = _DELEGATED[key] = TokenSource(credentials, scopes, grant=grant)
    return source.token()


def signing_key() -> str:
    """Deprecated: a local symmetric secret for sessions and links (never for tokens any more)."""
    return config.local_secret("session-dev", "VORORT_SESSION_SECRET")
