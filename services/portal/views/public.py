"""Pages for everyone: the start page, workshops with registration and the personal cancel link, the
newsletter subscription and the contact form. No account needed; guests act through the portal's guest
token and manage a registration with its manage code (the personal link mailed to them)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from services.portal import mail
from services.portal.context import NAME, portal_context
from services.portal.db import guest_registrations
from services.portal.throttle import hit, throttle_key
from services.portal.views.common import EMAIL, PARTICIPANT_TYPES, place_api_errors, services
from shared.apiclient import ApiError
from shared.pages import chosen_language

bp = Blueprint("public", __name__)

CONTACT_LIMIT = 5          # enquiries per IP address and hour
GUEST_PARTICIPANT_TYPES = ("local_actor", "school", "university", "business", "municipality", "citizen",
                           "steering_partner")


def clock():
    return portal_context().clock()


def workshop_calendar_link(workshop_id: str) -> str:
    return f"{portal_context().portal.base_url}{url_for('public.calendar', workshop_id=workshop_id)}"


@bp.get("/")
def home():
    current = g.get("person")
    return render_template("home.html", section="home", person=current)


@bp.get("/privacy")
def privacy():
    return render_template("privacy.html")


# --- workshops -----------------------------------------------------------------------------------
class RegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email address"), validators=[DataRequired(), EMAIL, Length(max=200)],
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    organisation = StringField(_l("Organisation (optional)"), validators=[Optional(), Length(max=200)],
                               render_kw={"autocomplete": "organization"})
    participant_type = SelectField(_l("You take part as"), choices=[], validators=[DataRequired()])
    consent = BooleanField(_l("I agree that my data is stored and used as described above."),
                           validators=[DataRequired(message=_l("Without your consent we cannot register you."))])


def _scheduled_workshops() -> list[dict]:
    found = services().guest("workshops").all("/v1/workshops", status="scheduled")
    return sorted(found, key=lambda w: w.get("starts_at") or "")


@bp.get("/workshops")
def workshops():
    return render_template("workshops.html", section="workshops", workshops=_scheduled_workshops())


def _workshop(workshop_id: str) -> dict:
    if len(workshop_id) > 36:
        abort(404)
    workshop = services().guest("workshops").get_or_none(f"/v1/workshops/{workshop_id}")
    if workshop is None or workshop.get("status") not in ("scheduled", "cancelled", "completed"):
        abort(404)
    return workshop


@bp.route("/workshops/<workshop_id>", methods=["GET", "POST"])
def workshop(workshop_id):
    item = _workshop(workshop_id)
    form = RegistrationForm()
    form.participant_type.choices = [("", _("Please choose"))] + [
        (key, str(PARTICIPANT_TYPES[key])) for key in GUEST_PARTICIPANT_TYPES]
    notices = []
    if form.validate_on_submit():
        try:
            registration = services().guest("workshops").post(f"/v1/workshops/{workshop_id}/registrations", {
                "name": form.name.data.strip(), "email": form.email.data.strip(),
                "organisation": (form.organisation.data or "").strip(), "participant_type": form.participant_type.data,
                "consent": bool(form.consent.data)})
        except ApiError as error:
            if error.status not in (400, 403, 409, 422):
                raise
            notices = place_api_errors(form, error, {"email": "email", "name": "name"})
        else:
            link = record_registration(item, registration)
            return redirect(link)
    status = 400 if form.errors or notices else 200
    return render_template("workshop.html", section="workshops", workshop=item, form=form, notices=notices), status


def manage_link(workshop_id: str, registration_id: str, code: str, absolute: bool = False) -> str:
    path = url_for("public.registration", workshop_id=workshop_id, registration_id=registration_id, code=code)
    return f"{portal_context().portal.base_url}{path}" if absolute else path


def calendar_attachment(workshop_id: str) -> mail.Attachment | None:
    response = services().public("workshops").request("GET", f"/v1/workshops/{workshop_id}.ics", raw=True)
    return mail.Attachment("strategiewerkstatt.ics", response.text)


def record_registration(workshop: dict, registration: dict) -> str:
    """Remember the registration (for the promotion watcher) with the page's language, and queue its mail
    in that language, in one transaction."""
    now = clock()
    status = registration["status"]
    language = chosen_language(NAME)
    link = manage_link(workshop["id"], registration["id"], registration["manage_code"], absolute=True)
    attachment = calendar_attachment(workshop["id"]) if status == "confirmed" else None
    with portal_context().engine.begin() as connection:
        connection.execute(guest_registrations.insert().values(
            registration_id=registration["id"], workshop_id=workshop["id"], manage_code=registration["manage_code"],
            email=registration["email"], name=registration["name"], status=status, created_at=now, updated_at=now,
            language=language))
        mail.queue(connection, key=f"registration:{registration['id']}:{status}", kind=f"registration_{status}",
                   recipient=registration["email"], template=f"registration_{status}", now=now, language=language,
                   attachment=attachment, registration=registration, workshop=workshop, link=link)
    return manage_link(workshop["id"], registration["id"], registration["manage_code"])


class CancelForm(FlaskForm):
    pass


@bp.route("/workshops/<workshop_id>/registrations/<registration_id>", methods=["GET", "POST"])
def registration(workshop_id, registration_id):
    """The personal link: the registration's status, the calendar file and cancelling."""
    code = request.args.get("code", "")
    if not code or len(code) > 64 or len(registration_id) > 36:
        abort(404)
    client = services().guest("workshops")
    path = f"/v1/workshops/{workshop_id}/registrations/{registration_id}"
    form = CancelForm()
    if request.method == "POST" and form.validate_on_submit():
        cancelled = client.request("DELETE", path, params={"code": code})
        now = clock()
        workshop = _workshop(workshop_id)
        with portal_context().engine.begin() as connection:
            connection.execute(update(guest_registrations).where(
                guest_registrations.c.registration_id == registration_id).values(status="cancelled", updated_at=now))
            # in the language chosen at registration (this page's, for one not made through the portal)
            language = connection.execute(select(guest_registrations.c.language).where(
                guest_registrations.c.registration_id == registration_id)).scalar() or chosen_language(NAME)
            mail.queue(connection, key=f"registration:{registration_id}:cancelled", kind="registration_cancelled",
                       recipient=cancelled["email"], template="registration_cancelled", now=now, language=language,
                       registration=cancelled, workshop=workshop)
        flash(_("Your registration has been cancelled. Thank you for letting us know."), "success")
        return redirect(manage_link(workshop_id, registration_id, code))
    found = client.get(path, code=code)
    return render_template("registration.html", section="workshops", registration=found,
                           workshop=_workshop(workshop_id), form=form, code=code)


