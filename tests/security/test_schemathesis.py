"""Attack 10 (issue 10, item 3): schemathesis against every API service's OpenAPI document, with every check
and every phase, 0 failures.

- Services: every API service found in services/ (support.api_services), so a new one is fuzzed as it lands.
  Each runs as a real HTTP server (werkzeug, threaded, in this process) on a fresh, migrated PostgreSQL
  database; calls carry a staff token (the role that reaches the most).
- Checks: all of schemathesis's checks (ALL_CHECKS below; a check this version adds is enabled too): no 5xx,
  status codes, content types, headers and bodies as documented, schema-valid requests accepted
  (`positive_data_acceptance`), schema-invalid ones refused (`negative_data_rejection`), 405 with `Allow`
  for undeclared methods, missing required headers refused, auth not ignored, deleted things stay gone and
  created ones are there. Only `max_response_time` stays off: speed is measured in benchmarks, never asserted
  in tests.
- Phases: examples, coverage (boundary values), fuzzing and the stateful phase, which follows the documents'
  OpenAPI links from an operation that creates something to the operations on it. The test proves that the
  links are followed, and that existing objects are reached: every service has operations on path
  parameters that answered 2xx (ids of objects created, listed or seeded in the run; a made-up id gets 404). Objects that only events make
  (workshops, candidates, publications) are seeded first through the service's own consumers, from the
  event catalogue's golden examples; the documents link lists to their items.
- Rules across fields that JSON Schema cannot state are written in the documents as the `x-after`,
  `x-unique-by`, `x-not-below` and `x-not-more-than-items` extensions (shared/openapi.py); the hook below makes the fuzzer's requests follow them (the APIs' own tests send the
  bodies that break them and get 422 naming the field).
- Reproducible: a fixed seed, derandomised generation, no shrinking deadline (Hypothesis `deadline=None`).
  SCHEMATHESIS_MAX_EXAMPLES (default 5) sets the depth per operation; SCHEMATHESIS_SEED the seed.

EXEMPTIONS lists, in one place, what a document cannot say; each is one operation and one check, with its
reason; the test prints which were needed in the run.
"""
from __future__ import annotations

import importlib
import logging
import os
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from support import api_app, api_services, bearer

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261130"))
# Every check schemathesis has (`--checks all`), except the timing one (see the module docstring).
ALL_CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
              "response_schema_conformance", "response_headers_conformance", "positive_data_acceptance",
              "negative_data_rejection", "use_after_free", "ensure_resource_availability",
              "missing_required_header", "ignored_auth", "object_level_authorization", "unsupported_method",
              "allow_header_conformance"]
PHASES = ["examples", "coverage", "fuzzing", "stateful"]

# What a document cannot state (yet), in one place. Each covers one check on one operation, and only failures
# whose answer is a 422 naming `field` (errors.json) with a message that matches `message`. The test prints how
# often each was needed in the run; one that is never needed any more is to be removed.
@dataclass(frozen=True)
class Exemption:
    service: str
    operation: str  # "METHOD /path"
    check: str
    field: str
    message: str  # a regular expression the refusal's message must match
    reason: str


_WORLD_DNS = ("Whether a host name resolves, and to public addresses only, depends on the world's DNS at the "
              "moment of the request (SSRF protection, docs/security.md); the document says so in the url's "
              "description, and no schema can state it.")
_SCHEDULE = ("A partial update is checked against the workshop's stored schedule merged with the change (registration "
             "opens before the start unless it has a close; it closes by the end): rules between a field of the "
             "body and a stored one, not yet stated (x-after covers the pairs within one body).")
EXEMPTIONS = [
    Exemption("identity", "POST /v1/clients", "positive_data_acceptance", "public_jwk", r"^Not a usable public key",
              "Whether a JWK's coordinates lie on its curve (or its RSA numbers form a key) is arithmetic that "
              "JSON Schema cannot state; the document says EC P-256 or RSA, public members only."),
    Exemption("workshops", "PATCH /v1/workshops/{workshop_id}", "positive_data_acceptance", "registration_opens_at",
              r"^Registration must open before the workshop starts", _SCHEDULE),
    Exemption("workshops", "PATCH /v1/workshops/{workshop_id}", "positive_data_acceptance",
              "registration_closes_at", r"^Registration cannot close after the workshop has ended", _SCHEDULE),
    Exemption("webhooks", "POST /v1/endpoints", "positive_data_acceptance", "url",
              r"does not resolve|webhooks go to public addresses only", _WORLD_DNS),
    Exemption("webhooks", "PATCH /v1/endpoints/{endpoint_id}", "positive_data_acceptance", "url",
              r"does not resolve|webhooks go to public addresses only", _WORLD_DNS),
]


