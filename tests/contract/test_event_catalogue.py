"""Contract tests: every event version's golden example round-trips, and the AsyncAPI document matches."""
from __future__ import annotations

import importlib
import json

import pytest
import yaml

from shared.config import REPO_ROOT
from shared.events.asyncapi import build, render
from shared.events.catalogue import SPECS, InvalidEventError, UnknownEventError, make_event, spec_for, validate_data
from shared.events.envelope import EnvelopeError, Event

SPEC_IDS = [f"{s.type}.v{s.version}" for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_golden_example_round_trips_through_the_wire_format(spec):
    event = make_event(spec.type, spec.example, source="/tests", version=spec.version, correlation_id="corr-1")
    key, value, headers = event.key(), event.value(), dict(event.headers())
    decoded = Event.from_value(value)
    assert decoded == event
    assert key.decode() == str(spec.example[spec.subject_field])
    assert headers["content-type"] == b"application/cloudevents+json; charset=UTF-8"
    assert not any(name.startswith("ce_") for name in headers), "a ce_ header makes the binding read binary mode"
    assert headers["correlation_id"] == b"corr-1"
    loaded = validate_data(decoded.type, decoded.data, decoded.version)
    assert spec.schema().dump(loaded) == event.data


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_consumers_ignore_unknown_fields(spec):
    data = dict(make_event(spec.type, spec.example, source="/tests", version=spec.version).data, field_from_the_future="x")
    assert "field_from_the_future" not in validate_data(spec.type, data, spec.version)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_envelope_carries_every_cloudevents_attribute(spec):
    envelope = json.loads(make_event(spec.type, spec.example, source="/tests", version=spec.version).value())
    assert {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataversion",
            "data"} <= set(envelope)
    assert envelope["specversion"] == "1.0" and envelope["datacontenttype"] == "application/json"


def test_an_unknown_version_is_not_guessed():
    with pytest.raises(UnknownEventError):
        validate_data("ApplicationSubmitted", spec_for("ApplicationSubmitted").example, 99)


def test_data_that_breaks_the_schema_is_invalid():
    with pytest.raises(InvalidEventError):
        validate_data("ApplicationSubmitted", {"application_id": "x"}, 1)


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"specversion": "0.3"}', None,
                                 b'{"specversion":"1.0","id":"1","source":"s","type":"T","subject":"s",'
                                 b'"time":"yesterday","data":{}}'])
def test_unreadable_envelopes_are_refused(raw):
    with pytest.raises(EnvelopeError):
        Event.from_value(raw)


def test_asyncapi_document_is_generated_from_the_catalogue():
    on_disk = (REPO_ROOT / "docs" / "asyncapi.yaml").read_text()
    assert on_disk == render(), "docs/asyncapi.yaml is stale: run `vorort docs asyncapi`"


def test_asyncapi_lists_every_event_with_its_schema_and_golden_example():
    document = yaml.safe_load((REPO_ROOT / "docs" / "asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("3.")
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]
    for spec in SPECS:
        message = messages[f"{spec.type}.v{spec.version}"]
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert data_ref.rsplit("/", 1)[1] in schemas
        assert message["examples"][0]["payload"]["data"] == spec.example
        channel = spec.topic.split(".", 1)[1]
        assert f"{spec.type}.v{spec.version}" in document["channels"][channel]["messages"]


def test_asyncapi_marks_personal_data_fields():
    document = build()
    for key, message in document["components"]["messages"].items():
        assert isinstance(message["x-personal-data"], list), key


SERVICE_CONSUMERS = {
    "selection": "services.selection.app",
    "workshops": "services.workshops.app",
    "publishing": "services.publishing.app",
    "webhooks": "services.webhooks.app",
}


@pytest.mark.parametrize("service", sorted(SERVICE_CONSUMERS))
def test_every_consumed_event_type_is_in_the_catalogue(service):
    try:
        module = importlib.import_module(SERVICE_CONSUMERS[service])
    except ModuleNotFoundError:
        pytest.fail(f"service {service} has no app module")
    from shared.config import ServiceSettings

    settings = ServiceSettings(service, "sqlite://", "127.0.0.1:1", "development")
    plan = module.worker_plan(module.build_context(settings))
    for consumer in plan.consumers:
        for event_type in consumer.handlers:
            spec_for(event_type)
