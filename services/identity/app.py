"""The identity service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.identity.app:create_app()'
    python -m services.identity.app worker [--relay-only]
    python -m services.identity.app migrate
The skeleton (CLI, context, app) is shared.service's; this module holds what is the service's own.
Nothing starts at import time.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import delete

from services.identity import handlers
from services.identity.api import BLUEPRINTS
from services.identity.consumers import CONSUMERS
from services.identity.db import IdentityUnitOfWork, client_assertions, metadata, start_mappers
from services.identity.oauth import IdentityServer
from shared import auth
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.service import ApiService, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import Periodic, WorkerPlan

NAME = "identity"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=IdentityUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=BLUEPRINTS, start_mappers=start_mappers,
    description="Organisations, people and API clients; the OAuth 2.0 authorization server (client "
                "credentials, RFC 9068 access tokens) whose keys every service trusts.")

build_context = SERVICE.context  # (settings=None, clock=system_clock) -> ServiceContext


def create_app(settings: ServiceSettings | None = None, clock=system_clock) -> Flask:
    ctx = build_context(settings, clock)
    app = SERVICE.create_app(ctx)
    server = IdentityServer(app, ctx)
    app.extensions["identity-oauth"] = server
    # identity verifies its own tokens from its own key table, not over HTTP to itself
    auth.JWKS.local[auth.identity_jwks_uri()] = server.jwks
    return app


def _forget_used_assertions(ctx: ServiceContext) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(delete(client_assertions).where(
            client_assertions.c.expires_at < datetime.now(timezone.utc)))


def worker_plan(ctx: ServiceContext) -> WorkerPlan:
    bus = ctx.bus
    return worker_plan_for(ctx, consumers=CONSUMERS, periodic=[
        Periodic("destroy-retired-keys", 30.0, lambda: bus.handle(handlers.DestroyRetiredKeys())),
        Periodic("forget-used-assertions", 300.0, lambda: _forget_used_assertions(ctx))])


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context, Worker(worker_plan), argv=argv)


if __name__ == "__main__":
    main()