@dataclass
class Run:
    """What one service's run found: failures, errors, and the answers of link-followed calls."""
    failures: list[str] = field(default_factory=list)
    exempted: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)
    # "METHOD /path" -> statuses of calls whose path parameters came from a created object (OpenAPI link)
    linked: dict = field(default_factory=lambda: defaultdict(Counter))
    # "METHOD /path" -> statuses of every call of an operation with path parameters (any phase)
    on_objects: dict = field(default_factory=lambda: defaultdict(Counter))
    phases: dict = field(default_factory=dict)


@pytest.fixture
def served(postgres, request):
    """The service as an HTTP server on a fresh, migrated database."""
    from werkzeug.serving import make_server

    from shared.db import migrate

    service = request.param
    module = importlib.import_module(f"services.{service}.app")
    url = postgres.create_database(f"fuzz_{service}")
    migrate(url, module.MIGRATIONS)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per fuzzed request
    app = api_app(service, url)
    seed(service, module, app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=30)
        postgres.drop_database(url)


# --- what only events (or the world) make: seeded so that the fuzzer meets existing objects ----------
SKIPPED_EVENTS = ("Closed", "Withdrawn", "Cancelled", "Vacated", "Revoked", "Requested", "Erased")


def seed(service: str, module, app) -> None:
    """Feed the service's own consumers the catalogue's golden example of every event they listen to (those
    that end something left out), as the worker would: workshops, candidates, publications exist then, and
    the documents' links from lists reach them."""
    from authorization_world import _Message  # a Kafka message as the consumer loop reads it

    from shared.consumer import EventConsumer
    from shared.events.catalogue import SPECS, make_event

    ctx = app.extensions["vorort"]
    plan = module.worker_plan(ctx) if hasattr(module, "worker_plan") else None
    for spec in plan.consumers if plan is not None else ():
        consumer = EventConsumer(group_id=spec.group_id, topics=spec.topics, handlers=spec.handlers,
                                 uow_factory=ctx.uow_factory, consumer=None, producer=None)
        for event_spec in SPECS:
            if event_spec.topic in spec.topics and event_spec.type in spec.handlers and \
                    not event_spec.type.endswith(SKIPPED_EVENTS):
                event = make_event(event_spec.type, event_spec.example, source="/tests/schemathesis",
                                   version=event_spec.version)
                consumer.process(_Message(event.value(), event_spec.topic, key=event.key()))
    if service == "webhooks":  # an endpoint whose host resolves (the API checks DNS; the handler does not)
        from services.webhooks import handlers

        ctx.bus.handle(handlers.RegisterEndpoint(
            actor=handlers.Actor(role="staff", organisation="office", subject="schemathesis"),
            url="https://hooks.example.org/vorort", event_types=["CallOpened"],
            contact_email="technik@example.org"))


def _config() -> SchemathesisConfig:
    generation = {"max-examples": MAX_EXAMPLES, "deterministic": True}
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "headers": {"Authorization": bearer("staff", "schemathesis")["Authorization"]},
        "workers": 1,
        "suppress-health-check": ["all"],
        "checks": {name: {"enabled": True} for name in ALL_CHECKS},
        "generation": generation,
        "phases": {**{phase: {"enabled": True} for phase in PHASES},
                   "stateful": {"enabled": True, "max-steps": 12}},
    })


def _label(case) -> str:
    return f"{case.operation.method.upper()} {case.operation.path}"


def fuzz(service: str, base: str) -> Run:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", config=_config())
    run = Run()
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(service, event, run)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.PhaseFinished):
            run.phases[event.phase.name.value] = (event.status.value, round(time.monotonic() - started))
    return run


def _record(service: str, event, run: Run) -> None:
    recorder = event.recorder
    for case_id, node in recorder.cases.items():
        interaction = recorder.interactions.get(case_id)
        if interaction is None or interaction.response is None:
            continue
        label = _label(node.value)
        run.calls[label] += 1
        if node.value.path_parameters:
            run.on_objects[label][interaction.response.status_code] += 1
        transition = node.transition
        if event.phase.value == "stateful" and transition is not None and transition.parameters.get("path_parameters"):
            run.linked[label][interaction.response.status_code] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            case = recorder.cases[case_id].value
            exemption = _exemption(service, _label(case), check.name, recorder.interactions.get(case_id))
            if exemption is not None:
                run.exempted[exemption] += 1
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            answer = (f"{interaction.response.status_code} {interaction.response.content[:600]!r}"
                      if interaction is not None and interaction.response is not None else "no answer")
            run.failures.append(f"[{event.phase.value}] {_label(case)} {check.name}: {failure.title}\n"
                                f"{failure.message[:600]}\n{check.failure_info.code_sample[:1500]}\n-> {answer}")


