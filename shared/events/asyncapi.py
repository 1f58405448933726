"""Generates docs/asyncapi.yaml (AsyncAPI 3.0) from the event catalogue, so the two never drift.

`vorort docs asyncapi` writes the file; a contract test fails when the file differs from what the
catalogue generates. Schemas are converted with apispec's marshmallow plugin (the same converter that
writes the services' OpenAPI documents).
"""
from __future__ import annotations

from typing import Any

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared.events.catalogue import SPECS, TOPICS, EventSpec, dead_letter_topic


ENVELOPE_SCHEMA = {
    "type": "object",
    "description": "A CloudEvents 1.0 envelope in structured JSON mode (the Kafka message value).",
    "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataversion",
                 "data"],
    "properties": {
        "specversion": {"type": "string", "const": "1.0"},
        "id": {"type": "string", "description": "Unique event id; consumers deduplicate on it."},
        "source": {"type": "string", "description": "The producing service, e.g. /services/applications."},
        "type": {"type": "string", "description": "The fact's name, e.g. ApplicationSubmitted."},
        "subject": {"type": "string", "description": "The aggregate id; also the Kafka message key."},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"type": "string", "const": "application/json"},
        "dataversion": {"type": "integer", "description": "The version of the data schema."},
        "correlationid": {"type": "string", "description": "Carried from the HTTP request that caused it."},
        "data": {"type": "object"},
    },
}

HEADERS_SCHEMA = {
    "type": "object",
    "properties": {
        "content-type": {"type": "string", "const": "application/cloudevents+json; charset=UTF-8",
                         "description": "CloudEvents Kafka binding, structured mode: the value is the whole "
                                        "event. No ce_ headers are sent."},
        "correlation_id": {"type": "string"},
    },
    "required": ["content-type"],
}


def _channel_name(topic: str) -> str:
    return topic.split(".", 1)[1]


def _personal_fields(schema: dict[str, Any], schemas: dict[str, Any], seen: set[str] | None = None) -> list[str]:
    seen = seen or set()
    found: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-personal-data"):
            found.append(name)
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref and ref not in seen:
            seen.add(ref)
            found += [f"{name}.{inner}" for inner in _personal_fields(schemas[ref.rsplit('/', 1)[1]], schemas, seen)]
    return found


INFO = {
    "title": "Netzwerk vor Ort: integration events",
    "version": "1.0.0",
    "description": (
        "Facts that the platform's services publish to Kafka. Every message value is a CloudEvents 1.0 "
        "envelope; the key is the aggregate id, so one aggregate's events keep their order. Delivery is "
        "at least once; consumers deduplicate by event id. Fields marked `x-personal-data: true` carry "
        "personal data; each message lists them under `x-personal-data` (empty: none). The platform "
        "keeps contacts out of events: consumers that need one ask the owning service's API."),
}

DEAD_LETTERS_CHANNEL = {
    "address": dead_letter_topic("{consumer_group}"),
    "parameters": {"consumer_group": {"description": "The consumer group that gave up on the message."}},
    "description": ("Messages a consumer could not read or apply. Key, value and headers are the original's; "
                    "added headers: dlq_original_topic, dlq_original_partition, dlq_original_offset, "
                    "dlq_consumer_group, dlq_error."),
}


def _message(event_spec: EventSpec, schemas: dict[str, Any]) -> dict[str, Any]:
    """The AsyncAPI message of one event type and version: the envelope with its data schema."""
    data_ref = f"#/components/schemas/{event_spec.type}V{event_spec.version}"
    personal = _personal_fields(schemas[f"{event_spec.type}V{event_spec.version}"], schemas)
    return {
        "name": event_spec.type,
        "title": f"{event_spec.type} v{event_spec.version}",
        "summary": event_spec.summary,
        "contentType": "application/cloudevents+json",
        "headers": HEADERS_SCHEMA,
        "payload": {"allOf": [{"$ref": "#/components/schemas/CloudEventEnvelope"},
                              {"type": "object", "properties": {
                                  "type": {"const": event_spec.type},
                                  "dataversion": {"const": event_spec.version},
                                  "data": {"$ref": data_ref}}}]},
        "bindings": {"kafka": {"key": {"type": "string", "description": f"The aggregate id ({event_spec.subject_field})."}}},
        "x-personal-data": personal,
        "examples": [{"name": "golden", "payload": {"type": event_spec.type, "dataversion": event_spec.version,
                                                    "data": event_spec.example}}],
    }


def build() -> dict[str, Any]:
    spec = APISpec(title="events", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    for event_spec in SPECS:
        spec.components.schema(f"{event_spec.type}V{event_spec.version}", schema=event_spec.schema)
    schemas: dict[str, Any] = spec.to_dict()["components"]["schemas"]
    schemas["CloudEventEnvelope"] = ENVELOPE_SCHEMA

    messages: dict[str, dict[str, Any]] = {}
    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    for topic in TOPICS:
        channels[_channel_name(topic)] = {"address": topic, "messages": {}}
    for event_spec in SPECS:
        key = f"{event_spec.type}.v{event_spec.version}"
        messages[key] = _message(event_spec, schemas)
        channel = _channel_name(event_spec.topic)
        channels[channel]["messages"][key] = {"$ref": f"#/components/messages/{key}"}
    for topic in TOPICS:
        name = _channel_name(topic)
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"The {name} service publishes its facts to {topic} through its outbox relay.",
            "messages": [{"$ref": f"#/channels/{name}/messages/{key}"} for key in channels[name]["messages"]],
        }
    channels["dead_letters"] = DEAD_LETTERS_CHANNEL
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "defaultContentType": "application/cloudevents+json",
        "servers": {"development": {"host": "127.0.0.1:9092", "protocol": "kafka",
                                    "description": "The single-node KRaft broker that `make run` starts."}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    text: str = yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=110)
    return text
