"""What every service's OpenAPI document says beyond what flask-smorest writes by itself, so that the
document describes exactly what the service accepts (schemathesis holds every service to it):

- text: every string a client sends or gets (body fields, query and path parameters) carries
  STORABLE_PATTERN, the rule `shared.web` enforces at the door (no NUL, no unpaired surrogate);
- pages: `page` has its maximum (MAX_PAGE);
- a custom marshmallow field states its schema in its method `openapi_schema(converter)` (a dict merged
  into the field's schema, a key set to None removed; the converter resolves nested schemas to `$ref`s);
- rules across fields, which JSON Schema cannot state, are written on the request schema as the
  extension `x-after` (`{"closes_at": "opens_at"}`: when both are given, closes_at must be later;
  `{"expires_at": "$now"}`: later than the request), and
  as `minProperties` where an update needs at least one field. A marshmallow schema declares them in its
  class attribute `OPENAPI` (a dict merged into its document);
- links: an operation that creates something (its 2xx answer has an `id`) links to every operation whose
  path names that thing (`{call_id}` for `/v1/calls`), and a list (GET) links its first item the same way,
  so that clients and fuzzers reach existing objects. Names follow the convention `/<things>` -> `{<thing>_id}`.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow.field_converter import FieldConverterMixin
from flask_smorest import Api
from marshmallow import fields
from werkzeug.routing import BaseConverter

from shared.schemas import STORABLE as STORABLE_PATTERN

# No NUL. Unpaired surrogates are not Unicode scalar values, so no JSON Schema string can hold one and no
# pattern can name them (validators built on UTF-8 strings refuse such patterns); INPUT_RULES says it.
INPUT_RULES = (
    "Input rules of every operation: strings are Unicode text without NUL characters (each string's "
    "`pattern`) and without unpaired surrogates (not Unicode scalar values; RFC 8259 section 8.2): both are "
    "refused with 422. Bodies are JSON (415 otherwise), at most 256 KiB (413) and 32 levels deep (400). "
    "`x-after` on a request schema names fields that must be later than another when both are given "
    "(422; `\"$now\"` names the time of the request); `x-not-more-than-items` names number fields that may "
    "not exceed the number of items of a list field, `x-unique-by` list fields whose items differ in the named "
    "member, `x-not-below` objects of numbers each at least the same key of another (each 422); a change that is valid in itself but conflicts with the object's current state gets 409.")
MAX_PAGE = 1_000_000


ID_PATTERN = r"^[^\u0000.]*$"


class IdConverter(BaseConverter):
    """`<id:name>`: a path segment without a dot, where a sibling route ends in `.<ext>` (a file), so that the
    two routes never match the same URL (and OPTIONS advertises only the methods of one)."""
    regex = r"[^/.]+"


class SchemaExtrasPlugin(BasePlugin):
    """Merges a marshmallow schema's `OPENAPI` class attribute into its component."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        extras = getattr(schema if isinstance(schema, type) else type(schema), "OPENAPI", None)
        if not extras:
            return None
        return {**definition, **extras}


def describe(api: Api) -> None:
    """Before the blueprints are registered: text patterns, page maximum, rules across fields."""
    from werkzeug.routing import UnicodeConverter

    api.ma_plugin.converter.add_attribute_function(_field_rules)
    api.register_converter(UnicodeConverter, lambda _converter: {"type": "string", "pattern": STORABLE_PATTERN})
    api.register_converter(IdConverter, lambda _converter: {"type": "string", "pattern": ID_PATTERN})
    plugin = SchemaExtrasPlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)


