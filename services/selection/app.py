"""The selection service: `create_app()` for gunicorn, `main()` for the worker, migrations and rebuild.

    gunicorn 'services.selection.app:create_app()'
    python -m services.selection.app worker [--relay-only]
    python -m services.selection.app migrate
    python -m services.selection.app rebuild [--topic TOPIC]
The skeleton (CLI, context, app) is shared.service's; this module holds what is the service's own: its
consumers and the projection's rebuild. Nothing starts at import time.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from services.selection import consumers, handlers
from services.selection.api import BLUEPRINTS
from services.selection.db import SelectionUnitOfWork, metadata
from shared.config import consumer_group
from shared.consumer import rebuild_projection
from shared.events.catalogue import TOPIC_APPLICATIONS
from shared.service import ApiService, Command, Option, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import WorkerPlan

NAME = "selection"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=SelectionUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=BLUEPRINTS,
    description="The steering group's review of the candidates, the ranking, the proposal under the "
                "balance rule, and the decision on the places.")

build_context = SERVICE.context  # (settings=None, clock=system_clock) -> ServiceContext
create_app = SERVICE.app  # gunicorn 'services.selection.app:create_app()'


def worker_plan(ctx: ServiceContext) -> WorkerPlan:
    return worker_plan_for(ctx, consumers=consumers.consumers())


def rebuild(ctx: ServiceContext, args: argparse.Namespace) -> None:
    # The worker's group (selection.candidates and the deployment's suffix): its processed records are rebuilt too.
    counts = rebuild_projection(consumers.CANDIDATES, ctx.uow_factory, ctx.kafka_bootstrap_servers,
                                group_id=consumer_group(consumers.NAME, consumers.PURPOSE), topics=[args.topic],
                                client_id="selection-rebuild")
    print(json.dumps(counts))


WORKER = Worker(worker_plan, help="run the outbox relay and the candidates consumer")
REBUILD = Command(
    "rebuild", f"rebuild the candidates projection from {TOPIC_APPLICATIONS} from scratch, in one transaction",
    rebuild, options=(Option("--topic", "topic", TOPIC_APPLICATIONS, "read another topic (tests, migrations)"),))


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context, WORKER, [REBUILD], argv=argv)


if __name__ == "__main__":
    main()