@bp.get("/workshops/<workshop_id>/calendar.ics")
def calendar(workshop_id):
    _workshop(workshop_id)
    response = services().public("workshops").request("GET", f"/v1/workshops/{workshop_id}.ics", raw=True)
    return Response(response.content, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="strategiewerkstatt.ics"'})


# --- newsletter ----------------------------------------------------------------------------------
class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubscribeForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), EMAIL, Length(max=254)],
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    topics = MultiCheckboxField(_l("Topics"), choices=[], validators=[DataRequired(
        message=_l("Please choose at least one topic."))])


def newsletter_topics() -> list[str]:
    calls = services().guest("applications").all("/v1/calls")
    topics = [c["topic"] for c in calls if c.get("status") in ("open", "closed") and c.get("topic")]
    return list(dict.fromkeys(topics)) or ["Smart City"]


@bp.route("/newsletter", methods=["GET", "POST"])
def newsletter():
    form = SubscribeForm()
    form.topics.choices = [(t, t) for t in newsletter_topics()]
    if form.validate_on_submit():
        services().public("publishing").post("/v1/subscriptions", {"email": form.email.data.strip(),
                                                                   "topics": form.topics.data,
                                                                   "language": chosen_language(NAME)})
        return render_template("message.html", title=_("Almost done"), message=_(
            "Please confirm your subscription with the link in the mail we have just sent you. Nothing is sent "
            "to you before you confirm. Every newsletter has a link to unsubscribe with one click."))
    return render_template("newsletter.html", section="newsletter", form=form), 400 if form.errors else 200


# --- contact -------------------------------------------------------------------------------------
class ContactForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email address"), validators=[DataRequired(), EMAIL, Length(max=254)],
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    organisation = StringField(_l("Organisation (optional)"), validators=[Optional(), Length(max=200)],
                               render_kw={"autocomplete": "organization"})
    message = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=5000)],
                            render_kw={"rows": 8})
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    form = ContactForm()
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: people do not see this field, form-filling robots do
            return render_template("message.html", title=_("Thank you"), message=_("Your message has been sent."))
        from datetime import timedelta

        with portal_context().engine.begin() as connection:
            within = hit(connection, throttle_key("contact-ip", request.remote_addr or "-"), clock(),
                         timedelta(hours=1), CONTACT_LIMIT)
        if not within:
            return render_template("contact.html", section="contact", form=form, throttled=True), 429
        enquiry = services().public("publishing").post("/v1/enquiries", {
            "name": form.name.data.strip(), "email": form.email.data.strip(),
            "organisation": (form.organisation.data or "").strip(), "message": form.message.data.strip(),
            "language": chosen_language(NAME)})
        with portal_context().engine.begin() as connection:  # the sender's acknowledgement is publishing's
            mail.queue(connection, key=f"enquiry:{enquiry['id']}:office", kind="office_enquiry",
                       recipient=portal_context().portal.office_email, template="office_enquiry", now=clock(),
                       language=mail.OFFICE_LANGUAGE, enquiry=enquiry)
        return render_template("message.html", title=_("Thank you"), message=_(
            "Your message has been sent to the office. You will receive a confirmation by mail."))
    return render_template("contact.html", section="contact", form=form), 400 if form.errors else 200


def guest_rows(workshop_id: str | None = None) -> list:
    with portal_context().engine.connect() as connection:
        query = select(guest_registrations)
        if workshop_id:
            query = query.where(guest_registrations.c.workshop_id == workshop_id)
        return list(connection.execute(query))
