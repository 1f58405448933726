"""HTTP entry points of the applications service: parse -> command -> bus -> response."""
from __future__ import annotations

from flask.views import MethodView

from services.applications import handlers
from services.applications.consumers import export_personal_data
from services.applications.domain import Application, Call
from services.applications.schemas import (ApplicationCreateSchema, ApplicationQuerySchema, ApplicationSchema,
                                           ApplicationUpdateSchema, CallCreateSchema, CallQuerySchema, CallSchema,
                                           CallUpdateSchema)
from shared import keyset
from shared.auth import ANY_ROLE, Principal, require_role, roles_required
from shared.errors import Conflict, NotFound
from shared.privacy import privacy_blueprint
from shared.web import ServiceBlueprint, dispatch, idempotent, read

calls_blp = ServiceBlueprint("calls", __name__, url_prefix="/v1/calls",
                             description="Calls for expressions of interest (Aufrufe).")
applications_blp = ServiceBlueprint("applications", __name__, url_prefix="/v1/applications",
                                    description="Municipalities' applications (Interessensbekundungen).")

def dispatch_submission(command):
    return dispatch(command, on_duplicate=Conflict("This municipality has already applied to this call.",
                                                   field="municipality.ags"))


def application_view(application: Application, principal: Principal) -> dict:
    contact = None
    if application.contact_visible_to(principal.role, principal.ags):
        contact = {"name": application.contact_name, "email": application.contact_email,
                   "phone": application.contact_phone}
    return {
        "id": application.id, "call_id": application.call_id, "status": application.status,
        "size_class": application.size_class,
        "municipality": {"ags": application.ags, "name": application.municipality_name,
                         "population": application.population},
        "contact": contact, "focus_areas": application.focus_areas, "statement": application.statement,
        "partners": application.partners, "submitted_at": application.submitted_at,
        "updated_at": application.updated_at, "withdrawn_at": application.withdrawn_at,
    }


def _call_or_404(uow, call_id: str) -> Call:
    call = uow.calls.get(call_id)
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return call


