"""Request and response schemas of the identity API. Unknown fields are rejected (RAISE)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.identity.domain import AUTH_METHODS, KEY_METHOD, ORGANISATION_KINDS, ROLES, SECRET_METHODS
from shared.auth import api_scopes
from shared.openapi import absent, any_of, present, when
from shared.schemas import AGS, OutSchema, StrictSchema, text

SUBJECT = validate.Regexp(r"^[A-Za-z0-9._:@-]{1,200}$",
                          error="Letters, digits and . _ : @ - only, at most 200 characters.")


# --- organisations -------------------------------------------------------------------------------
class OrganisationCreateSchema(StrictSchema):
    """A municipality has its AGS; no other kind has one."""
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))
    name = text(200)
    ags = fields.String(load_default=None, allow_none=True, validate=AGS)

    OPENAPI = {"allOf": [when("kind", ["municipality"], [k for k in ORGANISATION_KINDS if k != "municipality"],
                              present("ags"), absent("ags"))]}


class OrganisationSchema(OutSchema):
    id = fields.String()
    kind = fields.String(metadata={"enum": list(ORGANISATION_KINDS)})
    name = fields.String()
    ags = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class OrganisationQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(ORGANISATION_KINDS))


# --- people --------------------------------------------------------------------------------------
class PersonCreateSchema(StrictSchema):
    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    name = text(200, metadata={"x-personal-data": True})
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={"x-personal-data": True})
    subject = fields.String(load_default=None, allow_none=True, validate=SUBJECT, metadata={
        "description": "The `sub` of this person's tokens, e.g. a steering member's id in the selection "
                       "service; default `person:<id>`."})
    panel_call_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                                 validate=validate.Length(max=100))


class PersonSchema(OutSchema):
    id = fields.String()
    organisation_id = fields.String()
    name = fields.String(metadata={"x-personal-data": True})
    email = fields.String(metadata={"x-personal-data": True})
    role = fields.String(metadata={"enum": list(ROLES)})
    subject = fields.String()
    ags = fields.String(allow_none=True)
    panel_call_ids = fields.List(fields.String())
    status = fields.String(metadata={"enum": ["active", "revoked"]})
    created_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)


class PersonQuerySchema(Schema):
    organisation_id = fields.String(validate=validate.Length(min=1, max=36))
    status = fields.String(validate=validate.OneOf(["active", "revoked"]))


# --- clients -------------------------------------------------------------------------------------
PRIVATE_KEY_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


class PublicJwk(fields.Dict):
    """A public JWK: its form is in the document (kty EC or RSA, no private members); whether its numbers
    make a key is checked by ClientCreateSchema._public_key."""

    def openapi_schema(self, _converter) -> dict:
        return {"required": ["kty"], "properties": {"kty": {"type": "string", "enum": ["EC", "RSA"]}},
                "not": {"anyOf": [{"required": [member]} for member in PRIVATE_KEY_MEMBERS]}}


class ClientCreateSchema(StrictSchema):
    """The rules the body alone decides are stated in the document (`allOf`): a role, or the organisation or
    person it comes from; a municipality's AGS (and no AGS for other roles); a steering member's subject (or
    person); private_key_jwt with a public key, a secret method without one; an expiry in the future
    (`x-after`). Rules against the named organisation or person (its kind, AGS, status) answer 409, an
    unknown one 404, each naming the field."""
    name = text(200)
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLES))
    ags = fields.String(load_default=None, allow_none=True, validate=AGS)
    subject = fields.String(load_default=None, allow_none=True, validate=SUBJECT)
    scopes = fields.List(fields.String(validate=validate.OneOf(api_scopes())), load_default=list,
                         validate=validate.Length(max=50))
    organisation_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    person_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    public_jwk = PublicJwk(load_default=None, allow_none=True, metadata={
        "description": "A public JWK (EC P-256 or RSA) for private_key_jwt; without it the client gets a secret."})
    auth_method = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(AUTH_METHODS))
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    delegate_roles = fields.List(fields.String(validate=validate.OneOf(["steering", "municipality", "partner"])),
                                 load_default=list, metadata={
        "description": "Roles this client may get tokens for on behalf of people it signed in itself "
                       "(grant urn:vorort:params:oauth:grant-type:delegation); for the portal."})

    @validates("public_jwk")
    def _public_key(self, value, **_kwargs):
        if value is None:
            return
        from joserfc import jwk
        from joserfc.errors import JoseError

        if any(member in value for member in PRIVATE_KEY_MEMBERS):
            raise ValidationError("Send the public key only, never the private one.")
        if value.get("kty") not in ("EC", "RSA"):
            raise ValidationError("The key must be EC (P-256) or RSA.")
        try:
            jwk.import_key(value)
        except (JoseError, ValueError, TypeError, KeyError):
            raise ValidationError("Not a usable public key.") from None

    OPENAPI = {
        "x-after": {"expires_at": "$now"},
        "allOf": [
            any_of(present("role"), present("organisation_id"), present("person_id")),
            when("role", ["municipality"], [r for r in ROLES if r != "municipality"] + [None],
                 any_of(present("ags"), present("organisation_id"), present("person_id")), absent("ags")),
            when("role", ["steering"], [r for r in ROLES if r != "steering"] + [None],
                 any_of(present("subject"), present("person_id"))),
            when("auth_method", [KEY_METHOD], list(SECRET_METHODS), present("public_jwk"),
                 absent("public_jwk")),
        ]}


class ClientSchema(OutSchema):
    client_id = fields.String()
    name = fields.String()
    organisation_id = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    role = fields.String(metadata={"enum": list(ROLES)})
    subject = fields.String()
    ags = fields.String(allow_none=True)
    scopes = fields.List(fields.String())
    auth_method = fields.String(metadata={"enum": list(AUTH_METHODS)})
    status = fields.String(metadata={"enum": ["active", "revoked"]})
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    delegate_roles = fields.List(fields.String())


class NewClientSchema(ClientSchema):
    client_secret = fields.String(allow_none=True, metadata={
        "description": "Shown once, here; identity keeps only its argon2 hash. None for private_key_jwt."})


class ClientQuerySchema(Schema):
    organisation_id = fields.String(validate=validate.Length(min=1, max=36))
    status = fields.String(validate=validate.OneOf(["active", "revoked"]))


# --- the authorization server --------------------------------------------------------------------
class TokenResponseSchema(OutSchema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(required=True)
    scope = fields.String()


class OAuthErrorSchema(OutSchema):
    error = fields.String(required=True)
    error_description = fields.String()


class JwksSchema(OutSchema):
    keys = fields.List(fields.Dict(), required=True)
