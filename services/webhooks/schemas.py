"""Request and response schemas of the webhooks API. Request bodies reject unknown fields."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.webhooks.domain import DELIVERY_STATUSES, PUBLIC_EVENT_TYPES, STATUSES
from shared.schemas import HTTP_URL, FullMatch, OutSchema, StrictSchema
from shared.schemas import text as _text

URL_FIELD_HELP = ("Where deliveries go: https (http only in development), a host that resolves to public "
                  "addresses only; redirects are not followed.")


def _url(required: bool = True):
    return fields.String(required=required, validate=[
        validate.Length(min=8, max=2000),
        FullMatch(HTTP_URL, error="Use an http(s) URL with a host name (no user or password).")],
        metadata={"description": URL_FIELD_HELP})


def _event_types(required: bool = True):
    return fields.List(fields.String(validate=validate.OneOf(PUBLIC_EVENT_TYPES)), required=required,
                       validate=validate.Length(min=1, max=len(PUBLIC_EVENT_TYPES)),
                       metadata={"description": "Event types to receive; see GET /v1/event-types."})


class EndpointCreateSchema(StrictSchema):
    url = _url()
    event_types = _event_types()
    contact_email = fields.Email(required=True, validate=validate.Length(max=254),
                                 metadata={"description": "Told when the endpoint is disabled."})
    description = _text(500, required=False, min_length=0, load_default="")
    asymmetric_signature = fields.Boolean(load_default=False, metadata={
        "description": "Also sign with ed25519 (`v1a`); the public key is in the answer."})


class EndpointUpdateSchema(StrictSchema):
    url = _url(required=False)
    event_types = _event_types(required=False)
    contact_email = fields.Email(validate=validate.Length(max=254))
    description = _text(500, required=False, min_length=0)


class OwnerSchema(OutSchema):
    role = fields.String()
    organisation = fields.String()


class EndpointSchema(OutSchema):
    id = fields.String()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    contact_email = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    disabled_reason = fields.String(allow_none=True)
    owner = fields.Nested(OwnerSchema)
    public_key = fields.String(allow_none=True, metadata={
        "description": "The ed25519 public key (`whpk_`) that verifies `v1a` signatures, if chosen."})
    previous_secret_expires_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Until then deliveries carry a signature with the previous secret too."})
    failing_since = fields.AwareDateTime(allow_none=True)
    last_success_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "The signing secret (`whsec_`); shown only this once."})


class SecretSchema(OutSchema):
    secret = fields.String()
    previous_secret_expires_at = fields.AwareDateTime()


class EndpointQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    event_type = fields.String(validate=validate.OneOf(PUBLIC_EVENT_TYPES))


class AttemptSchema(OutSchema):
    attempted_at = fields.AwareDateTime()
    response_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    response_body = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class DeliverySchema(OutSchema):
    id = fields.String(metadata={"description": "The `webhook-id` header: the same on every attempt."})
    endpoint_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    response_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer(allow_none=True)
    response_body = fields.String(allow_none=True, metadata={"description": "At most the first KiB."})
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class DeliveryDetailSchema(DeliverySchema):
    payload = fields.String(metadata={"description": "The body as sent: a structured CloudEvent."})
    attempt_log = fields.List(fields.Nested(AttemptSchema))


class ReplaySchema(StrictSchema):
    since = fields.AwareDateTime(required=True, metadata={
        "description": "Replay every failed delivery created at or after this time."})


class ReplayResultSchema(OutSchema):
    replayed = fields.Integer()


class EventTypeSchema(OutSchema):
    type = fields.String()
    version = fields.Integer()
    summary = fields.String()
    example = fields.Dict()
