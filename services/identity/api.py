"""HTTP entry points of identity: the office's registry (staff) and the authorization server (public)."""
from __future__ import annotations

import dataclasses

from flask import current_app, jsonify
from flask.views import MethodView

from services.identity import handlers
from services.identity.consumers import export_personal_data
from services.identity.oauth import JWKS_PATH, TOKEN_PATH
from services.identity.schemas import (ClientCreateSchema, ClientQuerySchema, ClientSchema, JwksSchema,
                                       NewClientSchema, OAuthErrorSchema, OrganisationCreateSchema,
                                       OrganisationQuerySchema, OrganisationSchema, PersonCreateSchema,
                                       PersonQuerySchema, PersonSchema, TokenResponseSchema)
from shared.auth import api_scopes, roles_required
from shared.errors import Conflict, NotFound
from shared.privacy import privacy_blueprint
from shared.schemas import STORABLE
from shared.web import ServiceBlueprint, dispatch, idempotent, public, read

organisations_blp = ServiceBlueprint("organisations", __name__, url_prefix="/v1/organisations",
                                     description="Organisations: municipalities, steering-group institutions, "
                                                 "partners, the office (staff).")
people_blp = ServiceBlueprint("people", __name__, url_prefix="/v1/people",
                              description="People who act for an organisation (staff).")
clients_blp = ServiceBlueprint("clients", __name__, url_prefix="/v1/clients",
                               description="API clients of partner systems (staff).")
oauth_blp = ServiceBlueprint("oauth", __name__, url_prefix="",
                             description="The OAuth 2.0 authorization server: metadata, keys, tokens (public).")


def _listing(repository: str, query, pagination_parameters):
    items, total = read(lambda uow: getattr(uow, repository).list(
        offset=pagination_parameters.first_item, limit=pagination_parameters.page_size, **query))
    pagination_parameters.item_count = total
    return items


def _one(repository: str, item_id: str, label: str):
    item = read(lambda uow: getattr(uow, repository).get(item_id))
    if item is None:
        raise NotFound(f"No {label} {item_id}.")
    return item


# --- organisations -------------------------------------------------------------------------------
@organisations_blp.route("")
class Organisations(MethodView):
    @roles_required("staff")
    @organisations_blp.arguments(OrganisationQuerySchema, location="query")
    @organisations_blp.response(200, OrganisationSchema(many=True))
    @organisations_blp.paginate()
    def get(self, query, pagination_parameters):
        """List organisations (staff)."""
        return _listing("organisations", query, pagination_parameters)

    @roles_required("staff")
    @idempotent
    @organisations_blp.arguments(OrganisationCreateSchema)
    @organisations_blp.response(201, OrganisationSchema)
    @organisations_blp.alt_response(422, description="Invalid input; errors name the fields.")
    def post(self, body):
        """Register an organisation (staff); emits OrganisationRegistered."""
        return dispatch(handlers.RegisterOrganisation(**body))


@organisations_blp.route("/<organisation_id>")
class OrganisationItem(MethodView):
    @roles_required("staff")
    @organisations_blp.response(200, OrganisationSchema)
    def get(self, organisation_id):
        """One organisation (staff)."""
        return _one("organisations", organisation_id, "organisation")


# --- people --------------------------------------------------------------------------------------
@people_blp.route("")
class People(MethodView):
    @roles_required("staff")
    @people_blp.arguments(PersonQuerySchema, location="query")
    @people_blp.response(200, PersonSchema(many=True))
    @people_blp.paginate()
    def get(self, query, pagination_parameters):
        """List people (staff)."""
        return _listing("people", query, pagination_parameters)

    @roles_required("staff")
    @idempotent
    @people_blp.arguments(PersonCreateSchema)
    @people_blp.response(201, PersonSchema)
    @people_blp.alt_response(409, description="The subject belongs to someone else already.")
    def post(self, body):
        """Register a person for an organisation (staff); the role follows the organisation's kind."""
        return dispatch(handlers.RegisterPerson(**body),
                        on_duplicate=Conflict("This subject belongs to someone else already.", field="subject"))


@people_blp.route("/<person_id>")
class PersonItem(MethodView):
    @roles_required("staff")
    @people_blp.response(200, PersonSchema)
    def get(self, person_id):
        """One person (staff)."""
        return _one("people", person_id, "person")


@people_blp.route("/<person_id>/revoke")
class RevokePerson(MethodView):
    @roles_required("staff")
    @people_blp.response(200, PersonSchema)
    @people_blp.alt_response(409, description="Already revoked.")
    def post(self, person_id):
        """Revoke a person and their clients (staff); every service denies their tokens within seconds."""
        return dispatch(handlers.RevokePerson(person_id))


