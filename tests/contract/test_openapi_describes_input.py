"""Issue 10, item 3: every API service's OpenAPI document states the input rules the service enforces,
and links the operations that create something to the operations on it (for clients and the stateful
fuzzer). The services are the ones found in services/, so a new service is held to this as it lands."""
from __future__ import annotations

import pytest

from shared.openapi import MAX_PAGE, STORABLE_PATTERN
from support import api_app, api_services


def document(service: str) -> dict:
    return api_app(service).test_client().get("/openapi.json").json


def _operations(item: dict):
    return [(method, operation) for method, operation in item.items() if method != "parameters"]


def _resolve(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref.startswith("#/components/schemas/") else schema


def _strings(doc: dict, schema: dict, where: str, seen: set):
    """Every string schema reachable from `schema`, with where it is."""
    ref = schema.get("$ref")
    if ref:
        if ref in seen:
            return
        seen = seen | {ref}
    schema = _resolve(doc, schema)
    if schema.get("type") == "string":
        yield where, schema
    for name, prop in schema.get("properties", {}).items():
        yield from _strings(doc, prop, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _strings(doc, schema[key], f"{where}[]", seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(key, [])):
            yield from _strings(doc, sub, f"{where}<{index}>", seen)


@pytest.mark.parametrize("service", api_services())
def test_every_string_a_client_sends_states_what_text_is_accepted(service):
    doc = document(service)
    loose, patterned = [], 0
    for path, item in doc["paths"].items():
        for method, operation in _operations(item):
            sources = [(f"{method.upper()} {path} {p['in']}:{p['name']}", p.get("schema", {}))
                       for p in operation.get("parameters", [])]
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                sources.append((f"{method.upper()} {path} body({media})", content.get("schema", {})))
            for where, schema in sources:
                for at, string in _strings(doc, schema, where, set()):
                    if not ({"pattern", "enum", "format"} & set(string)):
                        loose.append(at)
                    patterned += string.get("pattern") == STORABLE_PATTERN
    assert loose == [], f"strings without a pattern, enum or format in {service}: {loose}"
    assert patterned and "unpaired surrogates" in doc["info"]["description"]


@pytest.mark.parametrize("service", api_services())
def test_every_page_parameter_has_its_maximum(service):
    doc = document(service)
    pages = [p["schema"] for item in doc["paths"].values() for op in item.values() if isinstance(op, dict)
             for p in op.get("parameters", []) if p["name"] == "page" and p["in"] == "query"]
    assert all(page.get("maximum") == MAX_PAGE for page in pages), pages


@pytest.mark.parametrize("service", api_services())
def test_every_link_leads_to_a_documented_operation_with_its_parameters(service):
    doc = document(service)
    links = {}
    for path, item in doc["paths"].items():
        for method, operation in _operations(item):
            for status, response in operation.get("responses", {}).items():
                for name, link in response.get("links", {}).items():
                    links[f"{method.upper()} {path} {status} {name}"] = link
    for where, link in links.items():
        pointer, target_method = link["operationRef"].removeprefix("#/paths/").rsplit("/", 1)
        target_path = pointer.replace("~1", "/").replace("~0", "~")
        assert target_method in doc["paths"].get(target_path, {}), where
        names = {p[1:-1] for p in target_path.split("/") if p.startswith("{")}
        assert set(link["parameters"]) == names, where
        from_answer = [value for name, value in link["parameters"].items() if value.startswith("$response.body#/")]
        assert len(from_answer) == 1 and from_answer[0].removeprefix("$response.body#/").removeprefix("0/") in (
            "id", *[name for name in names if link["parameters"][name] == from_answer[0]]), where


def test_a_created_call_links_to_opening_it_and_to_applying():
    created = document("applications")["paths"]["/v1/calls"]["post"]["responses"]["201"]["links"]
    targets = {link["operationRef"] for link in created.values()}
    assert "#/paths/~1v1~1calls~1{call_id}~1open/post" in targets
    assert "#/paths/~1v1~1calls~1{call_id}~1applications/post" in targets


def test_rules_across_fields_are_stated_in_the_documents():
    calls = document("applications")["components"]["schemas"]
    assert calls["CallCreate"]["x-after"] == {"closes_at": "opens_at"}
    assert calls["CallUpdate"]["minProperties"] == 1
    identity = document("identity")["components"]["schemas"]
    assert identity["ClientCreate"]["x-after"] == {"expires_at": "$now"}
    municipality, others = identity["OrganisationCreate"]["allOf"][0]["anyOf"]
    assert municipality["properties"]["kind"]["enum"] == ["municipality"] and municipality["required"] == ["ags"]
    assert others["properties"]["ags"] == {"enum": [None]}


def test_a_created_client_links_by_its_client_id():
    created = document("identity")["paths"]["/v1/clients"]["post"]["responses"]["201"]["links"]
    assert {link["parameters"]["client_id"] for link in created.values()} == {"$response.body#/client_id"}
