"""`vorort clients`, `vorort keys`, `vorort token`, `vorort identity bootstrap`: identity's operator commands.

They run on the server, against identity's database, through identity's own use cases (the same handlers
its API calls, so the same events are emitted).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import click

from shared import auth, config
from shared.config import ServiceSettings
from vorort.gdpr import PERSONAL_DATA_SERVICES

# The platform's own clients (service-to-service) and the scopes each needs, no more.
SERVICE_CLIENTS = {
    "admin": ("staff", auth.api_scopes()),                 # the staff UI reaches every API
    "publishing": ("staff", ("applications:read",)),       # contacts of applications, for notices
    "demo": ("staff", auth.api_scopes()),                  # loads the case; registers the demo's clients
    "webhooks": ("staff", ("selection:read",)),            # panels of calls, for steering members' endpoints
    # vorort gdpr export reads every service with personal data (erasure goes by event); it lacked webhooks
    "operator": ("staff", tuple(f"{s}:read" for s in PERSONAL_DATA_SERVICES)),
    # the portal signs people in itself and gets their tokens by the delegation grant (never as staff)
    "portal": ("partner", tuple(f"{s}:{a}" for s in ("applications", "selection", "workshops", "publishing",
                                                    "webhooks") for a in ("read", "write"))),
}
DELEGATES = {"portal": ("municipality", "steering", "partner")}


def _context():
    from services.identity.app import build_context

    return build_context(ServiceSettings.from_env("identity"))


def _handle(command):
    from shared.errors import DomainError

    try:
        return _context().bus.handle(command)
    except DomainError as error:
        raise click.ClickException(f"{error.message}" + (f" ({error.field})" if error.field else "")) from None


def _client_row(client) -> dict:
    return {"client_id": client.client_id, "name": client.name, "role": client.role, "subject": client.subject,
            "ags": client.ags, "scopes": client.scopes, "auth_method": client.auth_method,
            "status": client.status, "expires_at": client.expires_at.isoformat() if client.expires_at else None}


def register_client(name: str, role: str | None, ags=None, subject=None, scopes=(), organisation_id=None,
                    person_id=None, public_jwk=None, expires_at=None, delegate_roles=()):
    from services.identity.handlers import RegisterClient

    return _handle(RegisterClient(name=name, role=role, ags=ags, subject=subject, scopes=list(scopes),
                                  organisation_id=organisation_id, person_id=person_id, public_jwk=public_jwk,
                                  expires_at=expires_at, delegate_roles=list(delegate_roles)))


@click.group()
def clients():
    """API clients of partner systems (OAuth 2.0 client credentials at identity)."""


@clients.command("add")
@click.option("--name", required=True, help="What the client is, e.g. 'GIS der Stadt Wassenberg'.")
@click.option("--role", type=click.Choice(auth.ROLES), help="Default: the organisation's or person's role.")
@click.option("--ags", help="The municipality's 8-digit AGS (role municipality).")
@click.option("--subject", help="The `sub` of its tokens, e.g. a steering member's id (default: derived).")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(auth.api_scopes()),
              help="Repeat for each scope (default: every scope).")
@click.option("--organisation", "organisation_id", help="The organisation it acts for (an id).")
@click.option("--person", "person_id", help="The person it acts for (an id).")
@click.option("--public-jwk", type=click.File(), help="A public JWK file: authenticate with private_key_jwt.")
@click.option("--expires-days", type=int, help="The client expires after this many days.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def clients_add(name, role, ags, subject, scopes, organisation_id, person_id, public_jwk, expires_days, as_json):
    """Create a client; prints client_id and client_secret ONCE (only its argon2 hash is kept)."""
    expires_at = datetime.now(timezone.utc) + timedelta(days=expires_days) if expires_days else None
    new = register_client(name, role, ags, subject, scopes, organisation_id, person_id,
                          json.load(public_jwk) if public_jwk else None, expires_at)
    result = dict(_client_row(new.client), client_secret=new.client_secret,
                  token_endpoint=auth.identity_issuer() + "/oauth/token")
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"client_id:     {new.client.client_id}")
    if new.client_secret:
        click.echo(f"client_secret: {new.client_secret}")
        click.echo("The secret is shown only now; store it in the partner system.")
    click.echo(f"token endpoint: {result['token_endpoint']} (grant_type=client_credentials)")


@clients.command("list")
@click.option("--json", "as_json", is_flag=True)
def clients_list(as_json):
    """List the clients (never their secrets)."""
    ctx = _context()
    with ctx.uow_factory() as uow:
        rows, _ = uow.clients.list(offset=0, limit=100_000)
        rows = [_client_row(client) for client in rows]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['client_id']:28} {row['status']:8} {row['role']:12} {row['subject']:30} {row['name']}")


@clients.command("revoke")
@click.argument("client_id")
def clients_revoke(client_id):
    """Revoke CLIENT_ID: no new tokens, and every service denies its tokens within seconds."""
    from services.identity.handlers import RevokeClient

    _handle(RevokeClient(client_id))
    click.echo(f"revoked {client_id}")


@click.group()
def keys():
    """The keys that sign access tokens."""


@keys.command("rotate")
def keys_rotate():
    """Publish a new key now; it signs after IDENTITY_KEY_PUBLISH_LEAD_SECONDS, and the current key stays
    published until its last token has expired."""
    from services.identity.handlers import EnsureSigningKey, RotateSigningKey

    _handle(EnsureSigningKey())
    key = _handle(RotateSigningKey())
    click.echo(f"new key {key.kid} published; it signs from {key.signs_from.isoformat()}")


@keys.command("list")
def keys_list():
    """The keys: when each signs and how long it stays published."""
    ctx = _context()
    with ctx.uow_factory() as uow:
        for key in uow.keys.all():
            until = key.published_until.isoformat() if key.published_until else "-"
            click.echo(f"{key.kid:24} signs from {key.signs_from.isoformat()}  published until {until}"
                       f"{'' if key.private_jwk else '  (private key destroyed)'}")


@click.command("token")
@click.option("--role", type=click.Choice(auth.ROLES), required=True)
@click.option("--ags", help="The municipality's 8-digit AGS (role municipality).")
@click.option("--subject", help="Who the token is for (default: the role).")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(auth.api_scopes()),
              help="Repeat for each scope (default: every scope).")
def token(role, ags, subject, scopes):
    """Print an access token signed by identity's current key (development only; 10 minutes)."""
    from services.identity.oauth import development_token

    if config.environment() != "development":
        raise click.ClickException("vorort token is for development; partners use client credentials")
    if role == "municipality" and not ags:
        raise click.ClickException("a municipality token needs --ags")
    click.echo(development_token(_context(), role=role, subject=subject or (f"municipality:{ags}" if ags else role),
                                 ags=ags, scopes=scopes or auth.api_scopes()))


