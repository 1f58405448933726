"""Calls (Aufrufe) and their applications: create, open, close; list and read; record on behalf."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from services.admin.clients import ApiError
from services.admin.views.common import (apply_api_errors, from_wall_time, iso, now_berlin, services,
                                         size_class_label)
from shared.municipalities import AGS_PATTERN, SIZE_CLASSES

bp = Blueprint("calls", __name__)

WALL_TIME = "%Y-%m-%dT%H:%M"
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter an e-mail address such as name@example.org."))


def _lines(text: str | None) -> list[str]:
    """One entry per line (commas also separate), blanks dropped."""
    return [part.strip() for part in re.split(r"[\n,;]", text or "") if part.strip()]


class CallForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    opens_at = DateTimeLocalField(_l("Opens at"), format=WALL_TIME, validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes at"), format=WALL_TIME, validators=[DataRequired()])
    places = IntegerField(_l("Places"), validators=[DataRequired(), NumberRange(min=1, max=50)])
    workshops_per_place = IntegerField(_l("Workshops per selected municipality"), default=2,
                                       validators=[DataRequired(), NumberRange(min=1, max=10)])

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_("The closing time must be after the opening time."))


class ApplicationForm(FlaskForm):
    ags = StringField(_l("Official municipality key (AGS)"), validators=[
        DataRequired(), Regexp(AGS_PATTERN, message=_l("The AGS has exactly 8 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    name = StringField(_l("Municipality"), validators=[DataRequired(), Length(max=200)])
    population = IntegerField(_l("Population"), validators=[DataRequired(), NumberRange(min=1, max=20_000_000)])
    contact_name = StringField(_l("Name of the contact person"), validators=[DataRequired(), Length(max=200)],
                               render_kw={"autocomplete": "off"})
    contact_email = StringField(_l("Contact e-mail"), validators=[DataRequired(), Length(max=254), EMAIL],
                                render_kw={"autocomplete": "off", "type": "email"})
    contact_phone = StringField(_l("Contact telephone"), validators=[
        Optional(), Regexp(r"^[0-9 +()/\-]{3,50}$", message=_l("Not a telephone number."))],
        render_kw={"autocomplete": "off", "type": "tel"})
    focus_areas = TextAreaField(_l("Focus areas (one per line)"), validators=[Optional(), Length(max=2100)])
    statement = TextAreaField(_l("Statement of interest"), validators=[DataRequired(), Length(max=10_000)])
    partners = TextAreaField(_l("Partners (one per line)"), validators=[Optional(), Length(max=10_000)])


APPLICATION_FIELDS = {"municipality.ags": "ags", "municipality.name": "name", "municipality.population": "population",
                      "contact.name": "contact_name", "contact.email": "contact_email",
                      "contact.phone": "contact_phone", "focus_areas": "focus_areas", "statement": "statement",
                      "partners": "partners"}


@bp.get("/calls")
def index():
    status = request.args.get("status") or None
    if status not in (None, "draft", "open", "closed"):
        status = None
    page = services().applications.page("/v1/calls", page=request.args.get("page", 1, type=int), page_size=20,
                                        status=status)
    return render_template("calls/index.html", title=_("Calls and applications"), section="calls", page=page,
                           status=status)


@bp.route("/calls/new", methods=["GET", "POST"])
def create():
    form = CallForm()
    if request.method == "GET":
        start = now_berlin()
        form.opens_at.data = start
        form.closes_at.data = (start + timedelta(days=42)).replace(hour=23, minute=59)
        form.places.data = 3
    if form.validate_on_submit():
        body = {"title": form.title.data.strip(), "topic": form.topic.data.strip(),
                "description": (form.description.data or "").strip(),
                "opens_at": iso(from_wall_time(form.opens_at.data)), "closes_at": iso(from_wall_time(form.closes_at.data)),
                "places": form.places.data, "workshops_per_place": form.workshops_per_place.data}
        try:
            call = services().applications.post("/v1/calls", body)
        except ApiError as error:
            apply_api_errors(form, error)
        else:
            flash(_("The call “%(title)s” has been created as a draft. Open it to take applications.",
                    title=call["title"]), "success")
            return redirect(url_for("calls.detail", call_id=call["id"]))
    return render_template("calls/form.html", title=_("New call"), section="calls", form=form)


@bp.get("/calls/<call_id>")
def detail(call_id):
    svc = services()
    call = svc.applications.get(f"/v1/calls/{call_id}")
    status = request.args.get("status") or None
    size_class = request.args.get("size_class") or None
    if status not in (None, "submitted", "withdrawn"):
        status = None
    if size_class not in (None,) + SIZE_CLASSES:
        size_class = None
    page = svc.applications.page(f"/v1/calls/{call_id}/applications", page=request.args.get("page", 1, type=int),
                                 page_size=25, status=status, size_class=size_class)
    return render_template("calls/detail.html", title=call["title"], section="calls", call=call, page=page,
                           status=status, size_class=size_class, size_classes=SIZE_CLASSES)


@bp.post("/calls/<call_id>/open")
def open_call(call_id):
    return _transition(call_id, "open", _("The call is open: municipalities can apply now."))


@bp.post("/calls/<call_id>/close")
def close_call(call_id):
    return _transition(call_id, "close", _("The call is closed. The selection can begin once the applications "
                                           "have reached the selection service."))


def _transition(call_id: str, action: str, success: str):
    try:
        services().applications.post(f"/v1/calls/{call_id}/{action}")
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        flash(success, "success")
    return redirect(url_for("calls.detail", call_id=call_id))


@bp.route("/calls/<call_id>/applications/new", methods=["GET", "POST"])
def record_application(call_id):
    svc = services()
    call = svc.applications.get(f"/v1/calls/{call_id}")
    form = ApplicationForm()
    if form.validate_on_submit():
        body = {
            "municipality": {"ags": form.ags.data.strip(), "name": form.name.data.strip(),
                             "population": form.population.data},
            "contact": {"name": form.contact_name.data.strip(), "email": form.contact_email.data.strip(),
                        "phone": (form.contact_phone.data or "").strip() or None},
            "focus_areas": _lines(form.focus_areas.data), "statement": form.statement.data.strip(),
            "partners": [p.strip() for p in (form.partners.data or "").splitlines() if p.strip()],
        }
        try:
            application = svc.applications.post(f"/v1/calls/{call_id}/applications", body)
        except ApiError as error:
            apply_api_errors(form, error, APPLICATION_FIELDS)
        else:
            flash(_("The application of %(name)s has been recorded.", name=application["municipality"]["name"]),
                  "success")
            return redirect(url_for("calls.application", application_id=application["id"]))
    return render_template("calls/application_form.html", title=_("Record an application"), section="calls",
                           call=call, form=form)


@bp.get("/applications/<application_id>")
def application(application_id):
    svc = services()
    found = svc.applications.get(f"/v1/applications/{application_id}")
    call = svc.applications.get(f"/v1/calls/{found['call_id']}")
    return render_template("calls/application.html", title=found["municipality"]["name"], section="calls",
                           application=found, call=call, size_class=size_class_label(found.get("size_class"), False))


@bp.post("/applications/<application_id>/withdraw")
def withdraw(application_id):
    try:
        services().applications.post(f"/v1/applications/{application_id}/withdraw")
    except ApiError as error:
        if error.status == 404:
            abort(404)
        apply_api_errors(None, error)
    else:
        flash(_("The application has been withdrawn."), "success")
    return redirect(url_for("calls.application", application_id=application_id))
