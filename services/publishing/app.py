"""The publishing service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.publishing.app:create_app()'
    python -m services.publishing.app worker [--relay-only]
    python -m services.publishing.app migrate
Nothing starts at import time.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from services.publishing import handlers
from services.publishing.api import BLUEPRINTS
from services.publishing.consumers import PRIVACY_TOPICS, TOPICS, event_handlers, privacy_handlers
from services.publishing.db import PublishingUnitOfWork, metadata
from services.publishing.delivery import Dispatcher
from services.publishing.directory import ApplicationsDirectory
from services.publishing.pages import pages_blp
from services.publishing.settings import PublishingSettings
from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.db import migrate
from shared.logs import configure_logging
from shared.revocation import revocation_consumer
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import ConsumerSpec, Periodic, WorkerPlan, run_worker

NAME = "publishing"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_context(settings: ServiceSettings | None = None, clock=system_clock,
                  options: PublishingSettings | None = None) -> ServiceContext:
    settings = settings or ServiceSettings.from_env(NAME)
    options = options or PublishingSettings.from_env()
    ctx = service_context(NAME, settings, metadata=metadata, uow_class=PublishingUnitOfWork,
                          command_handlers=handlers.COMMAND_HANDLERS, clock=clock,
                          dependencies={"settings": options})
    ctx.extras["settings"] = options
    return ctx


def create_app(settings: ServiceSettings | None = None, clock=system_clock,
               options: PublishingSettings | None = None):
    ctx = build_context(settings, clock, options)
    return create_api_app(
        name=NAME, title="Netzwerk vor Ort: publishing", ctx=ctx, blueprints=[*BLUEPRINTS, pages_blp],
        description="Results for the members of the network: publications, the results page and feeds, "
                    "members and subscribers, newsletters, decision letters and enquiries.")


def build_dispatcher(ctx: ServiceContext, directory=None, transport_factory=None) -> Dispatcher:
    """The sending side of the worker; tests pass a directory or transport of their own."""
    return Dispatcher(engine=ctx.engine, uow_factory=ctx.uow_factory, settings=ctx.extras["settings"],
                      directory=directory or ApplicationsDirectory(), clock=ctx.bus.clock,
                      transport_factory=transport_factory)


def worker_plan(ctx: ServiceContext, dispatcher: Dispatcher | None = None) -> WorkerPlan:
    options: PublishingSettings = ctx.extras["settings"]
    dispatcher = dispatcher or build_dispatcher(ctx)
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.kafka_bootstrap_servers,
        consumers=[ConsumerSpec(group_id=options.consumer_group, topics=TOPICS,
                                handlers=event_handlers(options, ctx.bus.clock)),
                   ConsumerSpec(group_id=options.privacy_consumer_group, topics=PRIVACY_TOPICS,
                                handlers=privacy_handlers()),
                   revocation_consumer(NAME, f"{options.consumer_group}.access")],
        periodic=[
            Periodic("send-newsletters", 0.2, dispatcher.run_newsletters),
            Periodic("send-mails", 0.5, dispatcher.run_mails),
            Periodic("write-notices", 1.0, dispatcher.run_notices),
        ],
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run the outbox relay, the consumers and the senders")
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
