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


def test_a_command_from_a_consumer_runs_in_the_consumers_unit_of_work():
    consumers_uow = FakeUnitOfWork()  # not entered: the consumer loop holds it open, the bus opens no other
    assert bus().handle(Plain(3), uow=consumers_uow) == (3, False, NOW)


def test_consumer_handlers_turn_events_into_commands_and_refusals_into_dead_letters():
    from shared.consumer import PermanentError, command_handlers
    from shared.errors import InvalidInput

    seen = []

    def record(command, uow, clock):
        seen.append((command, uow))

    def refuse(command, uow, clock):
        raise InvalidInput("must be positive", field="value")

    routed = MessageBus(FakeUnitOfWork, {Plain: record, NeedsSettings: refuse}, lambda: NOW)
    handlers = command_handlers(routed, {"Planned": lambda data: Plain(data["value"]),
                                         "Refused": lambda data: NeedsSettings(data["value"])})
    consumers_uow = FakeUnitOfWork()
    handlers["Planned"](None, {"value": 4}, consumers_uow)
    assert seen == [(Plain(4), consumers_uow)]
    with pytest.raises(PermanentError, match="value: must be positive"):
        handlers["Refused"](None, {"value": -1}, consumers_uow)


def test_a_command_maker_of_two_parameters_gets_the_event_and_its_data():
    from shared.consumer import command_handlers
    from shared.events.catalogue import make_event, spec_for

    seen = []
    routed = MessageBus(FakeUnitOfWork, {Plain: lambda command, uow, clock: seen.append(command)}, lambda: NOW)
    event = make_event("CallOpened", dict(spec_for("CallOpened").example), source="/services/applications")
    handlers = command_handlers(routed, {"CallOpened": lambda data: Plain(len(data)),
                                         "WithEvent": lambda event, data: Plain(len(event.id) + len(data))})
    handlers["CallOpened"](event, {"a": 1}, FakeUnitOfWork())
    handlers["WithEvent"](event, {"a": 1, "b": 2}, FakeUnitOfWork())
    assert seen == [Plain(1), Plain(len(event.id) + 2)]


def test_a_bus_with_more_dependencies_keeps_its_handlers_clock_and_other_dependencies():
    more = bus(settings={"sender": "office"}).with_dependencies(panel_members=lambda call_id: {"m1"})
    assert more.handle(NeedsSettings(5)) == (5, "office")
    assert more.handle(Plain(6)) == (6, True, NOW)
    assert set(more.dependencies) == {"settings", "panel_members"}