def _exemption(service: str, operation: str, check: str, interaction) -> Exemption | None:
    """The exemption that covers this failure: its answer is a 422 naming exactly the exemption's field,
    with a message the exemption expects."""
    response = interaction.response if interaction is not None else None
    if response is None or response.status_code != 422:
        return None
    try:
        errors = response.json().get("errors", {}).get("json", {})
    except ValueError:
        return None
    if not isinstance(errors, dict) or len(errors) != 1:
        return None
    (field_name, messages), = errors.items()
    for exemption in EXEMPTIONS:
        if (exemption.service, exemption.operation, exemption.check, exemption.field) == \
                (service, operation, check, field_name) and \
                all(re.search(exemption.message, str(message)) for message in messages):
            return exemption
    return None


# --- `x-...` rules: the fuzzer's requests follow the documents' rules across fields ------------------
def _body_rules(operation, extension: str) -> dict:
    body = operation.definition.raw.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = operation.schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema.get(extension, {})


def _moment(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def follow_x_after(context, case, kwargs):
    """Where a body gives both fields of an `x-after` rule as date-times in the wrong order, the later one
    is moved a day after the other (`"$now"` stands for the time of the request); repeated items of an
    `x-unique-by` list are dropped; an `x-not-below` bound under its partner is raised to it; a number above
    the count of the list its `x-not-more-than-items` rule names is lowered to it."""
    body = case.body
    if not isinstance(body, dict):
        return
    for items, member in _body_rules(case.operation, "x-unique-by").items():
        if isinstance(body.get(items), list):
            seen = set()
            body[items] = [item for item in body[items] if not isinstance(item, dict) or
                           (repr(item.get(member)) not in seen and not seen.add(repr(item.get(member))))]
    for upper, lower in _body_rules(case.operation, "x-not-below").items():
        if isinstance(body.get(upper), dict) and isinstance(body.get(lower), dict):
            for key, least in body[lower].items():
                if isinstance(least, int) and isinstance(body[upper].get(key), int) and body[upper][key] < least:
                    body[upper][key] = least
    for number, items in _body_rules(case.operation, "x-not-more-than-items").items():
        if isinstance(body.get(number), int) and isinstance(body.get(items), list) and \
                body[number] > len(body[items]) >= 1:
            body[number] = len(body[items])
    for later, earlier in _body_rules(case.operation, "x-after").items():
        start = datetime.now(timezone.utc) if earlier == "$now" else _moment(body.get(earlier))
        end = _moment(body.get(later))
        if start is None or end is None:
            continue
        if (end.tzinfo is None) != (start.tzinfo is None):  # one local, one with offset: compare wall times
            end, start = end.replace(tzinfo=None), start.replace(tzinfo=None)
        if end <= start:
            body[later] = (start + timedelta(days=1)).isoformat()


@pytest.fixture
def x_after_hook():
    schemathesis.hook("before_call")(follow_x_after)
    try:
        yield
    finally:
        schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.unregister(follow_x_after)


@pytest.mark.parametrize("served", api_services(), indirect=True)
def test_api_meets_its_openapi_document_in_every_check_and_phase_with_links_to_created_objects(served,
                                                                                                x_after_hook):
    service, base = served
    started = time.monotonic()
    run = fuzz(service, base)
    elapsed = time.monotonic() - started
    reached = {label: dict(statuses) for label, statuses in run.on_objects.items()
               if any(200 <= status < 300 for status in statuses)}
    print(f"\n{service}: {elapsed:.0f}s, {sum(run.calls.values())} calls, phases {run.phases}, "
          f"exempted {[(e.operation, e.field, n) for e, n in run.exempted.items()]}\nlink-followed calls (status: count): {dict(run.linked)}")
    assert run.errors == [], "\n".join(run.errors)
    assert run.failures == [], f"{len(run.failures)} failures in {service}:\n\n" + "\n\n".join(run.failures)
    # Every phase ran (examples is skipped where a document has no examples); a phase whose only failures
    # were exempted reports "failure".
    assert all(run.phases.get(phase, ("missing",))[0] in ("success", "failure") for phase in PHASES[1:]), \
        run.phases
    assert run.phases.get("examples", ("missing",))[0] in ("success", "failure", "skip"), run.phases
    # Existing objects were reached: the stateful phase followed the documents' links, and operations on a
    # path parameter answered 2xx (a made-up id only ever gets 404), with ids of objects created, listed or
    # seeded in this run.
    assert run.linked, f"the stateful phase of {service} followed no link"
    assert reached, f"no operation on a path parameter in {service} answered 2xx: {dict(run.on_objects)}"
    unused = [(e.operation, e.field) for e in EXEMPTIONS if e.service == service and not run.exempted[e]]
    print(f"exemptions of {service} not needed in this run: {unused}")
