"""The service context: what a service's views and workers need (engine, unit of work, bus), and how a
view reaches it. Lowest module of shared.web: the request hooks, operations and idempotency import it."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app
from sqlalchemy import Engine, MetaData
from sqlalchemy.exc import IntegrityError

from shared.bus import MessageBus
from shared.db import make_engine, make_session_factory
from shared.errors import Conflict, DomainError
from shared.uow import is_duplicate_key

if TYPE_CHECKING:
    from shared.config import ServiceSettings
    from shared.uow import UnitOfWork

T = TypeVar("T")


@dataclass
class ServiceContext:
    """What a service's views need, attached to the app as `app.extensions['vorort']`."""
    name: str
    engine: Engine
    metadata: MetaData
    uow_factory: Callable[[], Any]
    kafka_bootstrap_servers: str
    bus: MessageBus  # the service's commands go through it: `context().bus.handle(command)`
    options: Any = None  # the service's own settings (its settings.py: publishing's, webhooks'), if it has any


def service_context(name: str, settings: ServiceSettings, *, metadata: MetaData, uow_class: Callable[..., UnitOfWork],
                    command_handlers: Mapping[type, Callable[..., Any]], clock: Callable[[], datetime],
                    dependencies: dict[str, Any] | None = None) -> ServiceContext:
    """Engine, unit-of-work factory and message bus of a service, built the same way in every service."""
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return uow_class(session_factory)

    return ServiceContext(name=name, engine=engine, metadata=metadata, uow_factory=uow_factory,
                          kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
                          bus=MessageBus(uow_factory, command_handlers, clock, dependencies))


def context() -> ServiceContext:
    ctx: ServiceContext = current_app.extensions["vorort"]
    return ctx


def dispatch(command: object, *, on_duplicate: DomainError | None = None) -> Any:
    """Run a command through the service's message bus. A unique constraint that a concurrent request
    won becomes `on_duplicate` (a 409 by default), never a 500."""
    try:
        return context().bus.handle(command)
    except IntegrityError as error:
        if is_duplicate_key(error):
            raise on_duplicate or Conflict("This already exists (a concurrent request created it).") from None
        raise


def read(query: Callable[[Any], T]) -> T:
    """Run a read-only `query(uow)` in a unit of work and return its result."""
    with context().uow_factory() as uow:
        return query(uow)
