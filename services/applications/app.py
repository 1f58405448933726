"""The applications service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn 'services.applications.app:create_app()'
    python -m services.applications.app worker [--relay-only]
    python -m services.applications.app migrate
The skeleton (CLI, context, app) is shared.service's; this module holds what is the service's own.
Nothing starts at import time.
"""
from __future__ import annotations

from pathlib import Path

from services.applications import handlers
from services.applications.api import BLUEPRINTS
from services.applications.consumers import CONSUMERS
from services.applications.db import ApplicationsUnitOfWork, metadata, start_mappers
from shared.service import ApiService, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import Periodic, WorkerPlan

NAME = "applications"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=ApplicationsUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=BLUEPRINTS, start_mappers=start_mappers,
    description="Calls for expressions of interest and the municipalities' applications.")

build_context = SERVICE.context  # (settings=None, clock=system_clock) -> ServiceContext
create_app = SERVICE.app  # gunicorn 'services.applications.app:create_app()'


def worker_plan(ctx: ServiceContext) -> WorkerPlan:
    bus = ctx.bus
    return worker_plan_for(ctx, consumers=CONSUMERS, periodic=[
        Periodic("close-overdue-calls", 5.0, lambda: bus.handle(handlers.CloseOverdueCalls()))])


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context, Worker(worker_plan), argv=argv)


if __name__ == "__main__":
    main()
