"""Personal data across services (GDPR): how one person is identified, export and erasure.

A person is identified by the SHA-256 of their lower-cased, trimmed e-mail address, so that the erasure
request travelling through Kafka does not itself spread the address. A service that holds personal data
gives two functions to this module:
- `export(uow, digest) -> list[dict]`: every record it holds about that person;
- `erase(uow, digest) -> int`: anonymise or delete those records, returning how many.
From them it gets `GET /v1/personal-data?email=` (staff) and a consumer of `PersonalDataErasureRequested`
that erases once per request, writes an audit row without the personal data (the service's
`privacy_erasures` table: request_id, records, requested_by, erased_at), and emits `PersonalDataErased`.
Export and erasure also reach the service's stored idempotent answers that quote the address
(shared.idempotency).
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from marshmallow import RAISE, Schema, ValidationError, fields
from sqlalchemy import MetaData, insert, select

from shared import auth, idempotency
from shared.auth import roles_required
from shared.events.catalogue import TOPIC_PRIVACY, make_event
from shared.events.envelope import Event, utcnow
from shared.personal_data import email_digest as email_digest  # services take it from here, with the rest of GDPR
from shared.web import ServiceBlueprint, context
from shared.web.errors import error_body
from shared.worker import ConsumerSpec

ERASED_NAME = "[gelöscht]"

Export = Callable[[Any, str], list[dict[str, Any]]]  # (unit of work, digest) -> records
Erase = Callable[[Any, str], int]  # (unit of work, digest) -> how many records


def erased_email(record_id: str) -> str:
    """A placeholder that keeps NOT NULL and format constraints, and can never be delivered."""
    return f"erased-{str(record_id)[:12]}@invalid.invalid"


def erasure_request(email: str, requested_by: str, source: str = "/vorort/gdpr") -> Event:
    return make_event("PersonalDataErasureRequested", {
        "request_id": str(uuid.uuid4()), "email_sha256": email_digest(email), "requested_at": utcnow(),
        "requested_by": requested_by}, source=source)


def erased_event(request_id: str, service: str, records: int) -> Event:
    return make_event("PersonalDataErased", {"request_id": request_id, "service": service, "records": records,
                                              "erased_at": utcnow()}, source=f"/services/{service}")


def erasure_handler(service: str, erase: Erase) -> Callable[[Event, dict[str, Any], Any], None]:
    """The consumer handler: erase once per request id, audit it, tell the others."""
    def handle(event: Event, data: dict[str, Any], uow: Any) -> None:
        audit = uow.metadata.tables["privacy_erasures"]
        if uow.session.execute(select(audit.c.request_id).where(audit.c.request_id == data["request_id"])).first():
            return
        records = erase(uow, data["email_sha256"])
        if idempotency.TABLE in uow.metadata.tables:  # stored first answers may quote the address
            records += idempotency.erase_answers_about(uow.session, uow.metadata, data["email_sha256"])
        uow.session.execute(insert(audit).values(request_id=data["request_id"], records=records,
                                                 requested_by=data["requested_by"][:200], erased_at=utcnow()))
        uow.emit(erased_event(data["request_id"], service, records))
    return handle


def privacy_consumer(service: str, erase: Erase) -> ConsumerSpec:
    return ConsumerSpec(service, "privacy", topics=[TOPIC_PRIVACY],
                        handlers={"PersonalDataErasureRequested": erasure_handler(service, erase)})


class PersonalDataQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True)


class PersonalDataSchema(Schema):
    service = fields.String()
    records = fields.List(fields.Dict())


def _personal_data(uow_factory: Callable[[], Any], service: str, export: Export, email: str) -> dict[str, Any]:
    with uow_factory() as uow:
        digest = email_digest(email)
        records = export(uow, digest)
        if idempotency.TABLE in uow.metadata.tables:
            records += idempotency.export_answers_about(uow.session, uow.metadata, digest)
        return {"service": service, "records": records}


def register_personal_data(app: Flask, service: str, export: Export, metadata: MetaData) -> None:
    """The export (`GET /v1/personal-data?email=`, staff with `<service>:read`) on a server-rendered front end
    that holds personal data (the portal), which has no flask-smorest API: the same answer and the same
    error format (shared.web.errors) as `privacy_blueprint` gives an API service; the deny list is in its
    `metadata` (revoked_access, filled by its revocation_consumer)."""
    def personal_data() -> ResponseReturnValue:
        ctx = app.extensions[f"vorort-{service}"]
        try:
            principal = auth.principal_of_request(service, SimpleNamespace(engine=ctx.engine, metadata=metadata))
        except auth.Refused as refused:
            return jsonify(error_body(refused.status, refused.message)), refused.status
        if principal.role != "staff":
            return jsonify(error_body(403, "This operation needs one of the roles: staff.")), 403
        try:
            query = PersonalDataQuerySchema().load(request.args.to_dict())
        except ValidationError as error:
            return jsonify(error_body(422, "Unprocessable Entity", {"query": error.messages})), 422
        return jsonify(_personal_data(ctx.uow_factory, service, export, query["email"]))

    app.add_url_rule("/v1/personal-data", f"{service}_personal_data", personal_data, methods=["GET"])


def privacy_blueprint(service: str, export: Export) -> ServiceBlueprint:
    """`GET /v1/personal-data?email=` (staff): what this service holds about one person (export)."""
    blueprint = ServiceBlueprint("personal-data", __name__, url_prefix="/v1/personal-data",
                                 description="GDPR: what this service holds about one person (staff).")

    @blueprint.route("")
    class PersonalData(MethodView):
        @roles_required("staff")
        @blueprint.arguments(PersonalDataQuerySchema, location="query")  # type: ignore[untyped-decorator]  # flask-smorest is untyped
        @blueprint.response(200, PersonalDataSchema)  # type: ignore[untyped-decorator]  # flask-smorest is untyped
        def get(self, query: dict[str, Any]) -> dict[str, Any]:
            """Every record of this service about the person with this e-mail address."""
            return _personal_data(context().uow_factory, service, export, query["email"])

    return blueprint
