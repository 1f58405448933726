"""The event envelope: CloudEvents 1.0 in structured JSON mode, carried in the Kafka value.

Key = the aggregate id (`subject`), so that one aggregate's events share a partition and keep their order.
Headers follow the CloudEvents Kafka protocol binding's structured mode: `content-type:
application/cloudevents+json` says the value is the whole event, and no `ce_` header is sent (a reader of the
binding takes any `ce_` header for binary mode). `correlation_id` is ours, for tracing. Readers take the id
and type from the value, so messages written before (with `ce_id` and `ce_type` headers and no content type)
read the same.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

HEADER_CONTENT_TYPE = "content-type"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
HEADER_CORRELATION_ID = "correlation_id"


class EnvelopeError(ValueError):
    """The bytes are not an event envelope we can read."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _isoformat(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    type: str
    subject: str
    data: dict[str, Any]
    source: str
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utcnow)
    correlation_id: str | None = None

    def to_cloudevent(self) -> dict[str, Any]:
        envelope = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": _isoformat(self.time),
            "datacontenttype": CONTENT_TYPE,
            "dataversion": self.version,
            "data": self.data,
        }
        if self.correlation_id:
            envelope["correlationid"] = self.correlation_id
        return envelope

    def value(self) -> bytes:
        # orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) writes, several times faster.
        return orjson.dumps(self.to_cloudevent())

    def key(self) -> bytes:
        return self.subject.encode()

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [(HEADER_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE.encode())]
        if self.correlation_id:
            headers.append((HEADER_CORRELATION_ID, self.correlation_id.encode()))
        return headers

    @classmethod
    def from_cloudevent(cls, envelope: dict[str, Any]) -> Event:
        try:
            if envelope["specversion"] != SPECVERSION:
                raise EnvelopeError(f"unsupported specversion {envelope['specversion']!r}")
            version = envelope.get("dataversion", 1)
            if not isinstance(version, int) or isinstance(version, bool):
                raise EnvelopeError("dataversion must be an integer")
            data = envelope["data"]
            if not isinstance(data, dict):
                raise EnvelopeError("data must be a JSON object")
            return cls(
                type=str(envelope["type"]),
                subject=str(envelope["subject"]),
                data=data,
                source=str(envelope["source"]),
                version=version,
                id=str(envelope["id"]),
                time=datetime.fromisoformat(str(envelope["time"]).replace("Z", "+00:00")),
                correlation_id=envelope.get("correlationid"),
            )
        except KeyError as missing:
            raise EnvelopeError(f"envelope lacks attribute {missing}") from None
        except (TypeError, ValueError) as bad:
            if isinstance(bad, EnvelopeError):
                raise
            raise EnvelopeError(f"malformed envelope: {bad}") from None

    @classmethod
    def from_value(cls, value: bytes | None) -> Event:
        if value is None:
            raise EnvelopeError("empty message")
        try:
            envelope = orjson.loads(value)
        except orjson.JSONDecodeError as bad:
            raise EnvelopeError(f"not JSON: {bad}") from None
        if not isinstance(envelope, dict):
            raise EnvelopeError("envelope must be a JSON object")
        return cls.from_cloudevent(envelope)
