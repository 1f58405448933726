"""The webhooks pages both front ends show (the office in the admin, an organisation in the portal):
endpoints, registering one (its secret shown once), pausing, resuming, rotating the secret, deleting,
the delivery log per endpoint with each delivery's attempts, and replays (one delivery, or every failed
one since a time).

Everything goes through the webhooks service's public API with the token of whoever is signed in
(`client()` gives that person's client): the API decides which endpoints exist for them, so the office
sees every endpoint and an organisation only its own (another's answers 404). The templates are
`shared/templates/webhooks/*.html`; they extend the front end's own `base.html`.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, EmailField, SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from shared.apiclient import ApiError, ServiceClient
from shared.pages import EMAIL, from_wall_time

ENDPOINT_STATUSES = {"active": _l("active"), "paused": _l("paused"), "disabled": _l("disabled")}
DELIVERY_STATUSES = {"pending": _l("being attempted"), "delivered": _l("delivered"), "failed": _l("failed")}
# The colours of the shared badges: green for fine, amber for waiting, red for given up.
BADGES = {"active": "ready", "paused": "pending", "disabled": "failed", "delivered": "sent", "pending": "pending",
          "failed": "failed"}
ROLE_LABELS = {"staff": _l("office"), "municipality": _l("municipality"), "steering": _l("steering group member"),
               "partner": _l("partner organisation")}
API_FIELDS = ("url", "event_types", "contact_email", "description")
PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


class ReplaySinceForm(FlaskForm):
    since = DateTimeLocalField(_l("Failed since"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class EndpointForm(FlaskForm):
    url = URLField(_l("Address (URL) of your receiver"), validators=[InputRequired(), Length(max=2000)],
                   render_kw={"autocomplete": "url", "spellcheck": "false", "autocapitalize": "none"})
    event_types = SelectMultipleField(_l("Event types"), choices=[], validators=[InputRequired()],
                                      option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    contact_email = EmailField(_l("Contact email (told when the endpoint is disabled)"),
                               validators=[InputRequired(), EMAIL, Length(max=254)],
                               render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"})
    description = StringField(_l("Description (optional)"), validators=[Optional(), Length(max=500)])
    asymmetric_signature = BooleanField(_l("Also sign with ed25519 (v1a)"))


class DeleteForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this endpoint and its delivery log"), validators=[InputRequired()])


def _place_errors(form: FlaskForm, error: ApiError) -> None:
    for path, message in error.field_messages() or [("", error.message)]:
        name = path.split(".")[0]
        field = getattr(form, name, None) if name in API_FIELDS else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def webhook_pages(client: Callable[[], ServiceClient], *, guard: Callable = lambda view: view,
                  default_contact: Callable[[], str] = lambda: "", index_extra: Callable[[], dict] = dict,
                  url_prefix: str = "/webhooks") -> Blueprint:
    """The `webhooks` blueprint of a front end. `client()`: the webhooks API as the signed-in person;
    `guard`: the front end's check that someone may see these pages; `index_extra()`: more for the list page."""
    bp = Blueprint("webhooks", __name__, url_prefix=url_prefix)

    @bp.url_value_preprocessor
    def _plain_ids(_endpoint, values):
        """Ids go into the API's paths: anything but a plain id ('?', '..', ...) is not found here."""
        for key in ("endpoint_id", "delivery_id"):
            if values and key in values and not PLAIN_ID.fullmatch(values[key]):
                abort(404)

    def route(rule: str, **options):
        def register(view):
            bp.add_url_rule(rule, view.__name__, guard(view), **options)
            return view
        return register

    def endpoint_form() -> EndpointForm:
        form = EndpointForm() if request.method == "POST" else EndpointForm(data={"contact_email": default_contact()})
        form.event_types.choices = [(t["type"], t["type"]) for t in client().get("/v1/event-types")]
        return form

    def back(endpoint_id: str):
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))

    @route("", methods=["GET", "POST"])
    def index():
        status = request.args.get("status") or None
        status = status if status in ENDPOINT_STATUSES else None
        form = endpoint_form()
        if request.method == "POST" and form.validate_on_submit():
            try:
                created = client().post("/v1/endpoints", {
                    "url": form.url.data.strip(), "event_types": form.event_types.data,
                    "contact_email": form.contact_email.data.strip(), "description": (form.description.data or "").strip(),
                    "asymmetric_signature": bool(form.asymmetric_signature.data)})
                return render_template("webhooks/secret.html", title=_("Endpoint registered"), section="webhooks",
                                       endpoint=created, secret=created["secret"], registered=True)
            except ApiError as error:
                if error.status not in (400, 409, 422):
                    raise
                _place_errors(form, error)
        page = client().page("/v1/endpoints", page=request.args.get("page", 1, type=int), page_size=25,
                             status=status)
        answer = render_template("webhooks/index.html", title=_("Webhooks"), section="webhooks", page=page,
                                 status=status, statuses=ENDPOINT_STATUSES, roles=ROLE_LABELS, badges=BADGES,
                                 form=form, **index_extra())
        return answer, 400 if request.method == "POST" else 200

    @route("/<endpoint_id>")
    def endpoint(endpoint_id):
        found = client().get(f"/v1/endpoints/{endpoint_id}")
        status = request.args.get("status") or None
        status = status if status in DELIVERY_STATUSES else None
        deliveries = client().page(f"/v1/endpoints/{endpoint_id}/deliveries",
                                   page=request.args.get("page", 1, type=int), page_size=25, status=status)
        return render_template("webhooks/endpoint.html", title=_("Webhook endpoint"), section="webhooks",
                               endpoint=found, deliveries=deliveries, status=status, statuses=DELIVERY_STATUSES,
                               endpoint_statuses=ENDPOINT_STATUSES, roles=ROLE_LABELS, badges=BADGES,
                               form=ReplaySinceForm(), delete_form=DeleteForm())

    @route("/<endpoint_id>/deliveries/<delivery_id>")
    def delivery(endpoint_id, delivery_id):
        found = client().get(f"/v1/endpoints/{endpoint_id}")
        item = client().get(f"/v1/endpoints/{endpoint_id}/deliveries/{delivery_id}")
        return render_template("webhooks/delivery.html", title=_("Delivery"), section="webhooks", endpoint=found,
                               delivery=item, statuses=DELIVERY_STATUSES, badges=BADGES)

    # Every POST's CSRF token is checked by the front end's CSRFProtect before these views run.
    def action(path: str, message: str):
        def view(endpoint_id):
            client().post(f"/v1/endpoints/{endpoint_id}/{path}")
            flash(str(message), "success")
            return back(endpoint_id)
        view.__name__ = path
        return view

    route("/<endpoint_id>/pause", methods=["POST"])(
        action("pause", _l("The endpoint is paused; new deliveries are held.")))
    route("/<endpoint_id>/resume", methods=["POST"])(
        action("resume", _l("The endpoint is active again; held deliveries go out.")))

    @route("/<endpoint_id>/rotate-secret", methods=["POST"])
    def rotate_secret(endpoint_id):
        answer = client().post(f"/v1/endpoints/{endpoint_id}/rotate-secret")
        found = client().get(f"/v1/endpoints/{endpoint_id}")
        return render_template("webhooks/secret.html", title=_("New secret"), section="webhooks", endpoint=found,
                               secret=answer["secret"], registered=False,
                               previous_until=answer.get("previous_secret_expires_at"))

    @route("/<endpoint_id>/delete", methods=["POST"])
    def delete(endpoint_id):
        if not DeleteForm().validate_on_submit():
            flash(_("Please confirm that the endpoint and its delivery log are to be deleted."), "error")
            return back(endpoint_id)
        client().delete(f"/v1/endpoints/{endpoint_id}")
        flash(_("The endpoint and its delivery log have been deleted."), "success")
        return redirect(url_for("webhooks.index"))

    @route("/<endpoint_id>/deliveries/<delivery_id>/replay", methods=["POST"])
    def replay(endpoint_id, delivery_id):
        client().post(f"/v1/endpoints/{endpoint_id}/deliveries/{delivery_id}/replay")
        flash(_("The delivery will be sent again with the same webhook-id."), "success")
        return back(endpoint_id)

    @route("/<endpoint_id>/replay", methods=["POST"])
    def replay_failed(endpoint_id):
        form = ReplaySinceForm()
        if not form.validate_on_submit():
            flash(_("Please give the time from which failed deliveries are to be sent again."), "error")
            return back(endpoint_id)
        answer = client().post(f"/v1/endpoints/{endpoint_id}/replay",
                               {"since": from_wall_time(form.since.data).isoformat()})
        flash(_("%(num)s failed deliveries will be sent again.", num=answer["replayed"]), "success")
        return back(endpoint_id)

    return bp
