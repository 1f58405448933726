"""The selection service: `create_app()` for gunicorn, `main()` for the worker, migrations and rebuild.

    gunicorn 'services.selection.app:create_app()'
    python -m services.selection.app worker [--relay-only] [--group GROUP]
    python -m services.selection.app migrate
    python -m services.selection.app rebuild [--group GROUP] [--topic TOPIC]
The skeleton (CLI, context, app) is shared.service's; this module holds what is the service's own: the
candidates consumer's group and the projection's rebuild. Nothing starts at import time.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from services.selection import consumers, handlers
from services.selection.api import BLUEPRINTS
from services.selection.db import SelectionUnitOfWork, metadata
from services.selection.privacy import PRIVACY_CONSUMER
from shared.config import consumer_group
from shared.events.catalogue import TOPIC_APPLICATIONS
from shared.revocation import revocation_consumer
from shared.service import ApiService, Command, Option, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import ConsumerSpec, WorkerPlan

NAME = "selection"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=SelectionUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=BLUEPRINTS,
    description="The steering group's review of the candidates, the ranking, the proposal under the "
                "balance rule, and the decision on the places.")

build_context = SERVICE.context  # (settings=None, clock=system_clock) -> ServiceContext
create_app = SERVICE.app  # gunicorn 'services.selection.app:create_app()'


def worker_plan(ctx: ServiceContext, group_id: str = consumers.CONSUMER_GROUP) -> WorkerPlan:
    return worker_plan_for(ctx, consumers=[
        ConsumerSpec(group_id=group_id, topics=[TOPIC_APPLICATIONS], handlers=consumers.HANDLERS),
        PRIVACY_CONSUMER, revocation_consumer(NAME)])


def rebuild(ctx: ServiceContext, args: argparse.Namespace) -> None:
    counts = consumers.rebuild_projection(ctx.uow_factory, ctx.kafka_bootstrap_servers, topic=args.topic,
                                          group_id=consumer_group(args.group_id))
    print(json.dumps(counts))


WORKER = Worker(worker_plan, help="run the outbox relay and the candidates consumer", options=(
    Option("--group", "group_id", consumers.CONSUMER_GROUP,
           "consumer group of the candidates consumer; another environment (or a test) on the same broker "
           "needs its own"),))
REBUILD = Command(
    "rebuild", f"rebuild the candidates projection from {TOPIC_APPLICATIONS} from scratch, in one transaction",
    rebuild, options=(
        Option("--group", "group_id", consumers.CONSUMER_GROUP,
               "the worker's consumer group, whose processed-message records are rebuilt too"),
        Option("--topic", "topic", TOPIC_APPLICATIONS, "read another topic (tests, migrations)")))


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context, WORKER, [REBUILD], argv=argv)


if __name__ == "__main__":
    main()
