"""The workshops service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn -b 127.0.0.1:8003 'services.workshops.app:create_app()'
    python -m services.workshops.app worker [--relay-only]
    python -m services.workshops.app migrate
Nothing starts at import time. `WORKSHOPS_CONSUMER_GROUP_PREFIX` (default `workshops`) names the consumer
groups `<prefix>.selection` and `<prefix>.privacy`: another environment or a test on the same broker
sets its own.
"""
from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from services.workshops import consumers, handlers
from services.workshops.api import BLUEPRINTS
from services.workshops.db import WorkshopsUnitOfWork, metadata, start_mappers
from shared.bus import system_clock
from shared.config import ServiceSettings, setting
from shared.db import migrate
from shared.events.catalogue import TOPIC_PRIVACY, TOPIC_SELECTION
from shared.logs import configure_logging
from shared.revocation import revocation_consumer
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import ConsumerSpec, Periodic, WorkerPlan, run_worker

NAME = "workshops"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_context(settings: ServiceSettings | None = None, clock=system_clock) -> ServiceContext:
    settings = settings or ServiceSettings.from_env(NAME)
    start_mappers()
    ctx = service_context(NAME, settings, metadata=metadata, uow_class=WorkshopsUnitOfWork,
                          command_handlers=handlers.COMMAND_HANDLERS, clock=clock)
    return ctx


def create_app(settings: ServiceSettings | None = None, clock=system_clock):
    ctx = build_context(settings, clock)
    return create_api_app(
        name=NAME, title="Netzwerk vor Ort: workshops", ctx=ctx, blueprints=BLUEPRINTS,
        description="Strategy workshops of the selected municipalities: scheduling, registrations, "
                    "attendance, results and the public calendar.")


def worker_plan(ctx: ServiceContext, group_prefix: str = consumers.GROUP_PREFIX) -> WorkerPlan:
    clock = ctx.bus.clock
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.kafka_bootstrap_servers,
        consumers=[ConsumerSpec(group_id=f"{group_prefix}.selection", topics=[TOPIC_SELECTION],
                                handlers=consumers.selection_handlers(clock)),
                   ConsumerSpec(group_id=f"{group_prefix}.privacy", topics=[TOPIC_PRIVACY],
                                handlers=consumers.privacy_handlers(clock)),
                   revocation_consumer(NAME, f"{group_prefix}.access")],
        periodic=[Periodic("purge-expired-participant-data", 3600.0,
                           lambda: ctx.bus.handle(handlers.PurgeExpiredParticipantData(retention())))],
    )


def retention() -> timedelta:
    """How long participants' data is kept after a workshop ends: `WORKSHOPS_RETENTION_DAYS` (default 180)."""
    return timedelta(days=float(setting("WORKSHOPS_RETENTION_DAYS", "180")))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run the outbox relay and the consumers (selection, erasures)")
    worker.add_argument("--relay-only", action="store_true")
    sub.add_parser("migrate", help="bring the database to the newest schema")
    args = parser.parse_args(argv)
    configure_logging(NAME)
    settings = ServiceSettings.from_env(NAME)
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        return
    ctx = build_context(settings)
    group_prefix = setting("WORKSHOPS_CONSUMER_GROUP_PREFIX", "").strip() or consumers.GROUP_PREFIX
    run_worker(worker_plan(ctx, group_prefix), consumers=not args.relay_only)


if __name__ == "__main__":
    main()
