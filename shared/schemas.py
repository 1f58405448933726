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


def text(max_length: int, *, required: bool = True, min_length: int = 1, **kwargs) -> fields.String:
    """A string field with a bounded length (non-empty unless `min_length=0`)."""
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)
