"""The message bus routes a command to its handler with a fresh unit of work, the clock, and the
dependencies the handler names (no partials, no lookups by string key)."""
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from shared.bus import MessageBus

NOW = datetime(2018, 5, 2, 10, 0, tzinfo=timezone.utc)


class FakeUnitOfWork:
    def __init__(self):
        self.entered = False

    def __enter__(self):
        self.entered = True
        return self

    def __exit__(self, *exc):
        return False


@dataclass(frozen=True)
class Plain:
    value: int


@dataclass(frozen=True)
class NeedsSettings:
    value: int


def plain(command, uow, clock):
    return command.value, uow.entered, clock()


def needs_settings(command, uow, clock, settings):
    return command.value, settings["sender"]


def bus(**dependencies):
    return MessageBus(FakeUnitOfWork, {Plain: plain, NeedsSettings: needs_settings}, lambda: NOW,
                      dependencies=dependencies)


def test_a_handler_gets_a_unit_of_work_and_the_clock():
    assert bus(settings={"sender": "office"}).handle(Plain(1)) == (1, True, NOW)


def test_a_handler_that_names_a_dependency_gets_it_and_others_do_not():
    assert bus(settings={"sender": "office"}).handle(NeedsSettings(2)) == (2, "office")


def test_a_command_without_a_handler_is_refused():
    with pytest.raises(LookupError, match="no handler for str"):
        bus().handle("not a command")