@click.group()
def identity():
    """The identity service's setup."""


def _credentials_path(name: str):
    return config.var_dir() / "clients" / f"{name}.json"


def ensure_service_client(name: str) -> str:
    """The platform's own client NAME, made once; its credentials go to var/clients/NAME.json (0600). A client
    made before NAME needed more scopes is replaced by one with them."""
    path = _credentials_path(name)
    ctx = _context()
    role, scopes = SERVICE_CLIENTS[name]
    if path.exists():
        stored = json.loads(path.read_text())
        with ctx.uow_factory() as uow:
            client = uow.clients.get(stored["client_id"])
            if client is not None and client.may_get_tokens(datetime.now(timezone.utc)) \
                    and set(scopes) <= set(client.scopes):
                return stored["client_id"]
    new = register_client(f"Plattform: {name}", role, subject=f"service:{name}", scopes=scopes,
                          delegate_roles=DELEGATES.get(name, ()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"client_id": new.client.client_id, "client_secret": new.client_secret}))
    path.chmod(0o600)
    return new.client.client_id


@identity.command("bootstrap")
def identity_bootstrap():
    """Create the platform's own clients (admin, publishing, webhooks, portal, demo, operator) unless they exist, with their
    credentials under var/clients/ (development; in production set <NAME>_CLIENT_ID/_SECRET)."""
    from services.identity.handlers import EnsureSigningKey

    _handle(EnsureSigningKey())
    for name in SERVICE_CLIENTS:
        click.echo(f"client {name}: {ensure_service_client(name)}")


COMMANDS = [clients, keys, token, identity]