# --- clients -------------------------------------------------------------------------------------
def _new_client_view(new) -> dict:
    return dict(dataclasses.asdict(new.client), client_secret=new.client_secret)


@clients_blp.route("")
class Clients(MethodView):
    @roles_required("staff")
    @clients_blp.arguments(ClientQuerySchema, location="query")
    @clients_blp.response(200, ClientSchema(many=True))
    @clients_blp.paginate()
    def get(self, query, pagination_parameters):
        """List API clients (staff); secrets are never shown again."""
        return _listing("clients", query, pagination_parameters)

    @roles_required("staff")
    @clients_blp.arguments(ClientCreateSchema)
    @clients_blp.response(201, NewClientSchema)
    @clients_blp.alt_response(409, description="The person's access is revoked.")
    def post(self, body):
        """Create an API client (staff): its secret is in this answer and nowhere else; or register its
        public key (JWK) for private_key_jwt. Not idempotent by key: a retry would have to show the secret."""
        return _new_client_view(dispatch(handlers.RegisterClient(**body)))


@clients_blp.route("/<client_id>")
class ClientItem(MethodView):
    @roles_required("staff")
    @clients_blp.response(200, ClientSchema)
    def get(self, client_id):
        """One API client (staff)."""
        return _one("clients", client_id, "client")


@clients_blp.route("/<client_id>/revoke")
class RevokeClient(MethodView):
    @roles_required("staff")
    @clients_blp.response(200, ClientSchema)
    @clients_blp.alt_response(409, description="Already revoked.")
    def post(self, client_id):
        """Revoke a client (staff); every service denies its tokens within seconds."""
        return dispatch(handlers.RevokeClient(client_id))


# --- the authorization server --------------------------------------------------------------------
def server():
    return current_app.extensions["identity-oauth"]


TOKEN_REQUEST = {
    "required": True,
    "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object",
        "additionalProperties": False,  # unknown parameters are refused (400)
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string",
                           "enum": ["client_credentials", "urn:vorort:params:oauth:grant-type:delegation"]},
            "role": {"type": "string", "pattern": STORABLE, "description": "delegation only"},
            "subject": {"type": "string", "pattern": STORABLE, "description": "delegation only"},
            "ags": {"type": "string", "pattern": STORABLE, "description": "delegation only"},
            "scope": {"type": "string", "pattern": STORABLE, "description": "Space-separated; default: every scope of the client. "
                                                       "Known: " + " ".join(api_scopes())},
            "client_id": {"type": "string", "pattern": STORABLE, "description": "client_secret_post"},
            "client_secret": {"type": "string", "pattern": STORABLE, "description": "client_secret_post"},
            "client_assertion_type": {"type": "string",
                                      "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]},
            "client_assertion": {"type": "string", "pattern": STORABLE, "description": "private_key_jwt (RFC 7523)"},
        }}}},
}


@oauth_blp.route(TOKEN_PATH)
class Token(MethodView):
    @public
    @oauth_blp.doc(requestBody=TOKEN_REQUEST, security=[])
    @oauth_blp.alt_response(200, schema=TokenResponseSchema, description="An access token (RFC 9068 JWT).")
    @oauth_blp.alt_response(400, schema=OAuthErrorSchema, description="invalid_request, invalid_grant, ...")
    @oauth_blp.alt_response(401, schema=OAuthErrorSchema, description="invalid_client")
    def post(self):
        """The token endpoint: client credentials, authenticated by client_secret_basic, client_secret_post
        or private_key_jwt."""
        return server().create_token_response()


@oauth_blp.route(JWKS_PATH)
class Jwks(MethodView):
    @public
    @oauth_blp.doc(security=[])
    @oauth_blp.response(200, JwksSchema)
    def get(self):
        """The public keys that sign access tokens: the current one, the next, and retired ones whose
        tokens may still be alive."""
        return server().jwks()


def _metadata_response():
    response = jsonify(server().metadata())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@oauth_blp.route("/.well-known/openid-configuration")
class OpenIdConfiguration(MethodView):
    @public
    @oauth_blp.doc(security=[])
    @oauth_blp.alt_response(200, description="OpenID Connect discovery metadata.")
    def get(self):
        """OpenID Connect discovery document (the same metadata as RFC 8414's)."""
        return _metadata_response()


@oauth_blp.route("/.well-known/oauth-authorization-server")
class AuthorizationServerMetadata(MethodView):
    @public
    @oauth_blp.doc(security=[])
    @oauth_blp.alt_response(200, description="RFC 8414 authorization server metadata.")
    def get(self):
        """Authorization server metadata (RFC 8414)."""
        return _metadata_response()


privacy_blp = privacy_blueprint("identity", export_personal_data)

BLUEPRINTS = [organisations_blp, people_blp, clients_blp, oauth_blp, privacy_blp]
