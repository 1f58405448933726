"""Request and response schemas of the applications API. Unknown fields are rejected (RAISE)."""
from __future__ import annotations

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from shared.keyset import Cursor
from shared.municipalities import SIZE_CLASSES
from shared.schemas import AGS, StrictSchema
from shared.schemas import text as _text



# --- calls ---------------------------------------------------------------------------------------
class CallCreateSchema(StrictSchema):
    """closes_at must be after opens_at."""
    OPENAPI = {"x-after": {"closes_at": "opens_at"}}

    title = _text(200)
    topic = _text(100)
    description = _text(5000, required=False, min_length=0, load_default="")
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)
    places = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50))
    workshops_per_place = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1, max=10))

    @validates_schema
    def _closes_after_opening(self, data, **_kwargs):
        if "opens_at" in data and "closes_at" in data and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("The closing time must be after the opening time.", field_name="closes_at")


class CallUpdateSchema(StrictSchema):
    """Correct or extend a call's times (staff), while it is a draft or open. At least one field; closes_at
    after opens_at (given here or stored)."""
    OPENAPI = {"minProperties": 1, "x-after": {"closes_at": "opens_at"}}

    opens_at = fields.AwareDateTime(metadata={
        "description": "While the call is open, it cannot move into the future."})
    closes_at = fields.AwareDateTime(metadata={
        "description": "After `opens_at` (the new one, or the call's current one); while the call is open, in "
                       "the future."})

    @validates_schema
    def _something_and_in_order(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give opens_at, closes_at or both.", field_name="_schema")
        if "opens_at" in data and "closes_at" in data and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("The closing time must be after the opening time.", field_name="closes_at")


class CallSchema(Schema):
    class Meta:
        ordered = True

    id = fields.String()
    title = fields.String()
    topic = fields.String()
    description = fields.String()
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    places = fields.Integer()
    workshops_per_place = fields.Integer()
    status = fields.String(metadata={"enum": ["draft", "open", "closed"]})
    created_at = fields.AwareDateTime()
    opened_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class CallQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["draft", "open", "closed"]))


# --- applications --------------------------------------------------------------------------------
class MunicipalitySchema(StrictSchema):
    ags = fields.String(required=True, validate=AGS)
    name = _text(200)
    population = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=20_000_000))


class ContactSchema(StrictSchema):
    name = _text(200, metadata={"x-personal-data": True})
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={"x-personal-data": True})
    phone = fields.String(load_default=None, allow_none=True, metadata={"x-personal-data": True},
                          validate=validate.Regexp(r"^[0-9 +()/\-]{3,50}$", error="Not a telephone number."))


class ApplicationCreateSchema(StrictSchema):
    municipality = fields.Nested(MunicipalitySchema, required=True)
    contact = fields.Nested(ContactSchema, required=True)
    focus_areas = fields.List(_text(100), load_default=list, validate=validate.Length(max=20))
    statement = _text(10_000)
    partners = fields.List(_text(200), load_default=list, validate=validate.Length(max=50))


class MunicipalityUpdateSchema(StrictSchema):
    name = _text(200, required=False)
    population = fields.Integer(strict=True, validate=validate.Range(min=1, max=20_000_000))


class ContactUpdateSchema(StrictSchema):
    name = _text(200, required=False)
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9 +()/\-]{3,50}$",
                                                                     error="Not a telephone number."))


class ApplicationUpdateSchema(StrictSchema):
    """A partial update: the municipality's AGS and the call cannot change."""
    municipality = fields.Nested(MunicipalityUpdateSchema)
    contact = fields.Nested(ContactUpdateSchema)
    focus_areas = fields.List(_text(100), validate=validate.Length(max=20))
    statement = _text(10_000, required=False)
    partners = fields.List(_text(200), validate=validate.Length(max=50))


class ApplicationSchema(Schema):
    class Meta:
        ordered = True

    id = fields.String()
    call_id = fields.String()
    status = fields.String(metadata={"enum": ["submitted", "withdrawn"]})
    size_class = fields.String(metadata={"enum": list(SIZE_CLASSES)})
    municipality = fields.Dict()
    contact = fields.Dict(allow_none=True, metadata={
        "description": "The contact person; shown to the office and the municipality itself only."})
    focus_areas = fields.List(fields.String())
    statement = fields.String()
    partners = fields.List(fields.String())
    submitted_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    withdrawn_at = fields.AwareDateTime(allow_none=True)


class ApplicationQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["submitted", "withdrawn"]))
    size_class = fields.String(validate=validate.OneOf(SIZE_CLASSES))
    after = Cursor()

