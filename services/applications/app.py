"""The applications service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.applications.app:create_app()'
    python -m services.applications.app worker [--relay-only]
    python -m services.applications.app migrate
Nothing starts at import time.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from services.applications import handlers
from services.applications.api import BLUEPRINTS
from services.applications.consumers import CONSUMERS
from services.applications.db import ApplicationsUnitOfWork, metadata, start_mappers
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.db import migrate
from shared.logs import configure_logging
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import Periodic, WorkerPlan, run_worker

NAME = "applications"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_context(settings: ServiceSettings | None = None, clock=system_clock) -> ServiceContext:
    settings = settings or ServiceSettings.from_env(NAME)
    start_mappers()
    ctx = service_context(NAME, settings, metadata=metadata, uow_class=ApplicationsUnitOfWork,
                          command_handlers=handlers.COMMAND_HANDLERS, clock=clock)
    return ctx


def create_app(settings: ServiceSettings | None = None, clock=system_clock):
    ctx = build_context(settings, clock)
    return create_api_app(
        name=NAME, title="Netzwerk vor Ort: applications", ctx=ctx, blueprints=BLUEPRINTS,
        description="Calls for expressions of interest and the municipalities' applications.")


def worker_plan(ctx: ServiceContext) -> WorkerPlan:
    bus = ctx.bus
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.kafka_bootstrap_servers,
        consumers=CONSUMERS,
        periodic=[Periodic("close-overdue-calls", 5.0, lambda: bus.handle(handlers.CloseOverdueCalls()))],
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
