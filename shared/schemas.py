"""The marshmallow building blocks every service's API schemas share."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.municipalities import AGS_PATTERN


# A municipality's AGS (Amtlicher Gemeindeschlüssel) in a request body or query, checked the same way everywhere.
AGS = validate.Regexp(AGS_PATTERN, error="An AGS (Amtlicher Gemeindeschlüssel) has exactly 8 digits.")


class StrictSchema(Schema):
    """Request bodies: unknown fields are refused (422 naming them), so mass assignment cannot happen."""
    class Meta:
        unknown = RAISE
        ordered = True


class OutSchema(Schema):
    """Responses: fields in declaration order."""
    class Meta:
        ordered = True


# Text the services can store: no NUL (PostgreSQL cannot hold it). Written as patterns, the OpenAPI document
# states them too (apispec documents a Regexp validator as `pattern`).
STORABLE = r"^[^\u0000]*$"
# Blank = only what Python's str.strip() removes, spelled out: regex engines disagree on what `\s` means.
_SPACE = r"\t\n\u000b\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\u0000]*[^\u0000{_SPACE}][^\u0000]*$"


def text(max_length: int, *, required: bool = True, min_length: int = 1, **kwargs: Any) -> fields.String:
    """A string field with a bounded length; unless `min_length=0`, it must not be blank (only spaces)."""
    pattern = validate.Regexp(NOT_BLANK if min_length else STORABLE,
                              error="Must not be blank." if min_length else "Must not contain NUL characters.")
    return fields.String(required=required, validate=[validate.Length(min=min_length, max=max_length), pattern],
                         **kwargs)


# An http(s) URL a person can follow: scheme, host name (labels of letters, digits and hyphens, an IPv4
# address, or an IPv6 address in brackets), optional port, then any path, query and fragment without spaces
# or control characters (spelled out: regex engines disagree on what `\s` means). No user:password@.
_IPV4 = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_H16 = r"[0-9A-Fa-f]{1,4}"
IPV6 = ("(?:" + "|".join([
    rf"(?:{_H16}:){{7}}{_H16}", rf"(?:{_H16}:){{1,7}}:", rf"(?:{_H16}:){{1,6}}:{_H16}",
    rf"(?:{_H16}:){{1,5}}(?::{_H16}){{1,2}}", rf"(?:{_H16}:){{1,4}}(?::{_H16}){{1,3}}",
    rf"(?:{_H16}:){{1,3}}(?::{_H16}){{1,4}}", rf"(?:{_H16}:){{1,2}}(?::{_H16}){{1,5}}",
    rf"{_H16}:(?::{_H16}){{1,6}}", rf":(?:(?::{_H16}){{1,7}}|:)", rf"::(?:[Ff]{{4}}(?::0{{1,4}})?:)?{_IPV4}",
    rf"(?:{_H16}:){{1,4}}:{_IPV4}"]) + ")")
HTTP_URL = (r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
            r"[A-Za-z0-9])?)*|\[" + IPV6 + r"\])(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
            r"(?:[/?#][^\u0000-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*)?$")


class FullMatch(validate.Regexp):
    """A Regexp validator that matches the whole value, as a JSON Schema pattern anchored with ^...$ does
    (Python's `$` also matches before a final newline)."""

    @overload
    def __call__(self, value: str) -> str: ...

    @overload
    def __call__(self, value: bytes) -> bytes: ...

    def __call__(self, value: str | bytes) -> str | bytes:
        if self.regex.fullmatch(value) is None:  # type: ignore[arg-type]  # marshmallow types the pattern as str-or-bytes; ours are str
            raise ValidationError(self._format_error(value))
        return value


def http_url(max_length: int = 2000, **kwargs: Any) -> fields.String:
    """A link to a document or page (http or https); the pattern is the whole rule, so the OpenAPI
    document states exactly what is accepted."""
    return fields.String(required=True, validate=[
        validate.Length(max=max_length),
        FullMatch(HTTP_URL, error="Give an http or https address, e.g. https://www.example.org/bericht.pdf.")],
        metadata={"description": "An http(s) URL.", **kwargs.pop("metadata", {})}, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: true or false only (marshmallow's Boolean also takes 0 and 1, since 0 == False)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