@calls_blp.route("")
class Calls(MethodView):
    @roles_required(*ANY_ROLE)
    @calls_blp.arguments(CallQuerySchema, location="query")
    @calls_blp.response(200, CallSchema(many=True))
    @calls_blp.paginate()
    def get(self, query, pagination_parameters):
        """List calls (every role), newest first."""
        require_role(*ANY_ROLE)
        items, total = read(lambda uow: uow.calls.list(
            status=query.get("status"), offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return items

    @roles_required("staff")
    @idempotent
    @calls_blp.arguments(CallCreateSchema)
    @calls_blp.response(201, CallSchema)
    @calls_blp.alt_response(422, description="Invalid input; errors name the fields.")
    def post(self, body):
        """Create a call in draft (staff). It takes applications once opened."""
        require_role("staff")
        return dispatch(handlers.CreateCall(**body))


@calls_blp.route("/<call_id>")
class CallItem(MethodView):
    @roles_required(*ANY_ROLE)
    @calls_blp.response(200, CallSchema)
    def get(self, call_id):
        """One call."""
        require_role(*ANY_ROLE)
        return read(lambda uow: _call_or_404(uow, call_id))

    @roles_required("staff")
    @calls_blp.arguments(CallUpdateSchema)
    @calls_blp.response(200, CallSchema)
    @calls_blp.alt_response(409, description="The call is closed.")
    @calls_blp.alt_response(422, description="The times are out of order, or an open call's opening would move "
                                             "into the future or its closing into the past; errors name the field.")
    def patch(self, body, call_id):
        """Correct or extend a call's opening and closing time (staff) while it is a draft or open; emits
        CallDeadlinesChanged."""
        principal = require_role("staff")
        return dispatch(handlers.ChangeCallDeadlines(call_id, opens_at=body.get("opens_at"),
                                                     closes_at=body.get("closes_at"),
                                                     actor=principal.actor))


@calls_blp.route("/<call_id>/open")
class OpenCall(MethodView):
    @roles_required("staff")
    @calls_blp.response(200, CallSchema)
    @calls_blp.alt_response(409, description="The call is not a draft, or its closing time has passed.")
    def post(self, call_id):
        """Open a draft call (staff); emits CallOpened."""
        require_role("staff")
        return dispatch(handlers.OpenCall(call_id))


@calls_blp.route("/<call_id>/close")
class CloseCall(MethodView):
    @roles_required("staff")
    @calls_blp.response(200, CallSchema)
    @calls_blp.alt_response(409, description="The call is not open.")
    def post(self, call_id):
        """Close an open call now (staff); emits CallClosed. Calls also close by themselves at closes_at."""
        require_role("staff")
        return dispatch(handlers.CloseCall(call_id))


@calls_blp.route("/<call_id>/applications")
class CallApplications(MethodView):
    @roles_required("staff")
    @calls_blp.arguments(ApplicationQuerySchema, location="query")
    @calls_blp.response(200, ApplicationSchema(many=True), headers=keyset.HEADERS_DOC)
    @calls_blp.paginate()
    def get(self, query, call_id, pagination_parameters):
        """The applications to one call (staff) in the order they came in, filtered by status and size class;
        by page, or by position (`after`, for long lists). Steering members read the candidates of their own
        panels' calls in the selection service, which knows the panels."""
        principal = require_role("staff")

        def fetch(uow):
            _call_or_404(uow, call_id)
            return uow.applications.list_for_call(
                call_id, status=query.get("status"), size_class=query.get("size_class"),
                offset=pagination_parameters.first_item, limit=pagination_parameters.page_size,
                after=query.get("after"))

        page = read(fetch)
        pagination_parameters.item_count = page.item_count
        return [application_view(a, principal) for a in page.rows], page.headers()

    @roles_required("municipality", "staff")
    @idempotent
    @calls_blp.arguments(ApplicationCreateSchema)
    @calls_blp.response(201, ApplicationSchema)
    @calls_blp.alt_response(409, description="The call is not open, or the municipality already applied.")
    def post(self, body, call_id):
        """Submit an application: the municipality itself (its token's AGS) or the office."""
        principal = require_role("municipality", "staff")
        municipality, contact = body["municipality"], body["contact"]
        application = dispatch_submission(handlers.SubmitApplication(
            call_id=call_id, ags=municipality["ags"], municipality_name=municipality["name"],
            population=municipality["population"], contact_name=contact["name"], contact_email=contact["email"],
            contact_phone=contact.get("phone"), focus_areas=body["focus_areas"], statement=body["statement"],
            partners=body["partners"], actor_role=principal.role, actor_ags=principal.ags,
            actor_subject=principal.subject))
        return application_view(application, principal)


@applications_blp.route("/<application_id>")
class ApplicationItem(MethodView):
    @roles_required("municipality", "staff")
    @applications_blp.response(200, ApplicationSchema)
    @applications_blp.alt_response(404, description="No such application, or another municipality's.")
    def get(self, application_id):
        """One application: the office or the municipality itself (another municipality's answers 404)."""
        principal = require_role("municipality", "staff")
        application = read(lambda uow: uow.applications.get(application_id))
        if application is None or not application.visible_to(principal.role, principal.ags):
            raise NotFound(f"No application {application_id}.")
        return application_view(application, principal)

    @roles_required("municipality", "staff")
    @applications_blp.arguments(ApplicationUpdateSchema)
    @applications_blp.response(200, ApplicationSchema)
    @applications_blp.alt_response(409, description="The call is no longer open or the application was withdrawn.")
    def patch(self, body, application_id):
        """Change an application while its call is open (the municipality itself or the office)."""
        principal = require_role("municipality", "staff")
        changes = {}
        for key, value in body.get("municipality", {}).items():
            changes["municipality_name" if key == "name" else key] = value
        for key, value in body.get("contact", {}).items():
            changes[f"contact_{key}"] = value
        for key in ("focus_areas", "statement", "partners"):
            if key in body:
                changes[key] = body[key]
        application = dispatch(handlers.UpdateApplication(application_id, changes, principal.role, principal.ags))
        return application_view(application, principal)


@applications_blp.route("/<application_id>/withdraw")
class WithdrawApplication(MethodView):
    @roles_required("municipality", "staff")
    @applications_blp.response(200, ApplicationSchema)
    @applications_blp.alt_response(409, description="Already withdrawn.")
    def post(self, application_id):
        """Withdraw an application (the municipality itself or the office); emits ApplicationWithdrawn."""
        principal = require_role("municipality", "staff")
        application = dispatch(handlers.WithdrawApplication(application_id, principal.role, principal.ags))
        return application_view(application, principal)


privacy_blp = privacy_blueprint("applications", export_personal_data)

BLUEPRINTS = [calls_blp, applications_blp, privacy_blp]
