"""Every operation of every API service keeps the hand-written policy in docs/authorization-policy.yaml:
called with the token of each actor (staff, two municipalities, two steering members on the panels of
different calls, a partner) and without one, on objects that exist (tests/security/authorization_world.py),
it admits exactly whom the policy admits and refuses the others with the status the policy names.

Requests that change something carry `{}` as their body (or, where a service reads the body before the
caller's right to the object, a valid one: BODIES): an admitted caller gets a validation error or a state
conflict, a refused one its refusal. Refused callers go first, so a refusal can never hide behind a change
an admitted caller made. Operations without a body do what they do (the office cancels the workshop that
later tries find cancelled: 409, still admitted); those that take an object away (DELETE) run last, each on
an object made for it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest
import yaml

from authorization_world import (ACTORS, STEERING_1, STEERING_2, actor_headers, build_apps,
                                 build_world, endpoint, publishing_member, register)
from shared.config import REPO_ROOT
from support import SmtpSink, api_app, api_services

pytestmark = pytest.mark.integration

POLICY_FILE = REPO_ROOT / "docs" / "authorization-policy.yaml"
POLICY = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
RULE = re.compile(r"^(allow|own-ags|panel|panel after decision|registrant|owner)(?: else (401|403|404))?$")
ROLE_OF = {"staff": "staff", "municipality_a": "municipality", "municipality_b": "municipality",
           "steering_1": "steering", "steering_2": "steering", "partner": "partner"}
MEMBER_OF = {"steering_1": STEERING_1, "steering_2": STEERING_2}


def documented_operations(service: str) -> set[str]:
    paths = api_app(service).test_client().get("/openapi.json").get_json()["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item
            if method.upper() in METHOD_ORDER}


def test_the_policy_names_exactly_the_operations_of_every_api_service():
    services = api_services()
    assert sorted(POLICY) == sorted(services), "a service is missing from the policy, or the policy names one too many"
    for service in services:
        documented, written = documented_operations(service), set(POLICY[service])
        assert not documented - written, f"{service}: not in {POLICY_FILE.name}: {sorted(documented - written)}"
        assert not written - documented, f"{service}: in the policy but not in the API: {sorted(written - documented)}"


def test_every_rule_of_the_policy_is_one_the_test_understands():
    for service, operations in POLICY.items():
        for operation, entry in operations.items():
            for key, value in entry.items():
                where = f"{service} {operation} {key}: {value!r}"
                if key == "public":
                    assert value is True and len(entry) == 1, where
                elif key == "calls":
                    assert value == ["decided"], where
                elif key == "lists":
                    assert value in LISTED, where
                else:
                    assert key in ROLE_OF.values(), where
                    assert RULE.match(value), where


# --- the world, and what the policy expects in it ------------------------------------------------------
@pytest.fixture(scope="module")
def world(postgres):
    os.environ.setdefault("WEBHOOKS_ALLOWED_NETWORKS", "127.0.0.1/32")  # the partner's endpoint is on loopback
    sink = SmtpSink().start()
    apps, urls = build_apps(postgres, api_services())
    try:
        made = build_world(apps, sink.url)
        deliveries = made.ok(made.call("webhooks", "GET", f"/v1/endpoints/{made.ids['endpoint_id']}/deliveries",
                                       "partner"))
        assert deliveries, "the partner's endpoint got no delivery"
        made.ids["delivery_id"] = deliveries[0]["id"]
        yield made
    finally:
        sink.stop()
        for url in urls:
            postgres.drop_database(url)


@dataclass(frozen=True)
class Target:
    """The objects one try works on: `call` is a selection call (`decided` or `in_review`) or None."""
    call: str | None = None


# What a `lists:` operation's items are, and the targets the rule is asked about for each world object.
LISTED = {"call_id": lambda world: {world.ids["calls"][name]["id"]: Target(name) for name in world.ids["calls"]},
          "endpoint_id": lambda world: {world.ids["endpoint_id"]: Target()}}


def visible_items(entry: dict, actor: str, world) -> set[str]:
    """The world's objects that a narrowed list holds for this actor: those the rule admits it to."""
    return {object_id for object_id, target in LISTED[entry["lists"]](world).items()
            if expected(entry, actor, target, world) is None}


def targets(service: str, operation: str, entry: dict) -> list[Target]:
    if service == "selection" and "{call_id}" in operation:
        return [Target(call) for call in entry.get("calls", ["decided", "in_review"])]
    return [Target()]


