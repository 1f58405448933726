"""Authentication and roles: every API call carries `Authorization: Bearer <JWT>`.

Tokens are HS256-signed with a key from `VORORT_JWT_SECRET`. In development, where it is unset, a key is
generated once under var/ so that every service on the machine shares it; in production a service
refuses to start without it. Claims: `sub`, `role` (staff | steering | municipality | partner), `ags` for
a municipality, `aud` = "vorort", `iss` = "vorort", `exp`.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import wraps

import jwt
from flask import g, request
from flask_smorest import abort

from shared import config

ROLES = ("staff", "steering", "municipality", "partner")
ANY_ROLE = ROLES
AUDIENCE = "vorort"
ISSUER = "vorort"
ALGORITHM = "HS256"


class MissingSigningKey(RuntimeError):
    pass


def signing_key() -> str:
    key = os.environ.get("VORORT_JWT_SECRET")
    if key:
        return key
    if config.environment() != "development":
        raise MissingSigningKey("VORORT_JWT_SECRET must be set outside development mode")
    path = config.var_dir() / "jwt-dev.key"
    if not path.exists():
        candidate = secrets.token_urlsafe(48)
        try:
            with open(path, "x") as handle:  # first writer wins; the others read its key
                handle.write(candidate)
        except FileExistsError:
            pass
    return path.read_text().strip()


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    ags: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"


def issue_token(role: str, subject: str, ags: str | None = None, ttl: timedelta = timedelta(hours=12),
                key: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "municipality" and not ags:
        raise ValueError("a municipality token needs its AGS")
    now = datetime.now(timezone.utc)
    claims = {"sub": subject, "role": role, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + ttl}
    if ags:
        claims["ags"] = ags
    return jwt.encode(claims, key or signing_key(), algorithm=ALGORITHM)


class InvalidToken(Exception):
    pass


def verify_token(token: str, key: str | None = None) -> Principal:
    try:
        claims = jwt.decode(token, key or signing_key(), algorithms=[ALGORITHM], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "sub", "aud", "iss"]})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    role = claims.get("role")
    if role not in ROLES:
        raise InvalidToken("unknown role")
    if role == "municipality" and not claims.get("ags"):
        raise InvalidToken("municipality token without ags")
    return Principal(subject=str(claims["sub"]), role=role, ags=claims.get("ags"))


def current_principal() -> Principal:
    """The caller of this request; answers 401 when there is no valid bearer token."""
    principal = getattr(g, "principal", None)
    if principal is not None:
        return principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401, message="A bearer token is required.")
    try:
        g.principal = verify_token(token.strip())
    except InvalidToken as error:
        abort(401, message=f"Invalid token: {error}")
    return g.principal


def require_role(*roles: str) -> Principal:
    principal = current_principal()
    if principal.role not in roles:
        abort(403, message=f"This operation needs one of the roles: {', '.join(roles)}.")
    return principal


def roles_required(*roles: str):
    """Decorator for views: 401 without a valid token, 403 for any other role."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_role(*roles)
            return view(*args, **kwargs)
        wrapper._vorort_roles = roles  # read by the authorization matrix test
        return wrapper
    return decorator
