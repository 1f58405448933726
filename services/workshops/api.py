"""HTTP entry points of the workshops service: parse -> command -> bus -> response.

Every view needs a bearer token, except the two calendar files: calendar programs cannot send
one, so those are public and carry no personal data (dates, venues, agendas only).
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from werkzeug.wrappers import Response as BaseResponse

from services.workshops import domain, handlers
from services.workshops.calendar import feed_ics, workshop_ics
from services.workshops.domain import Registration, Workshop
from services.workshops.schemas import (AttendanceSchema, CheckInSchema, ManageCodeQuerySchema,
                                        RegistrationCreateSchema, RegistrationQuerySchema, RegistrationSchema,
                                        WorkshopCancelSchema, WorkshopCompleteSchema, WorkshopQuerySchema,
                                        WorkshopScheduleSchema, WorkshopSchema)
from shared.auth import ANY_ROLE, require_role, roles_required
from shared.errors import Conflict, NotFound
from shared.privacy import privacy_blueprint
from shared.web import ServiceBlueprint, context, idempotent, public, read
from shared.web import dispatch as shared_dispatch

workshops_blp = ServiceBlueprint("workshops", __name__, url_prefix="/v1/workshops",
                                 description="Strategy workshops (Strategiewerkstätten) and their registrations.")
calendar_blp = ServiceBlueprint("calendar", __name__, url_prefix="/v1",
                                description="Public iCalendar feed of the workshops (no token needed).")

MANAGE_CODE_HEADER = "X-Manage-Code"


def dispatch(command):
    return shared_dispatch(command, on_duplicate=Conflict(
        "This e-mail address is already registered for this workshop.", field="email"))


def now():
    return context().bus.clock()


# --- views ---------------------------------------------------------------------------------------
def _places(workshop: Workshop, counts: dict) -> dict:
    confirmed = counts.get(domain.CONFIRMED, 0)
    return {"capacity": workshop.capacity, "confirmed": confirmed,
            "waitlisted": counts.get(domain.WAITLISTED, 0), "pending": counts.get(domain.PENDING, 0),
            "available": None if workshop.capacity is None else max(workshop.capacity - confirmed, 0)}


def workshop_view(workshop: Workshop, counts: dict) -> dict:
    results = None
    if workshop.results is not None:
        results = {"summary": workshop.results.summary,
                   "solution_approaches": [a.as_dict() for a in workshop.results.solution_approaches],
                   "documents": [d.as_dict() for d in workshop.results.documents]}
    return {
        "id": workshop.id, "call_id": workshop.call_id, "application_id": workshop.application_id,
        "municipality": {"ags": workshop.municipality_ags, "name": workshop.municipality_name},
        "sequence": workshop.sequence, "topic": workshop.topic, "title": workshop.title,
        "status": workshop.status, "starts_at": workshop.starts_at, "ends_at": workshop.ends_at,
        "venue": workshop.venue, "capacity": workshop.capacity, "agenda": workshop.agenda,
        "registration_opens_at": workshop.registration_opens_at,
        "registration_closes_at": workshop.registration_closes_at,
        "registration_open": domain.is_registration_open(workshop, now()),
        "requires_approval": workshop.requires_approval,
        "restricted_to_invitees": workshop.restricted_to_invitees,
        "invited_ags": sorted(workshop.invited_ags), "places": _places(workshop, counts),
        "results": results, "completed_at": workshop.completed_at, "revision": workshop.revision,
        "updated_at": workshop.updated_at,
    }


def registration_view(registration: Registration, *, with_code: bool) -> dict:
    view = {
        "id": registration.id, "workshop_id": registration.workshop_id, "status": registration.status,
        "waitlist_position": registration.waitlist_position, "name": registration.name,
        "email": registration.email, "organisation": registration.organisation,
        "participant_type": registration.participant_type, "created_at": registration.created_at,
        "checked_in_at": registration.checked_in_at,
    }
    if with_code:
        view["manage_code"] = registration.manage_code
    return view


def _workshop_or_404(uow, workshop_id: str) -> Workshop:
    workshop = uow.workshops.get(workshop_id)
    if workshop is None:
        raise NotFound(f"No workshop {workshop_id}.")
    return workshop


def _with_counts(workshop_id: str):
    def fetch(uow):
        workshop = _workshop_or_404(uow, workshop_id)
        return workshop_view(workshop, uow.registrations.status_counts([workshop.id]).get(workshop.id, {}))
    return read(fetch)


def _manage_code(query: dict) -> str | None:
    return request.headers.get(MANAGE_CODE_HEADER) or query.get("code")


# --- workshops -----------------------------------------------------------------------------------
@workshops_blp.route("")
class Workshops(MethodView):
    @roles_required(*ANY_ROLE)
    @workshops_blp.arguments(WorkshopQuerySchema, location="query")
    @workshops_blp.response(200, WorkshopSchema(many=True))
    @workshops_blp.paginate()
    def get(self, query, pagination_parameters):
        """List workshops (every role), filtered by call, host municipality (AGS) and status."""
        require_role(*ANY_ROLE)

        def fetch(uow):
            items, total = uow.workshops.list(
                call_id=query.get("call_id"), ags=query.get("ags"), status=query.get("status"),
                offset=pagination_parameters.first_item, limit=pagination_parameters.page_size)
            counts = uow.registrations.status_counts([w.id for w in items])
            return [workshop_view(w, counts.get(w.id, {})) for w in items], total

        items, total = read(fetch)
        pagination_parameters.item_count = total
        return items


@workshops_blp.route("/<id:workshop_id>")  # no dot: `/<workshop_id>.ics` is the calendar file
class WorkshopItem(MethodView):
    @roles_required(*ANY_ROLE)
    @workshops_blp.response(200, WorkshopSchema)
    def get(self, workshop_id):
        """One workshop, with its places and, once completed, its results."""
        require_role(*ANY_ROLE)
        return _with_counts(workshop_id)

    @roles_required("staff")
    @workshops_blp.arguments(WorkshopScheduleSchema)
    @workshops_blp.response(200, WorkshopSchema)
    @workshops_blp.alt_response(409, description="The workshop is cancelled or completed.")
    @workshops_blp.alt_response(422, description="Invalid input; errors name the fields.")
    def patch(self, body, workshop_id):
        """Schedule or change a workshop (staff). Times without offset are Berlin wall time.

        Emits WorkshopScheduled the first time, WorkshopRescheduled when the time or venue changes
        later. A raised capacity gives places to the waitlist at once.
        """
        require_role("staff")
        dispatch(handlers.ScheduleWorkshop(workshop_id, body))
        return _with_counts(workshop_id)


@workshops_blp.route("/<workshop_id>/cancel")
class CancelWorkshop(MethodView):
    @roles_required("staff")
    @workshops_blp.arguments(WorkshopCancelSchema)
    @workshops_blp.response(200, WorkshopSchema)
    @workshops_blp.alt_response(409, description="Already cancelled or completed.")
    def post(self, body, workshop_id):
        """Call a workshop off (staff); emits WorkshopCancelled. It stays in the calendar as cancelled."""
        require_role("staff")
        dispatch(handlers.CancelWorkshop(workshop_id, body.get("reason")))
        return _with_counts(workshop_id)


@workshops_blp.route("/<workshop_id>/complete")
class CompleteWorkshop(MethodView):
    @roles_required("staff")
    @workshops_blp.arguments(WorkshopCompleteSchema)
    @workshops_blp.response(200, WorkshopSchema)
    @workshops_blp.alt_response(409, description="Not scheduled, not ended yet, cancelled or already completed.")
    def post(self, body, workshop_id):
        """Record the results of a workshop that has taken place (staff); emits WorkshopCompleted
        with the results and attendance counts by participant type, no personal data. Afterwards
        nobody can register."""
        require_role("staff")
        dispatch(handlers.CompleteWorkshop(workshop_id, body["summary"], body["solution_approaches"],
                                           body["documents"]))
        return _with_counts(workshop_id)


# --- registrations -------------------------------------------------------------------------------
@workshops_blp.route("/<workshop_id>/registrations")
class Registrations(MethodView):
    @roles_required("staff")
    @workshops_blp.arguments(RegistrationQuerySchema, location="query")
    @workshops_blp.response(200, RegistrationSchema(many=True))
    @workshops_blp.paginate()
    def get(self, query, workshop_id, pagination_parameters):
        """The registrations of one workshop (staff), in order of arrival."""
        require_role("staff")

        def fetch(uow):
            _workshop_or_404(uow, workshop_id)
            return uow.registrations.list(workshop_id, status=query.get("status"),
                                          offset=pagination_parameters.first_item,
                                          limit=pagination_parameters.page_size)

        items, total = read(fetch)
        pagination_parameters.item_count = total
        return [registration_view(r, with_code=False) for r in items]

    @roles_required(*ANY_ROLE)
    @idempotent
    @workshops_blp.arguments(RegistrationCreateSchema)
    @workshops_blp.response(201, RegistrationSchema)
    @workshops_blp.alt_response(403, description="A municipality that is neither host nor invited.")
    @workshops_blp.alt_response(409, description="Registration is not open, or this e-mail is already registered.")
    def post(self, body, workshop_id):
        """Register a person. The answer is confirmed, waitlisted or pending (approval), with the
        registration id and the manage code that lets the person view or cancel it later.

        Partners, the steering group and the office may register for any workshop; a municipality
        for its own and, as a not selected applicant, for those of its call. The office may also
        register people outside the registration window (late entries at the door).
        """
        principal = require_role(*ANY_ROLE)
        registration = dispatch(handlers.Register(workshop_id, body, principal.role, principal.subject,
                                                  principal.ags))
        return registration_view(registration, with_code=True)


@workshops_blp.route("/<workshop_id>/registrations/<registration_id>")
class RegistrationItem(MethodView):
    @roles_required(*ANY_ROLE)
    @workshops_blp.arguments(ManageCodeQuerySchema, location="query")
    @workshops_blp.response(200, RegistrationSchema)
    def get(self, query, workshop_id, registration_id):
        """One registration: the office, the principal who registered, or with its manage code."""
        principal = require_role(*ANY_ROLE)
        registration = read(lambda uow: uow.registrations.in_workshop(workshop_id, registration_id))
        if registration is None or not handlers.may_manage(
                registration, role=principal.role, actor_key=principal.actor, code=_manage_code(query)):
            raise NotFound(f"No registration {registration_id}.")
        return registration_view(registration, with_code=not principal.is_staff)

    @roles_required(*ANY_ROLE)
    @workshops_blp.arguments(ManageCodeQuerySchema, location="query")
    @workshops_blp.response(200, RegistrationSchema)
    @workshops_blp.alt_response(409, description="Already cancelled, checked in, or the workshop took place.")
    def delete(self, query, workshop_id, registration_id):
        """Cancel a registration: the office, the principal who registered, or with the manage code
        (header X-Manage-Code or ?code=). A freed place goes to the first person on the waitlist."""
        principal = require_role(*ANY_ROLE)
        registration, _promoted = dispatch(handlers.CancelRegistration(
            workshop_id, registration_id, principal.role, principal.actor, _manage_code(query)))
        return registration_view(registration, with_code=False)


@workshops_blp.route("/<workshop_id>/registrations/<registration_id>/approve")
class ApproveRegistration(MethodView):
    @roles_required("staff")
    @workshops_blp.response(200, RegistrationSchema)
    @workshops_blp.alt_response(409, description="The registration is not pending.")
    def post(self, workshop_id, registration_id):
        """Approve a pending registration (staff): a place if there is one, else the waitlist."""
        require_role("staff")
        return registration_view(dispatch(handlers.ApproveRegistration(workshop_id, registration_id)),
                                 with_code=False)


@workshops_blp.route("/<workshop_id>/registrations/<registration_id>/reject")
class RejectRegistration(MethodView):
    @roles_required("staff")
    @workshops_blp.response(200, RegistrationSchema)
    @workshops_blp.alt_response(409, description="The registration is not pending.")
    def post(self, workshop_id, registration_id):
        """Turn a pending registration down (staff)."""
        require_role("staff")
        return registration_view(dispatch(handlers.RejectRegistration(workshop_id, registration_id)),
                                 with_code=False)


@workshops_blp.route("/<workshop_id>/participants.csv")
class ParticipantsCsv(MethodView):
    @roles_required("staff")
    @workshops_blp.response(200, content_type="text/csv", description="';'-separated, UTF-8 with BOM.")
    def get(self, workshop_id):
        """The participant list for the office (badges, sign-in sheet), as German Excel reads it."""
        require_role("staff")

        def fetch(uow):
            _workshop_or_404(uow, workshop_id)
            return domain.participants_csv(uow.registrations.for_workshop(workshop_id))

        response = Response(("\ufeff" + read(fetch)).encode("utf-8"), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="teilnehmende-{workshop_id}.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response


# --- attendance ----------------------------------------------------------------------------------
@workshops_blp.route("/<workshop_id>/check-in")
class CheckIn(MethodView):
    @roles_required("staff")
    @workshops_blp.arguments(CheckInSchema)
    @workshops_blp.response(200, RegistrationSchema)
    @workshops_blp.alt_response(404, description="No registration with this code.")
    @workshops_blp.alt_response(409, description="Not confirmed, already checked in, or the workshop is not scheduled.")
    def post(self, body, workshop_id):
        """Check a participant in by the code of their registration (staff)."""
        require_role("staff")
        return registration_view(dispatch(handlers.CheckIn(workshop_id, body["code"])), with_code=False)


@workshops_blp.route("/<workshop_id>/attendance")
class Attendance(MethodView):
    @roles_required("staff", "steering")
    @workshops_blp.response(200, AttendanceSchema)
    def get(self, workshop_id):
        """Counts by participant type (staff, steering group): checked in and confirmed. No names."""
        require_role("staff", "steering")

        def fetch(uow):
            _workshop_or_404(uow, workshop_id)
            regs = uow.registrations.for_workshop(workshop_id)
            checked_in, confirmed = domain.attendance_counts(regs), domain.registration_counts(regs)
            return {"workshop_id": workshop_id, "checked_in": checked_in,
                    "checked_in_total": sum(checked_in.values()), "confirmed": confirmed,
                    "confirmed_total": sum(confirmed.values())}

        return read(fetch)


# --- calendar (public) ---------------------------------------------------------------------------
def _calendar_response(body: bytes, filename: str) -> BaseResponse:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()  # the output is deterministic, so subscribers can revalidate cheaply
    return response.make_conditional(request)


@workshops_blp.route("/<workshop_id>.ics")
class WorkshopCalendar(MethodView):
    @public
    @workshops_blp.doc(security=[])
    @workshops_blp.response(200, content_type="text/calendar")
    @workshops_blp.alt_response(404, description="No such workshop.")
    @workshops_blp.alt_response(409, description="The workshop has no date yet.")
    def get(self, workshop_id):
        """One workshop as an iCalendar file, in Berlin time (public: no token, no personal data)."""
        workshop = read(lambda uow: _workshop_or_404(uow, workshop_id))
        return _calendar_response(workshop_ics(workshop), f"strategiewerkstatt-{workshop.id}.ics")


@calendar_blp.route("/calendar.ics")
class CalendarFeed(MethodView):
    @public
    @calendar_blp.doc(security=[])
    @calendar_blp.response(200, content_type="text/calendar")
    def get(self):
        """Subscription feed of every dated workshop; cancelled ones stay in as CANCELLED so that
        calendars drop them (public: calendar programs cannot send a token)."""
        return _calendar_response(feed_ics(read(lambda uow: uow.workshops.dated())), "netzwerk-vor-ort.ics")


# --- GDPR ----------------------------------------------------------------------------------------
def export_personal_data(uow, digest: str) -> list[dict]:
    """The person's registrations, with their workshops. Erasure runs through PersonalDataErasureRequested
    on the privacy topic."""
    records = []
    for registration in uow.registrations.by_email_digest(digest):
        workshop = uow.workshops.get(registration.workshop_id)
        record = {"kind": "workshop_registration", **registration_view(registration, with_code=False),
                  "registered_by": registration.registrant_subject,
                  "workshop": {"id": workshop.id, "title": workshop.title, "status": workshop.status,
                               "starts_at": workshop.starts_at and domain.to_local(workshop.starts_at)
                               .isoformat()}}
        for name in ("created_at", "checked_in_at"):
            record[name] = record[name] and domain.to_local(record[name]).isoformat()
        records.append(record)
    return records


privacy_blp = privacy_blueprint("workshops", export_personal_data)

BLUEPRINTS = [workshops_blp, calendar_blp, privacy_blp]
