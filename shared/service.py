"""The skeleton every service's `app.py` fills in, so that an app.py holds only what is its own.

Every service is run the same way (deploy/Procfile, vorort/run.py, tests):
    gunicorn 'services.<name>.app:create_app()'              the web process
    python -m services.<name>.app worker [--relay-only]      relay, consumers, periodic jobs (run_worker)
    python -m services.<name>.app migrate                    Alembic to head
`run_cli` is that command line; a service adds options to `worker` (selection: `--group`) or commands of
its own (selection: `rebuild`). An API service declares itself once as an `ApiService` (its tables, unit
of work, handlers, blueprints and description), which builds its context and its app; the front ends
(admin, portal) build theirs with shared.pages.create_front_end. An API service's app.py (a service with settings of its own writes build_context and create_app out, adding
them: services/publishing/app.py):

    SERVICE = ApiService(name=NAME, metadata=metadata, uow_class=ApplicationsUnitOfWork,
                         command_handlers=handlers.COMMAND_HANDLERS, blueprints=BLUEPRINTS,
                         description="...", start_mappers=start_mappers)

    build_context = SERVICE.context     # (settings=None, clock=system_clock) -> ServiceContext
    create_app = SERVICE.app            # gunicorn 'services.<name>.app:create_app()'

    def worker_plan(ctx) -> WorkerPlan:
        return worker_plan_for(ctx, consumers=CONSUMERS, periodic=[...])

    def main(argv=None) -> None:
        run_cli(NAME, MIGRATIONS, build_context, Worker(worker_plan), argv=argv)
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import MetaData

from shared.bus import system_clock
from shared.config import ServiceSettings
from shared.db import migrate
from shared.logs import configure_logging
from shared.web import ServiceContext, create_api_app, service_context
from shared.worker import ConsumerSpec, Periodic, WorkerPlan, run_worker


@dataclass(frozen=True)
class Option:
    """A command-line option of a service's own (`--group GROUP`); the command receives it as `dest`."""
    flag: str
    dest: str
    default: Any = None
    help: str = ""


@dataclass(frozen=True)
class Worker:
    """The `worker` command: `plan(ctx, **options)` builds what `run_worker` runs."""
    plan: Callable[..., WorkerPlan]
    help: str = "run the outbox relay, the consumers and the periodic jobs"
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command of a service's own beside `worker` and `migrate`: `run(ctx, args)`."""
    name: str
    help: str
    run: Callable[[Any, argparse.Namespace], None]
    options: tuple[Option, ...] = ()


def _add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    for option in options:
        parser.add_argument(option.flag, dest=option.dest, default=option.default, help=option.help,
                            metavar=option.flag.lstrip("-").upper())


def run_cli(name: str, migrations: Path, build_context: Callable[[ServiceSettings], Any] | None = None,
            worker: Worker | None = None, commands: Sequence[Command] = (), argv: Sequence[str] | None = None) -> None:
    """`python -m services.<name>.app`: `migrate`, `worker [--relay-only]` (where the service has a worker)
    and the service's own commands; the context is built from the environment's settings."""
    parser = argparse.ArgumentParser(prog=f"services.{name}")
    sub = parser.add_subparsers(dest="command", required=True)
    if worker is not None:
        worker_parser = sub.add_parser("worker", help=worker.help)
        worker_parser.add_argument("--relay-only", action="store_true",
                                   help="run only the outbox relay (no consumers, loops or periodic jobs)")
        _add_options(worker_parser, worker.options)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    for command in commands:
        _add_options(sub.add_parser(command.name, help=command.help), command.options)
    args = parser.parse_args(argv)
    configure_logging(name)
    settings = ServiceSettings.from_env(name)
    if args.command == "migrate":
        migrate(settings.database_url, migrations)
        return
    assert build_context is not None, f"{name}: a worker or command needs build_context"
    ctx = build_context(settings)
    if args.command == "worker":
        assert worker is not None
        options = {option.dest: getattr(args, option.dest) for option in worker.options}
        run_worker(worker.plan(ctx, **options), consumers=not args.relay_only)
        return
    next(command for command in commands if command.name == args.command).run(ctx, args)


@dataclass(frozen=True)
class ApiService:
    """An API service, declared once: what its context and its app are built from."""
    name: str
    metadata: MetaData
    uow_class: Callable[..., Any]
    command_handlers: dict[Any, Any]  # command type -> handler (shared.bus)
    blueprints: list[Any]
    description: str
    start_mappers: Callable[[], None] = field(default=lambda: None)

    @property
    def title(self) -> str:
        return f"Netzwerk vor Ort: {self.name}"

    def context(self, settings: ServiceSettings | None = None, clock: Callable[[], datetime] = system_clock,
                dependencies: dict[str, Any] | None = None) -> ServiceContext:
        """Engine, unit of work and bus from the settings (the environment's by default)."""
        self.start_mappers()
        return service_context(self.name, settings or ServiceSettings.from_env(self.name), metadata=self.metadata,
                               uow_class=self.uow_class, command_handlers=self.command_handlers, clock=clock,
                               dependencies=dependencies)

    def create_app(self, ctx: ServiceContext) -> Flask:
        """The service's Flask app (shared.web.create_api_app): gunicorn's `create_app()` returns it."""
        return create_api_app(name=self.name, title=self.title, description=self.description,
                              blueprints=self.blueprints, ctx=ctx)

    def app(self, settings: ServiceSettings | None = None, clock: Callable[[], datetime] = system_clock) -> Flask:
        """The app on the plain context: `create_app = SERVICE.app` where a service adds nothing to either."""
        return self.create_app(self.context(settings, clock))


def worker_plan_for(ctx: ServiceContext, *, consumers: Iterable[ConsumerSpec] = (), periodic: Iterable[Periodic] = (),
                    loops: Iterable[tuple[str, Callable[..., None]]] = ()) -> WorkerPlan:
    """An API service's worker: its relay over its context's engine and tables, and what it adds."""
    return WorkerPlan(service=ctx.name, engine=ctx.engine, metadata=ctx.metadata, uow_factory=ctx.uow_factory,
                      bootstrap_servers=ctx.kafka_bootstrap_servers, consumers=list(consumers),
                      periodic=list(periodic), loops=list(loops))
