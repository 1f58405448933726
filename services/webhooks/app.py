"""The webhooks service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.webhooks.app:create_app()'
    python -m services.webhooks.app worker [--relay-only]
    python -m services.webhooks.app migrate
The worker runs the fan-out consumer (events -> deliveries), the dispatcher (deliveries -> HTTP) and the
mails to contacts of disabled endpoints. The skeleton (CLI, context, app) is shared.service's; this module
holds what is the service's own. Nothing starts at import time.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.webhooks import handlers
from services.webhooks.api import BLUEPRINTS
from services.webhooks.consumers import consumers
from services.webhooks.db import WebhooksUnitOfWork, metadata, start_mappers
from services.webhooks.delivery import Dispatcher, send_notices
from services.webhooks.panels import SelectionPanels
from services.webhooks.settings import WebhooksSettings
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.service import ApiService, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import Periodic, WorkerPlan

NAME = "webhooks"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=WebhooksUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=BLUEPRINTS, start_mappers=start_mappers,
    description="Signed outgoing webhooks (Standard Webhooks) for partners' systems: endpoints, "
                "delivery log, replay. See docs/webhooks.md.")


def build_context(settings: ServiceSettings | None = None, options: WebhooksSettings | None = None,
                  clock=system_clock) -> ServiceContext:
    ctx = SERVICE.context(settings, clock)
    ctx.options = options or WebhooksSettings.from_env()
    return ctx


def create_app(settings: ServiceSettings | None = None, options: WebhooksSettings | None = None,
               clock=system_clock) -> Flask:
    return SERVICE.create_app(build_context(settings, options, clock))


def worker_plan(ctx: ServiceContext, panel_members=None) -> WorkerPlan:
    """`panel_members(call_id)` (selection's API by default) is the fan-out handler's dependency, given by the
    worker's bus."""
    options: WebhooksSettings = ctx.options
    dispatcher = Dispatcher(ctx.uow_factory, options, clock=ctx.bus.clock)
    bus = ctx.bus.with_dependencies(panel_members=panel_members or SelectionPanels())
    return worker_plan_for(
        ctx, consumers=consumers(bus),
        periodic=[Periodic("notices", 5.0, lambda: send_notices(ctx.uow_factory, options))],
        loops=[("dispatcher", dispatcher.run)])


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context,
            Worker(worker_plan, help="run the fan-out consumer, the dispatcher and the notices"), argv=argv)


if __name__ == "__main__":
    main()
