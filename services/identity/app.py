"""The identity service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.identity.app:create_app()'
    python -m services.identity.app worker [--relay-only]
    python -m services.identity.app migrate
Nothing starts at import time.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete

from services.identity import handlers
from services.identity.api import BLUEPRINTS
from services.identity.consumers import CONSUMERS
from services.identity.db import IdentityUnitOfWork, client_assertions, metadata, start_mappers
from services.identity.oauth import IdentityServer
from shared import auth
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.db import migrate
from shared.logs import configure_logging
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import Periodic, WorkerPlan, run_worker

NAME = "identity"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_context(settings: ServiceSettings | None = None, clock=system_clock) -> ServiceContext:
    settings = settings or ServiceSettings.from_env(NAME)
    start_mappers()
    return service_context(NAME, settings, metadata=metadata, uow_class=IdentityUnitOfWork,
                           command_handlers=handlers.COMMAND_HANDLERS, clock=clock)


def create_app(settings: ServiceSettings | None = None, clock=system_clock):
    ctx = build_context(settings, clock)
    app = create_api_app(
        name=NAME, title="Netzwerk vor Ort: identity", ctx=ctx, blueprints=BLUEPRINTS,
        description="Organisations, people and API clients; the OAuth 2.0 authorization server (client "
                    "credentials, RFC 9068 access tokens) whose keys every service trusts.")
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
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.kafka_bootstrap_servers,
        consumers=CONSUMERS,
        periodic=[Periodic("destroy-retired-keys", 30.0, lambda: bus.handle(handlers.DestroyRetiredKeys())),
                  Periodic("forget-used-assertions", 300.0, lambda: _forget_used_assertions(ctx))],
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run the outbox relay, the consumers and the periodic jobs")
    worker.add_argument("--relay-only", action="store_true")
    sub.add_parser("migrate", help="bring the database to the newest schema")
    args = parser.parse_args(argv)
    configure_logging(NAME)
    settings = ServiceSettings.from_env(NAME)
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        return
    ctx = build_context(settings)
    run_worker(worker_plan(ctx), consumers=not args.relay_only)


if __name__ == "__main__":
    main()
