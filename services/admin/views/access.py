"""Access (Zugänge): the organisations, people and API clients registered in identity, through its API.

A new client's secret is shown once, on the page that answers its creation, and never again; revoking a
client or a person takes effect on every service within seconds (identity's AccessRevoked event).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from services.admin.clients import ApiError
from services.admin.views.common import apply_api_errors, services

from shared.municipalities import AGS_PATTERN

bp = Blueprint("access", __name__)

KINDS = {"municipality": _l("municipality"), "steering_institution": _l("steering-group institution"),
         "partner": _l("partner organisation"), "office": _l("office")}
ROLES = {"staff": _l("office"), "steering": _l("steering group member"), "municipality": _l("municipality"),
         "partner": _l("partner organisation")}
ACCESS_STATUSES = {"active": _l("active"), "revoked": _l("revoked")}
AGS_HINT = _l("Eight digits (Amtlicher Gemeindeschlüssel); only for a municipality.")
AGS = Regexp(AGS_PATTERN, message=_l("An AGS has exactly eight digits."))


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(KINDS.items()), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    ags = StringField(_l("AGS"), validators=[Optional(), AGS])


class PersonForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])  # identity checks the form
    subject = StringField(_l("Member id (optional)"), validators=[Optional(), Length(max=200)])


class ClientForm(FlaskForm):
    name = StringField(_l("Name of the system"), validators=[DataRequired(), Length(max=200)])
    organisation_id = SelectField(_l("Organisation (optional)"), validators=[Optional()])
    role = SelectField(_l("Role"), choices=[("", _l("the organisation's"))] + list(ROLES.items()),
                       validators=[Optional()])
    ags = StringField(_l("AGS"), validators=[Optional(), AGS])
    subject = StringField(_l("Acts as (optional)"), validators=[Optional(), Length(max=200)])


def _organisations() -> list:
    return services().identity.all("/v1/organisations")


def _forms(organisations: list):
    choices = [(o["id"], o["name"]) for o in organisations]
    organisation_form, person_form, client_form = (OrganisationForm(prefix="organisation"),
                                                   PersonForm(prefix="person"), ClientForm(prefix="client"))
    person_form.organisation_id.choices = choices
    client_form.organisation_id.choices = [("", _("none"))] + choices
    return organisation_form, person_form, client_form


def _page(organisation_form=None, person_form=None, client_form=None, status=200):
    svc = services()
    organisations = _organisations()
    forms = _forms(organisations)
    organisation_form, person_form, client_form = (organisation_form or forms[0], person_form or forms[1],
                                                   client_form or forms[2])
    names = {o["id"]: o["name"] for o in organisations}
    return render_template(
        "access/index.html", title=_("Access"), section="access", organisations=organisations,
        people=svc.identity.all("/v1/people"), clients=svc.identity.all("/v1/clients"), names=names,
        kinds=KINDS, roles=ROLES, statuses=ACCESS_STATUSES, organisation_form=organisation_form,
        person_form=person_form, client_form=client_form, ags_hint=AGS_HINT), status


@bp.get("/access")
def index():
    return _page()


def _blank(value):
    return value or None


@bp.post("/access/organisations")
def add_organisation():
    organisation_form, _person, _client = _forms(_organisations())
    if organisation_form.validate_on_submit():
        try:
            created = services().identity.post("/v1/organisations", {
                "kind": organisation_form.kind.data, "name": organisation_form.name.data,
                "ags": _blank(organisation_form.ags.data)})
        except ApiError as error:
            apply_api_errors(organisation_form, error)
        else:
            flash(_("The organisation “%(name)s” is registered.", name=created["name"]), "success")
            return redirect(url_for("access.index"))
    return _page(organisation_form=organisation_form, status=422)


@bp.post("/access/people")
def add_person():
    _organisation, person_form, _client = _forms(_organisations())
    if person_form.validate_on_submit():
        try:
            created = services().identity.post("/v1/people", {
                "organisation_id": person_form.organisation_id.data, "name": person_form.name.data,
                "email": person_form.email.data, "subject": _blank(person_form.subject.data)})
        except ApiError as error:
            apply_api_errors(person_form, error)
        else:
            flash(_("%(name)s is registered.", name=created["name"]), "success")
            return redirect(url_for("access.index"))
    return _page(person_form=person_form, status=422)


@bp.post("/access/clients")
def add_client():
    _organisation, _person, client_form = _forms(_organisations())
    if client_form.validate_on_submit():
        try:
            created = services().identity.post("/v1/clients", {
                "name": client_form.name.data, "organisation_id": _blank(client_form.organisation_id.data),
                "role": _blank(client_form.role.data), "ags": _blank(client_form.ags.data),
                "subject": _blank(client_form.subject.data)})
        except ApiError as error:
            apply_api_errors(client_form, error)
        else:
            # the secret is in this answer only: shown on this page, never stored by the admin
            return render_template("access/client_created.html", title=_("API client created"), section="access",
                                   client=created, roles=ROLES)
    return _page(client_form=client_form, status=422)


def _revoke(path: str, success: str):
    try:
        services().identity.post(path)
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        flash(success, "success")
    return redirect(url_for("access.index"))


@bp.post("/access/clients/<client_id>/revoke")
def revoke_client(client_id):
    return _revoke(f"/v1/clients/{client_id}/revoke",
                   _("The client is revoked; every service refuses its tokens within seconds."))


@bp.post("/access/people/<person_id>/revoke")
def revoke_person(person_id):
    return _revoke(f"/v1/people/{person_id}/revoke",
                   _("The person's access and clients are revoked; every service refuses their tokens within "
                     "seconds."))
