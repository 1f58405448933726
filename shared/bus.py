"""The message bus: routes a command to its handler with a fresh unit of work.

Handlers are plain functions `handler(command, uow, clock) -> result`; a service declares them in one
dict, `COMMAND_HANDLERS = {SubmitApplication: submit_application, ...}`. Tests build the bus with a fake
unit of work and a fixed clock; the app builds it with the real ones.
"""
from __future__ import annotations

from datetime import datetime, timezone
from collections.abc import Callable


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class MessageBus:
    def __init__(self, uow_factory: Callable, handlers: dict, clock: Callable[[], datetime] = system_clock):
        self.uow_factory = uow_factory
        self.handlers = handlers
        self.clock = clock

    def handle(self, command):
        try:
            handler = self.handlers[type(command)]
        except KeyError:
            raise LookupError(f"no handler for {type(command).__name__}") from None
        with self.uow_factory() as uow:
            return handler(command, uow, self.clock)
