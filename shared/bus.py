"""The message bus: routes a command to its handler with a fresh unit of work.

Handlers are plain functions `handler(command, uow, clock) -> result`; a service declares them in one
dict, `COMMAND_HANDLERS = {SubmitApplication: submit_application, ...}`. A handler that needs more (say the
service's settings) names it as a further parameter, and the bus passes the dependency of that name
(`MessageBus(..., dependencies={"settings": settings})`, or `bus.with_dependencies(name=value)` for what
only a worker needs): no partials, no lookups by string key. Tests build
the bus with a fake unit of work and a fixed clock; the app builds it with the real ones.

A command usually gets a fresh unit of work, which its handler commits. A consumer that turns an event into a
command (shared.consumer.command_handlers) passes its own unit of work instead: the handler then writes inside
the consumer loop's transaction and does not commit, so its writes and the record that the event was
processed commit together.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class MessageBus:
    def __init__(self, uow_factory: Callable[[], Any], handlers: Mapping[type, Callable[..., Any]],
                 clock: Callable[[], datetime] = system_clock, dependencies: Mapping[str, Any] | None = None) -> None:
        self.uow_factory = uow_factory
        self.handlers = handlers
        self.clock = clock
        self.dependencies = dict(dependencies or {})
        self._injected = {command: self._wanted_by(handler) for command, handler in handlers.items()}

    def _wanted_by(self, handler: Callable[..., Any]) -> dict[str, Any]:
        parameters = inspect.signature(handler).parameters
        return {name: value for name, value in self.dependencies.items() if name in parameters}

    def with_dependencies(self, **dependencies: Any) -> MessageBus:
        """The same bus (handlers, unit of work, clock) with these dependencies added or replaced: a worker
        gives its consumers' handlers what only the worker needs (webhooks' `panel_members`), a test a fake."""
        return MessageBus(self.uow_factory, self.handlers, self.clock, {**self.dependencies, **dependencies})

    def handle(self, command: object, uow: Any = None) -> Any:
        """Run the command's handler in a fresh unit of work, or in `uow` (a consumer's) when given."""
        try:
            handler = self.handlers[type(command)]
        except KeyError:
            raise LookupError(f"no handler for {type(command).__name__}") from None
        if uow is not None:
            return handler(command, uow, self.clock, **self._injected[type(command)])
        with self.uow_factory() as fresh:
            return handler(command, fresh, self.clock, **self._injected[type(command)])
