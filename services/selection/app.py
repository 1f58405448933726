"""The selection service: `create_app()` for gunicorn, `main()` for the worker, migrations and rebuild.

    gunicorn 'services.selection.app:create_app()'
    python -m services.selection.app worker [--relay-only] [--group GROUP]
    python -m services.selection.app migrate
    python -m services.selection.app rebuild [--group GROUP]
Nothing starts at import time.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from services.selection import consumers, handlers
from services.selection.api import BLUEPRINTS
from services.selection.db import SelectionUnitOfWork, metadata
from services.selection.privacy import PRIVACY_CONSUMER
from shared.bus import system_clock
from shared.config import ServiceSettings, consumer_group
from shared.db import migrate
from shared.events.catalogue import TOPIC_APPLICATIONS
from shared.logs import configure_logging
from shared.revocation import revocation_consumer
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import ConsumerSpec, WorkerPlan, run_worker

NAME = "selection"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_context(settings: ServiceSettings | None = None, clock=system_clock) -> ServiceContext:
    settings = settings or ServiceSettings.from_env(NAME)
    ctx = service_context(NAME, settings, metadata=metadata, uow_class=SelectionUnitOfWork,
                          command_handlers=handlers.COMMAND_HANDLERS, clock=clock)
    return ctx


def create_app(settings: ServiceSettings | None = None, clock=system_clock):
    ctx = build_context(settings, clock)
    return create_api_app(
        name=NAME, title="Netzwerk vor Ort: selection", ctx=ctx, blueprints=BLUEPRINTS,
        description="The steering group's review of the candidates, the ranking, the proposal under the "
                    "balance rule, and the decision on the places.")


def worker_plan(ctx: ServiceContext, group_id: str = consumers.CONSUMER_GROUP) -> WorkerPlan:
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.kafka_bootstrap_servers,
        consumers=[ConsumerSpec(group_id=group_id, topics=[TOPIC_APPLICATIONS], handlers=consumers.HANDLERS),
                   PRIVACY_CONSUMER, revocation_consumer(NAME)],
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    group_help = ("consumer group of the candidates consumer; another environment (or a test) on the same "
                  "broker needs its own")
    worker = sub.add_parser("worker", help="run the outbox relay and the candidates consumer")
    worker.add_argument("--relay-only", action="store_true")
    worker.add_argument("--group", default=consumers.CONSUMER_GROUP, help=group_help)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    rebuild = sub.add_parser("rebuild", help=f"rebuild the candidates projection from {TOPIC_APPLICATIONS} "
                                             "from scratch, in one transaction")
    rebuild.add_argument("--group", default=consumers.CONSUMER_GROUP,
                         help="the worker's consumer group, whose processed-message records are rebuilt too")
    rebuild.add_argument("--topic", default=TOPIC_APPLICATIONS, help="read another topic (tests, migrations)")
    args = parser.parse_args(argv)
    configure_logging(NAME)
    settings = ServiceSettings.from_env(NAME)
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        return
    ctx = build_context(settings)
    if args.command == "rebuild":
        counts = consumers.rebuild_projection(ctx.uow_factory, ctx.kafka_bootstrap_servers, topic=args.topic,
                                              group_id=consumer_group(args.group))
        print(json.dumps(counts))
        return
    run_worker(worker_plan(ctx, args.group), consumers=not args.relay_only)


if __name__ == "__main__":
    main()
