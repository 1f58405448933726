"""The webhooks service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.webhooks.app:create_app()'
    python -m services.webhooks.app worker
    python -m services.webhooks.app migrate
The worker runs the fan-out consumer (events -> deliveries), the dispatcher (deliveries -> HTTP) and the
mails to contacts of disabled endpoints. Nothing starts at import time.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from services.webhooks import handlers
from services.webhooks.api import BLUEPRINTS
from services.webhooks.consumers import consumers
from services.webhooks.db import WebhooksUnitOfWork, metadata, start_mappers
from services.webhooks.delivery import Dispatcher, send_notices
from services.webhooks.panels import SelectionPanels
from services.webhooks.settings import WebhooksSettings
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.db import migrate
from shared.logs import configure_logging
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import Periodic, WorkerPlan, run_worker

NAME = "webhooks"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_context(settings: ServiceSettings | None = None, options: WebhooksSettings | None = None,
                  clock=system_clock) -> ServiceContext:
    settings = settings or ServiceSettings.from_env(NAME)
    start_mappers()
    ctx = service_context(NAME, settings, metadata=metadata, uow_class=WebhooksUnitOfWork,
                          command_handlers=handlers.COMMAND_HANDLERS, clock=clock)
    ctx.extras["settings"] = options or WebhooksSettings.from_env()
    return ctx


def create_app(settings: ServiceSettings | None = None, options: WebhooksSettings | None = None,
               clock=system_clock):
    ctx = build_context(settings, options, clock)
    return create_api_app(
        name=NAME, title="Netzwerk vor Ort: webhooks", ctx=ctx, blueprints=BLUEPRINTS,
        description="Signed outgoing webhooks (Standard Webhooks) for partners' systems: endpoints, "
                    "delivery log, replay. See docs/webhooks.md.")


def worker_plan(ctx: ServiceContext, panel_members=None) -> WorkerPlan:
    options: WebhooksSettings = ctx.extras["settings"]
    dispatcher = Dispatcher(ctx.uow_factory, options, clock=ctx.bus.clock)
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.kafka_bootstrap_servers,
        consumers=consumers(panel_members or SelectionPanels()),
        periodic=[Periodic("notices", 5.0, lambda: send_notices(ctx.uow_factory, options))],
        loops=[("dispatcher", dispatcher.run)],
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="run the fan-out consumer, the dispatcher and the notices")
    sub.add_parser("migrate", help="bring the database to the newest schema")
    args = parser.parse_args(argv)
    configure_logging(NAME)
    settings = ServiceSettings.from_env(NAME)
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        return
    run_worker(worker_plan(build_context(settings)))


if __name__ == "__main__":
    main()
