"""The workshops service: `create_app()` for gunicorn, `main()` for the worker and migrations.

    gunicorn -b 127.0.0.1:8003 'services.workshops.app:create_app()'
    python -m services.workshops.app worker [--relay-only]
    python -m services.workshops.app migrate
Nothing starts at import time. The skeleton (CLI, context, app) is shared.service's; this module holds what
is the service's own.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from services.workshops import consumers, handlers
from services.workshops.api import BLUEPRINTS
from services.workshops.db import WorkshopsUnitOfWork, metadata, start_mappers
from shared.config import setting
from shared.service import ApiService, Worker, run_cli, worker_plan_for
from shared.web import ServiceContext
from shared.worker import Periodic, WorkerPlan

NAME = "workshops"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = ApiService(
    name=NAME, metadata=metadata, uow_class=WorkshopsUnitOfWork, command_handlers=handlers.COMMAND_HANDLERS,
    blueprints=BLUEPRINTS, start_mappers=start_mappers,
    description="Strategy workshops of the selected municipalities: scheduling, registrations, "
                "attendance, results and the public calendar.")

build_context = SERVICE.context  # (settings=None, clock=system_clock) -> ServiceContext
create_app = SERVICE.app  # gunicorn 'services.workshops.app:create_app()'


def worker_plan(ctx: ServiceContext) -> WorkerPlan:
    return worker_plan_for(
        ctx, consumers=consumers.consumers(ctx.bus),
        periodic=[Periodic("purge-expired-participant-data", 3600.0,
                           lambda: ctx.bus.handle(handlers.PurgeExpiredParticipantData(retention())))],
    )


def retention() -> timedelta:
    """How long participants' data is kept after a workshop ends: `WORKSHOPS_RETENTION_DAYS` (default 180)."""
    return timedelta(days=float(setting("WORKSHOPS_RETENTION_DAYS", "180")))


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context,
            Worker(worker_plan, help="run the outbox relay and the consumers (selection, erasures)"), argv=argv)


if __name__ == "__main__":
    main()
