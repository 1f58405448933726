"""A municipality's pages: the open calls, its expression of interest (draft, submit, edit, withdraw),
its status and the decision letter.

Everything belongs to the municipality (its AGS), not to the person: two clerks of one town see the same
draft and application; a clerk of another town sees none of it. Drafts live in the portal (the
applications API has no drafts); on submission the API's application id is remembered per AGS and call.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import delete, insert, select, update
from wtforms import EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, Regexp

from services.portal import mail
from services.portal.context import portal_context
from services.portal.db import application_drafts, submitted_applications
from services.portal.people import mail_language
from services.portal.views.common import EMAIL, FOCUS_AREAS, place_api_errors, role_required, services
from services.portal.views.public import MultiCheckboxField
from shared.apiclient import ApiError

bp = Blueprint("municipality", __name__, url_prefix="/municipality")

REQUIRED_ON_SUBMIT = ("name", "population", "contact_name", "contact_email", "statement")
API_FIELDS = {"municipality.name": "name", "municipality.population": "population", "contact.name": "contact_name",
              "contact.email": "contact_email", "contact.phone": "contact_phone", "statement": "statement",
              "focus_areas": "focus_areas", "partners": "partners"}


class ApplicationForm(FlaskForm):
    name = StringField(_l("Name of the municipality"), validators=[Optional(), Length(max=200)])
    population = IntegerField(_l("Population"), validators=[Optional(), NumberRange(min=1, max=20_000_000)],
                              render_kw={"inputmode": "numeric"})
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)],
                               render_kw={"autocomplete": "name"})
    contact_email = EmailField(_l("Contact email"), validators=[Optional(), EMAIL, Length(max=254)],
                               render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    contact_phone = StringField(_l("Contact telephone (optional)"), validators=[
        Optional(), Regexp(r"^[0-9 +()/\-]{3,50}$", message=_l("Not a telephone number."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    focus_areas = MultiCheckboxField(_l("Fields of action"), choices=[], validators=[Optional()])
    statement = TextAreaField(_l("Statement of interest"), validators=[Optional(), Length(max=10_000)],
                              render_kw={"rows": 10})
    partners = TextAreaField(_l("Local partners (optional)"), validators=[Optional(), Length(max=10_000)],
                             render_kw={"rows": 4})

    def fill_choices(self):
        self.focus_areas.choices = [(key, str(label)) for key, label in FOCUS_AREAS.items()]

    def as_draft(self) -> dict:
        return {"name": self.name.data, "population": self.population.data, "contact_name": self.contact_name.data,
                "contact_email": self.contact_email.data, "contact_phone": self.contact_phone.data,
                "focus_areas": self.focus_areas.data or [], "statement": self.statement.data,
                "partners": self.partners.data}

    def partner_list(self) -> list[str]:
        return [line.strip() for line in (self.partners.data or "").splitlines() if line.strip()][:50]

    def missing_for_submission(self) -> bool:
        missing = False
        for name in REQUIRED_ON_SUBMIT:
            field = getattr(self, name)
            if field.data in (None, ""):
                field.errors = [*field.errors, _("Needed to submit.")]
                missing = True
        return missing

    def api_body(self, ags: str) -> dict:
        return {"municipality": {"ags": ags, "name": self.name.data.strip(), "population": self.population.data},
                "contact": {"name": self.contact_name.data.strip(), "email": self.contact_email.data.strip(),
                            "phone": (self.contact_phone.data or "").strip() or None},
                "focus_areas": self.focus_areas.data or [], "statement": self.statement.data.strip(),
                "partners": self.partner_list()}


def ags() -> str:
    return g.person.ags


def _draft(call_id: str):
    with portal_context().engine.connect() as connection:
        return connection.execute(select(application_drafts).where(
            application_drafts.c.ags == ags(), application_drafts.c.call_id == call_id)).first()


def _application_id(call_id: str) -> str | None:
    with portal_context().engine.connect() as connection:
        return connection.execute(select(submitted_applications.c.application_id).where(
            submitted_applications.c.ags == ags(), submitted_applications.c.call_id == call_id)).scalar()


def _application(call_id: str) -> dict | None:
    application_id = _application_id(call_id)
    return services().applications.get_or_none(f"/v1/applications/{application_id}") if application_id else None


def _letter(application: dict | None) -> dict | None:
    if not application:
        return None
    return services().publishing.get_or_none(f"/v1/decision-letters/{application['id']}")


def _call(call_id: str) -> dict:
    if len(call_id) > 36:
        abort(404)
    call = services().applications.get_or_none(f"/v1/calls/{call_id}")
    if call is None or call["status"] == "draft":
        abort(404)
    return call


@bp.get("/calls")
@role_required("municipality")
def calls():
    open_calls = services().applications.all("/v1/calls", status="open")
    with portal_context().engine.connect() as connection:
        mine = {r.call_id for r in connection.execute(select(submitted_applications.c.call_id).where(
            submitted_applications.c.ags == ags()))}
        drafts = {r.call_id for r in connection.execute(select(application_drafts.c.call_id).where(
            application_drafts.c.ags == ags()))}
    earlier = [services().applications.get(f"/v1/calls/{call_id}") for call_id in sorted(mine)]
    earlier = [c for c in earlier if c["status"] != "open"]
    return render_template("municipality/calls.html", section="calls", open_calls=open_calls, earlier=earlier,
                           mine=mine, drafts=drafts)


@bp.get("/calls/<call_id>")
@role_required("municipality")
def call(call_id):
    item = _call(call_id)
    application = _application(call_id)
    return render_template("municipality/call.html", section="calls", call=item, application=application,
                           draft=_draft(call_id), letter=_letter(application))


def _form_from(application: dict | None, draft) -> ApplicationForm:
    if request.method == "POST":
        form = ApplicationForm()
    elif application:
        form = ApplicationForm(data={
            "name": application["municipality"]["name"], "population": application["municipality"]["population"],
            "contact_name": (application.get("contact") or {}).get("name"),
            "contact_email": (application.get("contact") or {}).get("email"),
            "contact_phone": (application.get("contact") or {}).get("phone"),
            "focus_areas": application["focus_areas"], "statement": application["statement"],
            "partners": "\n".join(application["partners"])})
    elif draft:
        form = ApplicationForm(data=draft.body)
    else:
        form = ApplicationForm(data={"contact_name": g.person.name, "contact_email": g.person.email,
                                     "name": g.person.organisation or None})
    form.fill_choices()
    return form


@bp.route("/calls/<call_id>/application", methods=["GET", "POST"])
@role_required("municipality")
def application_form(call_id):
    item = _call(call_id)
    application = _application(call_id)
    if application and application["status"] == "withdrawn":
        flash(_("This application has been withdrawn."), "error")
        return redirect(url_for("municipality.call", call_id=call_id))
    if item["status"] != "open":
        flash(_("The call is closed: the application can no longer be changed."), "error")
        return redirect(url_for("municipality.call", call_id=call_id))
    form = _form_from(application, _draft(call_id))
    notices = []
    action = request.form.get("action", "draft")
    if request.method == "POST" and form.validate_on_submit():
        if action == "draft" and not application:
            _save_draft(call_id, form)
            flash(_("Draft saved. It is not submitted yet."), "success")
            return redirect(url_for("municipality.call", call_id=call_id))
        if not form.missing_for_submission():
            try:
                if application:
                    body = form.api_body(ags())
                    body["municipality"].pop("ags")
                    services().applications.patch(f"/v1/applications/{application['id']}", body)
                    flash(_("Your changes have been saved."), "success")
                else:
                    _submit(item, form)
                    flash(_("Your expression of interest has been submitted. You will receive a confirmation by mail."),
                          "success")
                return redirect(url_for("municipality.call", call_id=call_id))
            except ApiError as error:
                if error.status not in (400, 409, 422):
                    raise
                notices = place_api_errors(form, error, API_FIELDS)
    status = 400 if request.method == "POST" else 200
    return render_template("municipality/application_form.html", section="calls", call=item,
                           application=application, form=form, notices=notices), status


def _save_draft(call_id: str, form: ApplicationForm) -> None:
    now = portal_context().clock()
    with portal_context().engine.begin() as connection:
        changed = connection.execute(update(application_drafts).where(
            application_drafts.c.ags == ags(), application_drafts.c.call_id == call_id).values(
            body=form.as_draft(), updated_at=now, updated_by=g.person.id)).rowcount
        if not changed:
            connection.execute(insert(application_drafts).values(ags=ags(), call_id=call_id, body=form.as_draft(),
                                                                 updated_at=now, updated_by=g.person.id))


def _submit(call: dict, form: ApplicationForm) -> None:
    """Submit through the API (idempotent per municipality and call), then remember the id, drop the draft
    and queue the confirmation to the contact person, in one transaction."""
    call_id = call["id"]
    client = services().applications
    client.http.headers["Idempotency-Key"] = f"portal-{ags()}-{call_id}"
    try:
        created = client.post(f"/v1/calls/{call_id}/applications", form.api_body(ags()))
    finally:
        client.http.headers.pop("Idempotency-Key", None)
    now = portal_context().clock()
    with portal_context().engine.begin() as connection:
        connection.execute(insert(submitted_applications).values(ags=ags(), call_id=call_id,
                                                                 application_id=created["id"], submitted_at=now))
        connection.execute(delete(application_drafts).where(application_drafts.c.ags == ags(),
                                                            application_drafts.c.call_id == call_id))
        recipient = created["contact"]["email"]
        mail.queue(connection, key=f"application:{created['id']}:received", kind="application_received",
                   recipient=recipient, template="application_received", now=now,
                   language=mail_language(connection, recipient), call=call,
                   contact_name=created["contact"]["name"], municipality=created["municipality"]["name"],
                   link=portal_context().portal.base_url + url_for("municipality.call", call_id=call_id))


class WithdrawForm(FlaskForm):
    pass


@bp.post("/calls/<call_id>/withdraw")
@role_required("municipality")
def withdraw(call_id):
    _call(call_id)
    application = _application(call_id)
    if not WithdrawForm().validate_on_submit() or application is None:
        abort(400)
    services().applications.post(f"/v1/applications/{application['id']}/withdraw")
    flash(_("Your application has been withdrawn."), "success")
    return redirect(url_for("municipality.call", call_id=call_id))