def _field_rules(self: FieldConverterMixin, field: fields.Field[Any], ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    described = getattr(field, "openapi_schema", None)  # a custom field states its own schema
    if described is not None:
        extras = described(self)
        for key in [key for key, value in extras.items() if value is None]:  # None removes a key (a format)
            ret.pop(key, None)
        return {key: value for key, value in extras.items() if value is not None}
    if field.name == "page" and type(field.parent).__name__ == "PaginationParametersSchema":
        return {"maximum": MAX_PAGE}
    if isinstance(field, fields.String) and "pattern" not in ret and "enum" not in ret and "format" not in ret:
        return {"pattern": STORABLE_PATTERN}
    return {}


def add_links(api: Api) -> None:
    """After the blueprints are registered: link each creating operation to the operations on what it created.

    apispec hands out its own path dictionaries from `to_dict()`; the links are written into them."""
    document = api.spec.to_dict()
    paths, schemas = document["paths"], document.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        collection = [part for part in path.split("/") if part and not part.startswith("{")][-1:]
        if not collection:
            continue
        parameter = _singular(collection[0]) + "_id"
        source_parameters = _path_parameters(path)
        for method, operation in item.items():
            if method not in ("post", "put", "get"):
                continue
            for status, response in operation.get("responses", {}).items():
                # a created thing's id, or (from a list) the first item's
                id_field = _id_field(response, schemas, parameter, listed=method == "get")
                if not str(status).startswith("2") or id_field is None:
                    continue
                links = {}
                for target_path, target_item in paths.items():
                    names = _path_parameters(target_path)
                    if parameter not in names or parameter in source_parameters:
                        continue
                    if any(name != parameter and name not in source_parameters for name in names):
                        continue
                    values = {name: f"$response.body#/{id_field}" if name == parameter else f"$request.path.{name}"
                              for name in names}
                    for target_method in target_item:
                        if target_method in ("get", "put", "patch", "post", "delete"):
                            pointer = target_path.replace("~", "~0").replace("/", "~1")
                            links[f"{target_method}{_link_name(target_path)}"] = {
                                "operationRef": f"#/paths/{pointer}/{target_method}", "parameters": values}
                if links:
                    response.setdefault("links", {}).update(links)


def optional_bodies(api: Api) -> None:
    """A JSON body whose schema requires nothing may be left out (the service reads it as `{}`): the
    document says so (`requestBody.required: false`)."""
    document = api.spec.to_dict()
    schemas = document.get("components", {}).get("schemas", {})
    for item in document["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            content = (body or {}).get("content", {})
            if set(content) != {"application/json"}:
                continue
            schema = content["application/json"].get("schema", {})
            ref = schema.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                schema = schemas.get(ref.rsplit("/", 1)[1], {})
            if schema.get("type") == "object" and not schema.get("required") and not schema.get("minProperties") \
                    and not schema.get("allOf") and not schema.get("anyOf") and body is not None:
                body["required"] = False


def _singular(word: str) -> str:
    word = word.replace("-", "_")
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _link_name(path: str) -> str:
    return "".join(part.strip("{}").replace("_", " ").replace("-", " ").title().replace(" ", "")
                   for part in path.split("/") if part and part != "v1")


def _id_field(response: dict[str, Any], schemas: dict[str, Any], parameter: str, listed: bool = False) -> str | None:
    """The JSON pointer (without its leading slash) to the id in the answer: `id`, else the parameter's name
    (`client_id`); for a list, the first item's (`0/id`)."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if listed:
        if schema.get("type") != "array":
            return None
        schema = schema.get("items", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = schemas.get(ref.rsplit("/", 1)[1], {})
    properties = schema.get("properties", {})
    name = next((name for name in ("id", parameter) if name in properties), None)
    return None if name is None else f"0/{name}" if listed else name


# --- rules between fields, in OpenAPI 3.0 terms (no if/then: anyOf over the cases) ----------------------
def when(field: str, values: Iterable[object], others: Iterable[object], then: dict[str, Any],
         otherwise: dict[str, Any] | None = None) -> dict[str, Any]:
    """"If `field` is one of `values`, the body also meets `then`; if it is one of `others` (or absent), it
    meets `otherwise`": a schema to put in a request schema's `allOf` (`OPENAPI = {"allOf": [...]}`).
    `then`/`otherwise` are schema fragments, e.g. `present("ags")` or `absent("ags")`."""
    def case(enum: Iterable[object], extra: dict[str, Any] | None) -> dict[str, Any]:
        extra = dict(extra or {})
        properties = {field: {"enum": list(enum)}, **extra.pop("properties", {})}
        return {"properties": properties, **extra}
    return {"anyOf": [case(values, then), case(others, otherwise)]}


def present(*names: str) -> dict[str, Any]:
    """Every one of `names` is given and not null."""
    return {"required": list(names), "properties": {name: {"not": {"enum": [None]}} for name in names}}


def absent(*names: str) -> dict[str, Any]:
    """None of `names` is given (or each is null)."""
    return {"properties": {name: {"enum": [None]} for name in names}}


def any_of(*fragments: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": list(fragments)}