def expected(entry: dict, actor: str, target: Target, world) -> int | None:
    """None when the actor is admitted, else the status of its refusal."""
    if entry.get("public"):
        return None
    if actor == "anonymous":
        return 401
    rule = entry.get(ROLE_OF[actor])
    if rule is None:
        return 403
    name, refusal = RULE.match(rule).groups()
    refusal = int(refusal or 403)
    if name == "allow":
        return None
    if name == "own-ags":
        return None if actor == "municipality_a" else refusal
    if name in ("registrant", "owner"):
        return None if actor == "partner" else refusal
    call = world.ids["calls"][target.call]
    if MEMBER_OF.get(actor) != call["member"]:
        return refusal
    if name == "panel after decision" and not call["decided"]:
        return 403  # blind review: the panel's own member, before the decision
    return None


def expected_status(entry: dict, actor: str, target: Target, world) -> int | None:
    """As `expected`, but a narrowed list (`lists:`) admits every role it names: its rule narrows the items."""
    if "lists" in entry and ROLE_OF.get(actor) in entry:
        return None
    return expected(entry, actor, target, world)


def path_for(service: str, operation: str, target: Target, world) -> str:
    method, path = operation.split(" ", 1)
    ids = world.ids
    decided = ids["calls"]["decided"]
    if service == "selection" and target.call:
        call = ids["calls"][target.call]
        # conflicts are declared on the other candidate: one on the first would stop its reviews
        candidate = "municipality_b" if "/conflicts/" in path else "municipality_a"
        values = {"call_id": call["id"], "application_id": call["applications"][candidate],
                  "member_id": call["member"]}
    else:
        values = {"call_id": decided["id"], "application_id": decided["applications"]["municipality_a"],
                  "member_id": ids.get("publishing_member_id"), "kind": "selected"}
        values.update({k: v for k, v in ids.items() if k.endswith("_id") and k != "publishing_member_id"})
    if method == "DELETE":  # it takes its object away: one made for this try
        if "{registration_id}" in path:
            values["workshop_id"] = world.ids["spare_workshop_id"]
            values["registration_id"] = register(world, values["workshop_id"])
        elif "{endpoint_id}" in path:
            values["endpoint_id"] = endpoint(world)
        elif service == "publishing" and "{member_id}" in path:
            values["member_id"] = publishing_member(world)
        elif "/conflicts/" in path:
            world.call("selection", "POST", re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path),
                       body={"reason": "Ich berate die Stadt."})
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


# Operations whose body is read before the caller's right to the object: a valid body, so that a refused
# caller meets its refusal and not the validation error.
BODIES = {
    "POST /v1/calls/{call_id}/candidates/{application_id}/conflicts/{member_id}": {"reason": "Ich berate die Stadt."},
    "POST /v1/endpoints/{endpoint_id}/replay": {"since": "2026-01-01T00:00:00+00:00"},
}


def ordered(operations: dict) -> list[str]:
    return sorted(operations, key=lambda op: (METHOD_ORDER[op.split(" ")[0]], op))


@pytest.mark.parametrize("service", sorted(POLICY))
def test_every_operation_admits_and_refuses_exactly_as_the_policy_says(world, service):
    failures, tries = [], 0
    for operation in ordered(POLICY[service]):
        entry = POLICY[service][operation]
        method = operation.split(" ")[0]
        for target in targets(service, operation, entry):
            # refusals first: a refused call must change nothing that an admitted one finds afterwards
            for actor in sorted(ACTORS, key=lambda a: expected_status(entry, a, target, world) is None):
                want = expected_status(entry, actor, target, world)
                path = path_for(service, operation, target, world)
                kwargs = {} if method in ("GET", "DELETE") else {"json": BODIES.get(operation, {})}
                response = world.client(service).open(path, method=method, headers=actor_headers(actor), **kwargs)
                tries += 1
                got = response.status_code
                where = f"{operation} [{target.call or '-'}] as {actor}: {got}, policy: {want or 'admitted'}"
                if got >= 500:
                    failures.append(where)
                elif (got in (401, 403, 404)) if want is None else (got != want):
                    failures.append(f"{where} {response.get_data(as_text=True)[:160]}")
                elif want is None and "lists" in entry:
                    listed = {item["id"] for item in response.get_json()}
                    if listed != visible_items(entry, actor, world):
                        failures.append(f"{where}: lists {sorted(listed)}, policy: "
                                        f"{sorted(visible_items(entry, actor, world))}")
    print(f"{service}: {tries} calls")
    assert not failures, "\n".join(failures)
