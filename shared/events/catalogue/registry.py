"""Looking events up in the catalogue, validating their data and making them."""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError

from shared.events.catalogue.specs import _BY_KEY, _LATEST
from shared.events.envelope import Event

if TYPE_CHECKING:
    from shared.events.catalogue.specs import EventSpec


class UnknownEventError(LookupError):
    """No schema for this (type, version) in the catalogue."""


class InvalidEventError(ValueError):
    """The event's data does not match its schema."""

    def __init__(self, event_type: str, version: int, messages: dict[str, Any] | list[Any]) -> None:
        super().__init__(f"{event_type} v{version} is invalid: {messages}")
        self.messages = messages


def spec_for(event_type: str, version: int | None = None) -> EventSpec:
    try:
        return _LATEST[event_type] if version is None else _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEventError(f"no event {event_type} v{version} in the catalogue") from None


def topic_for(event_type: str) -> str:
    return spec_for(event_type).topic


def known_types() -> list[str]:
    return sorted(_LATEST)


@cache
def _schema(event_type: str, version: int) -> Schema:
    """One schema instance per event version: building marshmallow schemas is costly, using them is not."""
    return spec_for(event_type, version).schema()


def serialize_data(event_type: str, data: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    """Validate outgoing data against the schema and return its JSON form (datetimes as ISO strings)."""
    spec = spec_for(event_type, version)
    schema = _schema(spec.type, spec.version)
    try:
        dumped: dict[str, Any] = schema.dump(schema.load(_jsonable(data)))
    except ValidationError as error:
        raise InvalidEventError(event_type, spec.version, error.messages) from None
    return dumped


def validate_data(event_type: str, data: dict[str, Any], version: int) -> dict[str, Any]:
    """Load incoming data with the catalogue's schema; unknown fields are dropped, errors raised."""
    spec = spec_for(event_type, version)
    try:
        loaded: dict[str, Any] = _schema(spec.type, spec.version).load(data)
    except ValidationError as error:
        raise InvalidEventError(event_type, version, error.messages) from None
    return loaded


def make_event(event_type: str, data: dict[str, Any], *, source: str, correlation_id: str | None = None,
               version: int | None = None) -> Event:
    """Build an event whose data has been checked against the catalogue; key = the aggregate id."""
    spec = spec_for(event_type, version)
    payload = serialize_data(event_type, data, spec.version)
    return Event(type=event_type, version=spec.version, subject=str(payload[spec.subject_field]),
                 data=payload, source=source, correlation_id=correlation_id)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Accept datetimes as objects or ISO strings on the way in."""
    from datetime import datetime

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    converted: dict[str, Any] = convert(data)
    return converted
