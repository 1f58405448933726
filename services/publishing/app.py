"""The publishing service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.publishing.app:create_app()'
    python -m services.publishing.app worker [--relay-only]
    python -m services.publishing.app migrate
The skeleton (CLI, context, app) is shared.service's; this module holds what is the service's own: its
settings (services/publishing/settings.py) and the senders of its worker. Nothing starts at import time.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.publishing import handlers
from services.publishing.api import BLUEPRINTS
from services.publishing.consumers import consumers
from services.publishing.db import PublishingUnitOfWork, metadata
from services.publishing.delivery import Dispatcher
from services.publishing.directory import ApplicationsDirectory
from services.publishing.pages import pages_blp
from services.publishing.settings import PublishingSettings
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.service import ApiService, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import Periodic, WorkerPlan

NAME = "publishing"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=PublishingUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=[*BLUEPRINTS, pages_blp],
    description="Results for the members of the network: publications, the results page and feeds, "
                "members and subscribers, newsletters, decision letters and enquiries.")


def build_context(settings: ServiceSettings | None = None, clock=system_clock,
                  options: PublishingSettings | None = None) -> ServiceContext:
    options = options or PublishingSettings.from_env()
    ctx = SERVICE.context(settings, clock, dependencies={"settings": options})
    ctx.options = options
    return ctx


def create_app(settings: ServiceSettings | None = None, clock=system_clock,
               options: PublishingSettings | None = None) -> Flask:
    return SERVICE.create_app(build_context(settings, clock, options))


def build_dispatcher(ctx: ServiceContext, directory=None, transport_factory=None) -> Dispatcher:
    """The sending side of the worker; tests pass a directory or transport of their own."""
    return Dispatcher(engine=ctx.engine, uow_factory=ctx.uow_factory, settings=ctx.options,
                      directory=directory or ApplicationsDirectory(), clock=ctx.bus.clock,
                      transport_factory=transport_factory)


def worker_plan(ctx: ServiceContext, dispatcher: Dispatcher | None = None) -> WorkerPlan:
    dispatcher = dispatcher or build_dispatcher(ctx)
    return worker_plan_for(
        ctx, consumers=consumers(ctx.bus),
        periodic=[
            Periodic("send-newsletters", 0.2, dispatcher.run_newsletters),
            Periodic("send-mails", 0.5, dispatcher.run_mails),
            Periodic("write-notices", 1.0, dispatcher.run_notices),
        ],
    )


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context, Worker(worker_plan, help="run the outbox relay, the consumers and the senders"),
            argv=argv)


if __name__ == "__main__":
    main()
