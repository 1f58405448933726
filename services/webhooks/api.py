"""HTTP entry points of the webhooks service: parse -> command -> bus -> response.

Every role may register endpoints for its own organisation (the office, a municipality by its AGS, a
steering member, a partner organisation by its token's subject); staff see and manage every endpoint.
Another organisation's endpoint answers 404.
"""
from __future__ import annotations

from flask.views import MethodView

from services.webhooks import handlers
from services.webhooks.consumers import export_personal_data
from services.webhooks.domain import VISIBLE_TYPES, Owner, require_manager
from services.webhooks.schemas import (DeliveryDetailSchema, DeliveryQuerySchema, DeliverySchema,
                                       EndpointCreateSchema, EndpointQuerySchema, EndpointSchema,
                                       EndpointUpdateSchema, EndpointWithSecretSchema, EventTypeSchema,
                                       ReplayResultSchema, ReplaySchema, SecretSchema)
from shared.auth import ANY_ROLE, current_principal, roles_required
from shared.errors import InvalidInput, NotFound
from shared.events.catalogue import spec_for
from shared.privacy import privacy_blueprint
from shared.web import ServiceBlueprint, context, dispatch, idempotent, read

endpoints_blp = ServiceBlueprint("endpoints", __name__, url_prefix="/v1/endpoints",
                                 description="Webhook endpoints of the caller's organisation.")
deliveries_blp = ServiceBlueprint("deliveries", __name__, url_prefix="/v1/endpoints",
                                  description="The delivery log of an endpoint, and replays.")
event_types_blp = ServiceBlueprint("event-types", __name__, url_prefix="/v1/event-types",
                                   description="The event types the caller's endpoints may subscribe to.")


def _actor() -> handlers.Actor:
    principal = current_principal()
    owner = Owner.of(principal.role, principal.subject, principal.ags)
    return handlers.Actor(role=principal.role, organisation=owner.organisation, subject=principal.subject)


def _settings():
    return context().options


def _checked_url(url: str) -> str:
    problems = _settings().egress.check_url(url)
    if problems:
        raise InvalidInput(" ".join(problems), field="url")
    return url


def endpoint_view(endpoint, secret: str | None = None) -> dict:
    view = {
        "id": endpoint.id, "url": endpoint.url, "description": endpoint.description,
        "event_types": endpoint.event_types, "contact_email": endpoint.contact_email, "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "owner": {"role": endpoint.owner_role, "organisation": endpoint.owner_organisation},
        "public_key": endpoint.public_key, "previous_secret_expires_at": endpoint.previous_secret_expires_at,
        "failing_since": endpoint.failing_since, "last_success_at": endpoint.last_success_at,
        "created_at": endpoint.created_at, "updated_at": endpoint.updated_at,
    }
    if secret is not None:
        view["secret"] = secret
    return view


def _own_endpoint(uow, actor: handlers.Actor, endpoint_id: str):
    return require_manager(uow.endpoints.get(endpoint_id), actor.role, actor.organisation)


@event_types_blp.route("")
class EventTypes(MethodView):
    @roles_required(*ANY_ROLE)
    @event_types_blp.response(200, EventTypeSchema(many=True))
    def get(self):
        """The event types the caller's role may subscribe to, with an example body's data."""
        actor = _actor()
        specs = [spec_for(name) for name in VISIBLE_TYPES[actor.role]]
        return [{"type": s.type, "version": s.version, "summary": s.summary, "example": s.example} for s in specs]


