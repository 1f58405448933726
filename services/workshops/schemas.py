"""Request and response schemas of the workshops API. Unknown fields are rejected (RAISE).

Times go in and out as Berlin time: input without an offset is Berlin wall time (what the office
types), input with an offset is taken as it is; output always carries Berlin's offset of that day.
The database keeps UTC.
"""
from __future__ import annotations

import re

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from services.workshops import domain
from shared.errors import InvalidInput
from shared.schemas import AGS, StrictBoolean, StrictSchema, http_url
from shared.schemas import text as _text



def _flag(**kwargs):
    """A JSON boolean: true or false, not "yes" or 1."""
    return StrictBoolean(**kwargs)


class BerlinDateTime(fields.DateTime):
    """ISO 8601 in (Berlin wall time unless an offset is given), Berlin time with offset out."""
    default_error_messages = {"invalid": "Not a valid date and time (ISO 8601 expected, e.g. "
                                         "2027-03-04T10:00 or 2027-03-04T10:00:00+01:00; years 2000 to 2100)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(domain.DATE_TIME_PATTERN, value):
            raise self.make_error("invalid")
        try:
            return domain.to_utc(value, field=attr)
        except InvalidInput as error:
            raise ValidationError(error.message) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else domain.to_local(value).isoformat()

    def openapi_schema(self, _converter) -> dict:
        return {"format": None, "pattern": domain.DATE_TIME_PATTERN, "description": (
            f"ISO 8601 date and time between {domain.MIN_YEAR} and {domain.MAX_YEAR}; without an offset, Berlin "
            "wall time (a time the clocks skip in spring is refused with 422).")}


# --- workshops -----------------------------------------------------------------------------------
class WorkshopQuerySchema(Schema):
    call_id = fields.String(validate=validate.Length(max=36))
    ags = fields.String(validate=AGS, metadata={"description": "The host municipality's AGS."})
    status = fields.String(validate=validate.OneOf(domain.WORKSHOP_STATUSES))


class WorkshopScheduleSchema(StrictSchema):
    """A partial update: only the fields given change. The first one needs starts_at and ends_at. ends_at
    after starts_at, registration_closes_at after registration_opens_at."""
    OPENAPI = {"x-after": {"ends_at": "starts_at", "registration_closes_at": "registration_opens_at"}}

    starts_at = BerlinDateTime()
    ends_at = BerlinDateTime()
    venue = fields.String(validate=validate.Length(max=300))
    capacity = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10_000),
                              metadata={"description": "Places; null means unlimited."})
    agenda = fields.String(validate=validate.Length(max=5000))
    registration_opens_at = BerlinDateTime(allow_none=True)
    registration_closes_at = BerlinDateTime(allow_none=True, metadata={
        "description": "Defaults to the start of the workshop."})
    requires_approval = _flag(metadata={"description": "Registrations wait for the office's approval."})
    restricted_to_invitees = _flag(metadata={
        "description": "Municipalities may register only for their own workshops and those of calls they "
                       "were invited to (default true). Partners and the office are never restricted."})

    @validates_schema
    def _ends_after_start(self, data, **_kwargs):
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("The workshop must end after it starts.", field_name="ends_at")
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            raise ValidationError("Registration must close after it opens.", field_name="registration_closes_at")


class WorkshopCancelSchema(StrictSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class SolutionApproachSchema(StrictSchema):
    title = _text(200)
    description = _text(5000, required=False, min_length=0, load_default="")
    field_of_action = _text(100, metadata={"description": "e.g. mobility, e-government, retail, participation"})


class DocumentSchema(StrictSchema):
    title = _text(200)
    url = http_url()


class WorkshopCompleteSchema(StrictSchema):
    summary = _text(10_000)
    solution_approaches = fields.List(fields.Nested(SolutionApproachSchema), required=True,
                                      validate=validate.Length(min=1, max=50))
    documents = fields.List(fields.Nested(DocumentSchema), load_default=list, validate=validate.Length(max=50))


class PlacesSchema(Schema):
    class Meta:
        ordered = True

    capacity = fields.Integer(allow_none=True)
    confirmed = fields.Integer()
    waitlisted = fields.Integer()
    pending = fields.Integer()
    available = fields.Integer(allow_none=True, metadata={"description": "null when unlimited"})


class WorkshopSchema(Schema):
    class Meta:
        ordered = True

    id = fields.String()
    call_id = fields.String()
    application_id = fields.String()
    municipality = fields.Dict()
    sequence = fields.Integer()
    topic = fields.String()
    title = fields.String()
    status = fields.String(metadata={"enum": list(domain.WORKSHOP_STATUSES)})
    starts_at = BerlinDateTime(allow_none=True)
    ends_at = BerlinDateTime(allow_none=True)
    venue = fields.String()
    capacity = fields.Integer(allow_none=True)
    agenda = fields.String()
    registration_opens_at = BerlinDateTime(allow_none=True)
    registration_closes_at = BerlinDateTime(allow_none=True)
    registration_open = fields.Boolean()
    requires_approval = fields.Boolean()
    restricted_to_invitees = fields.Boolean()
    invited_ags = fields.List(fields.String())
    places = fields.Nested(PlacesSchema)
    results = fields.Dict(allow_none=True)
    completed_at = BerlinDateTime(allow_none=True)
    revision = fields.Integer()
    updated_at = BerlinDateTime(allow_none=True)


# --- registrations -------------------------------------------------------------------------------
class RegistrationCreateSchema(StrictSchema):
    name = _text(domain.MAX_TEXT, metadata={"x-personal-data": True})
    email = fields.Email(required=True, validate=validate.Length(max=domain.MAX_TEXT),
                         metadata={"x-personal-data": True})
    organisation = _text(domain.MAX_TEXT, required=False, min_length=0, load_default="")
    participant_type = fields.String(required=True, validate=validate.OneOf(
        domain.PARTICIPANT_TYPES,
        error=f"Unknown participant type; one of: {', '.join(domain.PARTICIPANT_TYPES)}."))
    consent = _flag(required=True, validate=validate.Equal(
        True, error="Consent to the processing of personal data is required."))


class RegistrationQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(domain.REGISTRATION_STATUSES))


class ManageCodeQuerySchema(Schema):
    code = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "The manage code from the registration answer (or send it as X-Manage-Code)."})


class CheckInSchema(StrictSchema):
    code = _text(64)


class RegistrationSchema(Schema):
    class Meta:
        ordered = True

    id = fields.String()
    workshop_id = fields.String()
    status = fields.String(metadata={"enum": list(domain.REGISTRATION_STATUSES)})
    waitlist_position = fields.Integer(allow_none=True)
    name = fields.String(metadata={"x-personal-data": True})
    email = fields.String(metadata={"x-personal-data": True})
    organisation = fields.String()
    participant_type = fields.String(metadata={"enum": list(domain.PARTICIPANT_TYPES)})
    created_at = BerlinDateTime()
    checked_in_at = BerlinDateTime(allow_none=True)
    manage_code = fields.String(metadata={
        "description": "Shown to the registrant only: lets them view or cancel without an account."})


class AttendanceSchema(Schema):
    class Meta:
        ordered = True

    workshop_id = fields.String()
    checked_in = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             metadata={"description": "Checked-in participants by participant type."})
    checked_in_total = fields.Integer()
    confirmed = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "Confirmed registrations by participant type."})
    confirmed_total = fields.Integer()
