"""The marshmallow building blocks every service's API schemas share."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


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


def text(max_length: int, *, required: bool = True, min_length: int = 1, **kwargs) -> fields.String:
    """A string field with a bounded length; unless `min_length=0`, it must not be blank (only spaces)."""
    pattern = validate.Regexp(NOT_BLANK if min_length else STORABLE,
                              error="Must not be blank." if min_length else "Must not contain NUL characters.")
    return fields.String(required=required, validate=[validate.Length(min=min_length, max=max_length), pattern],
                         **kwargs)
