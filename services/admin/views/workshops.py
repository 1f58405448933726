"""Strategy workshops: schedule, registrations (approval, waiting list), check-in, results, calendar links."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, FieldList, Form, FormField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, URL

from services.admin.clients import ApiError
from services.admin.views import figures
from services.admin.views.common import (FIELDS_OF_ACTION, PARTICIPANT_TYPES, Tolerant, apply_api_errors,
                                         berlin_wall_time, from_wall_time, iso, publication_of, services,
                                         status_label)

bp = Blueprint("workshops", __name__)

WALL_TIME = "%Y-%m-%dT%H:%M"


class ScheduleForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts at"), format=WALL_TIME, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends at"), format=WALL_TIME, validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(_l("Places"), validators=[Optional(), NumberRange(min=1, max=10_000)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=5000)])
    registration_opens_at = DateTimeLocalField(_l("Registration opens"), format=WALL_TIME, validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes"), format=WALL_TIME, validators=[Optional()])
    requires_approval = BooleanField(_l("Registrations need the office's approval"))
    restricted_to_invitees = BooleanField(_l("Only the host and the invited municipalities may register"),
                                          default=True)


class RegistrationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "off"})
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=200), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter an e-mail address such as name@example.org."))],
        render_kw={"type": "email", "autocomplete": "off"})
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    participant_type = SelectField(_l("Participant type"), choices=list(PARTICIPANT_TYPES.items()),
                                   validators=[DataRequired()])
    consent = BooleanField(_l("The person agrees to the processing of their data for this workshop"),
                           validators=[InputRequired(message=_l("Without consent nobody can be registered."))])


class CheckInForm(FlaskForm):
    code = StringField(_l("Registration code"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (shown to the participants)"), validators=[Optional(), Length(max=500)])


class ApproachRow(Form):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    field_of_action = SelectField(_l("Field of action"), choices=[("", "–")] + list(FIELDS_OF_ACTION.items()),
                                  validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class DocumentRow(Form):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    url = StringField(_l("Link"), validators=[Optional(), URL(message=_l("Please enter a web address (https://…)."))],
                      render_kw={"type": "url"})


class ResultsForm(FlaskForm):
    summary = TextAreaField(_l("Summary of the results"), validators=[DataRequired(), Length(max=10_000)])
    approaches = FieldList(FormField(ApproachRow), label=_l("Solution approaches"), min_entries=3)
    documents = FieldList(FormField(DocumentRow), label=_l("Documents"), min_entries=2)


def _workshop(workshop_id: str) -> dict:
    return services().workshops.get(f"/v1/workshops/{workshop_id}")


def _calls_by_id(ask: Tolerant) -> dict:
    calls = ask("applications", lambda: services().applications.all("/v1/calls"), default=[])
    return {c["id"]: c for c in calls}


@bp.get("/workshops")
def index():
    ask = Tolerant()
    svc = services()
    call_id = request.args.get("call") or None
    status = request.args.get("status") or None
    if status not in (None, "planned", "scheduled", "cancelled", "completed"):
        status = None
    calls = _calls_by_id(ask)
    workshops = svc.workshops.all("/v1/workshops", call_id=call_id, status=status)
    workshops.sort(key=lambda w: (w.get("starts_at") or "9999", w.get("title") or ""))
    chart = figures.registrations_chart("chart-registrations", workshops)
    return render_template("workshops/index.html", title=_("Workshops"), section="workshops", workshops=workshops,
                           calls=calls, call_id=call_id, status=status, chart=chart, notices=ask.notices,
                           calendar_url=svc.workshops.url("/v1/calendar.ics"))


@bp.get("/workshops/<workshop_id>")
def detail(workshop_id):
    svc = services()
    workshop = _workshop(workshop_id)
    status = request.args.get("status") or None
    registrations = svc.workshops.all(f"/v1/workshops/{workshop_id}/registrations", status=status)
    attendance = svc.workshops.get_or_none(f"/v1/workshops/{workshop_id}/attendance")
    ask = Tolerant()
    publication = ask("publishing", lambda: publication_of("workshop_result", workshop_id)) \
        if workshop.get("status") == "completed" else None
    return render_template("workshops/detail.html", title=workshop["title"], section="workshops", workshop=workshop,
                           publication=publication, notices=ask.notices,
                           registrations=registrations, attendance=attendance, registration_form=RegistrationForm(),
                           checkin_form=CheckInForm(), cancel_form=CancelForm(), status=status,
                           ics_url=svc.workshops.url(f"/v1/workshops/{workshop_id}.ics"))


@bp.route("/workshops/<workshop_id>/schedule", methods=["GET", "POST"])
def schedule(workshop_id):
    workshop = _workshop(workshop_id)
    form = ScheduleForm()
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            form[name].data = berlin_wall_time(workshop.get(name))
        form.venue.data = workshop.get("venue") or ""
        form.capacity.data = workshop.get("capacity")
        form.agenda.data = workshop.get("agenda") or ""
        form.requires_approval.data = bool(workshop.get("requires_approval"))
        form.restricted_to_invitees.data = workshop.get("restricted_to_invitees", True)
    elif form.validate_on_submit():
        body = {"starts_at": iso(from_wall_time(form.starts_at.data)), "ends_at": iso(from_wall_time(form.ends_at.data)),
                "venue": (form.venue.data or "").strip(), "capacity": form.capacity.data,
                "agenda": (form.agenda.data or "").strip(),
                "registration_opens_at": iso(from_wall_time(form.registration_opens_at.data)),
                "registration_closes_at": iso(from_wall_time(form.registration_closes_at.data)),
                "requires_approval": bool(form.requires_approval.data),
                "restricted_to_invitees": bool(form.restricted_to_invitees.data)}
        try:
            services().workshops.patch(f"/v1/workshops/{workshop_id}", body)
        except ApiError as error:
            apply_api_errors(form, error)
        else:
            flash(_("The workshop has been scheduled."), "success")
            return redirect(url_for("workshops.detail", workshop_id=workshop_id))
    return render_template("workshops/schedule.html", title=_("Schedule: %(title)s", title=workshop["title"]),
                           section="workshops", workshop=workshop, form=form)


@bp.post("/workshops/<workshop_id>/cancel")
def cancel(workshop_id):
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services().workshops.post(f"/v1/workshops/{workshop_id}/cancel",
                                      {"reason": (form.reason.data or "").strip() or None})
        except ApiError as error:
            apply_api_errors(None, error)
        else:
            flash(_("The workshop has been called off."), "success")
    return redirect(url_for("workshops.detail", workshop_id=workshop_id))


@bp.post("/workshops/<workshop_id>/registrations")
def register(workshop_id):
    form = RegistrationForm()
    if form.validate_on_submit():
        body = {"name": form.name.data.strip(), "email": form.email.data.strip(),
                "organisation": (form.organisation.data or "").strip(), "participant_type": form.participant_type.data,
                "consent": True}
        try:
            registration = services().workshops.post(f"/v1/workshops/{workshop_id}/registrations", body)
        except ApiError as error:
            apply_api_errors(None, error)
        else:
            flash(_("%(name)s is registered (%(status)s). Registration code for check-in: %(code)s",
                    name=registration["name"], status=_status_text(registration),
                    code=registration.get("manage_code", "–")), "success")
    else:
        for field in form:
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
    return redirect(url_for("workshops.detail", workshop_id=workshop_id) + "#registrations")


def _status_text(registration: dict) -> str:
    text = status_label(registration.get("status"))
    if registration.get("waitlist_position"):
        text += " " + _("position %(n)s", n=registration["waitlist_position"])
    return text


@bp.post("/workshops/<workshop_id>/registrations/<registration_id>/<action>")
def registration_action(workshop_id, registration_id, action):
    svc = services()
    messages = {"approve": _("The registration has been approved."),
                "reject": _("The registration has been turned down."),
                "cancel": _("The registration has been cancelled; a freed place goes to the waiting list.")}
    if action not in messages:
        return redirect(url_for("workshops.detail", workshop_id=workshop_id))
    path = f"/v1/workshops/{workshop_id}/registrations/{registration_id}"
    try:
        result = svc.workshops.delete(path) if action == "cancel" else svc.workshops.post(f"{path}/{action}")
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        message = messages[action]
        if action == "approve" and result and result.get("status") == "waitlisted":
            message = _("Approved; the workshop is full, so the person is on the waiting list (position %(n)s).",
                        n=result.get("waitlist_position"))
        flash(message, "success")
    return redirect(url_for("workshops.detail", workshop_id=workshop_id) + "#registrations")


@bp.post("/workshops/<workshop_id>/check-in")
def check_in(workshop_id):
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            registration = services().workshops.post(f"/v1/workshops/{workshop_id}/check-in",
                                                     {"code": form.code.data.strip()})
        except ApiError as error:
            apply_api_errors(None, error)
        else:
            flash(_("Checked in: %(name)s.", name=registration["name"]), "success")
    else:
        flash(_("Please enter the registration code."), "error")
    return redirect(url_for("workshops.detail", workshop_id=workshop_id) + "#check-in")


@bp.route("/workshops/<workshop_id>/results", methods=["GET", "POST"])
def results(workshop_id):
    workshop = _workshop(workshop_id)
    form = ResultsForm()
    if request.method == "POST" and form.validate_on_submit():
        approaches = [{"title": row.form.title.data.strip(), "field_of_action": row.form.field_of_action.data or "",
                       "description": (row.form.description.data or "").strip()}
                      for row in form.approaches if (row.form.title.data or "").strip()]
        documents = [{"title": row.form.title.data.strip(), "url": row.form.url.data.strip()}
                     for row in form.documents if (row.form.title.data or "").strip() or (row.form.url.data or "").strip()]
        body = {"summary": form.summary.data.strip(), "solution_approaches": approaches, "documents": documents}
        try:
            services().workshops.post(f"/v1/workshops/{workshop_id}/complete", body)
        except ApiError as error:
            apply_api_errors(form, error)
        else:
            flash(_("The results have been recorded; the workshop is completed. The publication of its results "
                    "is being drafted."), "success")
            return redirect(url_for("workshops.detail", workshop_id=workshop_id))
    return render_template("workshops/results.html", title=_("Results: %(title)s", title=workshop["title"]),
                           section="workshops", workshop=workshop, form=form, fields_of_action=FIELDS_OF_ACTION)


@bp.get("/workshops/<workshop_id>/participants.csv")
def participants_csv(workshop_id):
    response = services().workshops.request("GET", f"/v1/workshops/{workshop_id}/participants.csv", raw=True)
    proxied = Response(response.content, mimetype="text/csv")
    proxied.headers["Content-Type"] = response.headers.get("Content-Type", "text/csv; charset=utf-8")
    proxied.headers["Content-Disposition"] = response.headers.get(
        "Content-Disposition", f'attachment; filename="teilnehmende-{workshop_id}.csv"')
    proxied.headers["Cache-Control"] = "no-store"
    return proxied