@endpoints_blp.route("")
class Endpoints(MethodView):
    @roles_required(*ANY_ROLE)
    @endpoints_blp.arguments(EndpointQuerySchema, location="query")
    @endpoints_blp.response(200, EndpointSchema(many=True))
    @endpoints_blp.paginate()
    def get(self, query, pagination_parameters):
        """The caller's organisation's endpoints (staff: every endpoint)."""
        actor = _actor()
        items, total = read(lambda uow: uow.endpoints.list(
            role=None if actor.role == "staff" else actor.role,
            organisation=None if actor.role == "staff" else actor.organisation, status=query.get("status"),
            offset=pagination_parameters.first_item, limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [endpoint_view(e) for e in items]

    @roles_required(*ANY_ROLE)
    @idempotent
    @endpoints_blp.arguments(EndpointCreateSchema)
    @endpoints_blp.response(201, EndpointWithSecretSchema)
    @endpoints_blp.alt_response(422, description="Invalid input, an event type the role may not receive, or a "
                                                 "URL that does not resolve to public addresses only.")
    def post(self, body):
        """Register an endpoint for the caller's organisation. The answer carries its secret, once."""
        actor = _actor()
        endpoint, secret = dispatch(handlers.RegisterEndpoint(
            actor=actor, url=_checked_url(body["url"]), event_types=body["event_types"],
            contact_email=body["contact_email"], description=body["description"],
            asymmetric_signature=body["asymmetric_signature"]))
        return endpoint_view(endpoint, secret)


@endpoints_blp.route("/<endpoint_id>")
class EndpointItem(MethodView):
    @roles_required(*ANY_ROLE)
    @endpoints_blp.response(200, EndpointSchema)
    def get(self, endpoint_id):
        """One endpoint of the caller's organisation."""
        actor = _actor()
        return endpoint_view(read(lambda uow: _own_endpoint(uow, actor, endpoint_id)))

    @roles_required(*ANY_ROLE)
    @endpoints_blp.arguments(EndpointUpdateSchema)
    @endpoints_blp.response(200, EndpointSchema)
    def patch(self, body, endpoint_id):
        """Change URL, event types, contact or description."""
        actor = _actor()
        if "url" in body:
            read(lambda uow: _own_endpoint(uow, actor, endpoint_id))  # 404 before any DNS lookup
            _checked_url(body["url"])
        return endpoint_view(dispatch(handlers.ChangeEndpoint(actor, endpoint_id, body)))

    @roles_required(*ANY_ROLE)
    @endpoints_blp.response(204)
    def delete(self, endpoint_id):
        """Delete an endpoint and its delivery log."""
        dispatch(handlers.DeleteEndpoint(_actor(), endpoint_id))


@endpoints_blp.route("/<endpoint_id>/pause")
class PauseEndpoint(MethodView):
    @roles_required(*ANY_ROLE)
    @endpoints_blp.response(200, EndpointSchema)
    @endpoints_blp.alt_response(409, description="The endpoint is disabled.")
    def post(self, endpoint_id):
        """Stop sending; new deliveries are held until the endpoint is resumed."""
        return endpoint_view(dispatch(handlers.PauseEndpoint(_actor(), endpoint_id)))


@endpoints_blp.route("/<endpoint_id>/resume")
class ResumeEndpoint(MethodView):
    @roles_required(*ANY_ROLE)
    @endpoints_blp.response(200, EndpointSchema)
    def post(self, endpoint_id):
        """Send again (also after the endpoint was disabled); held deliveries go out."""
        return endpoint_view(dispatch(handlers.ResumeEndpoint(_actor(), endpoint_id)))


@endpoints_blp.route("/<endpoint_id>/rotate-secret")
class RotateSecret(MethodView):
    @roles_required(*ANY_ROLE)
    @endpoints_blp.response(200, SecretSchema)
    def post(self, endpoint_id):
        """A new secret, shown once; the previous one keeps signing beside it for 24 hours."""
        endpoint, secret = dispatch(handlers.RotateSecret(_actor(), endpoint_id, _settings().rotation_overlap))
        return {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@deliveries_blp.route("/<endpoint_id>/deliveries")
class Deliveries(MethodView):
    @roles_required(*ANY_ROLE)
    @deliveries_blp.arguments(DeliveryQuerySchema, location="query")
    @deliveries_blp.response(200, DeliverySchema(many=True))
    @deliveries_blp.paginate()
    def get(self, query, endpoint_id, pagination_parameters):
        """The endpoint's delivery log, newest first."""
        actor = _actor()

        def fetch(uow):
            _own_endpoint(uow, actor, endpoint_id)
            return uow.deliveries.list(endpoint_id, status=query.get("status"), event_type=query.get("event_type"),
                                       offset=pagination_parameters.first_item,
                                       limit=pagination_parameters.page_size)

        items, total = read(fetch)
        pagination_parameters.item_count = total
        return items


@deliveries_blp.route("/<endpoint_id>/deliveries/<delivery_id>")
class DeliveryItem(MethodView):
    @roles_required(*ANY_ROLE)
    @deliveries_blp.response(200, DeliveryDetailSchema)
    def get(self, endpoint_id, delivery_id):
        """One delivery with its body and every attempt."""
        actor = _actor()

        def fetch(uow):
            _own_endpoint(uow, actor, endpoint_id)
            delivery = uow.deliveries.get(endpoint_id, delivery_id)
            if delivery is None:
                raise NotFound("No such delivery.")
            view = {name: getattr(delivery, name) for name in DeliverySchema._declared_fields}
            view.update(payload=delivery.payload, attempt_log=uow.deliveries.attempts_of(delivery_id))
            return view

        return read(fetch)


@deliveries_blp.route("/<endpoint_id>/deliveries/<delivery_id>/replay")
class ReplayDelivery(MethodView):
    @roles_required(*ANY_ROLE)
    @deliveries_blp.response(202, DeliverySchema)
    @deliveries_blp.alt_response(409, description="The delivery is still being attempted.")
    def post(self, endpoint_id, delivery_id):
        """Send this delivery again, with the same webhook-id."""
        return dispatch(handlers.ReplayDelivery(_actor(), endpoint_id, delivery_id))


@deliveries_blp.route("/<endpoint_id>/replay")
class ReplayFailed(MethodView):
    @roles_required(*ANY_ROLE)
    @deliveries_blp.arguments(ReplaySchema)
    @deliveries_blp.response(202, ReplayResultSchema)
    def post(self, body, endpoint_id):
        """Send every failed delivery created since a time again."""
        return {"replayed": dispatch(handlers.ReplayFailed(_actor(), endpoint_id, body["since"]))}


privacy_blp = privacy_blueprint("webhooks", export_personal_data)

BLUEPRINTS = [event_types_blp, endpoints_blp, deliveries_blp, privacy_blp]
