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
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
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


class ReplaySinceForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    since = DateTimeLocalField(_l("Failed since"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class EndpointForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    url = URLField(_l("Address (URL) of your receiver"), validators=[InputRequired(), Length(max=2000)],
                   render_kw={"autocomplete": "url", "spellcheck": "false", "autocapitalize": "none"})
    event_types = SelectMultipleField(_l("Event types"), choices=[], validators=[InputRequired()],
                                      option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    contact_email = EmailField(_l("Contact email (told when the endpoint is disabled)"),
                               validators=[InputRequired(), EMAIL, Length(max=254)],
                               render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"})
    description = StringField(_l("Description (optional)"), validators=[Optional(), Length(max=500)])
    asymmetric_signature = BooleanField(_l("Also sign with ed25519 (v1a)"))


class DeleteForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    confirm = BooleanField(_l("Yes, delete this endpoint and its delivery log"), validators=[InputRequired()])


def _place_errors(form: FlaskForm, error: ApiError) -> None:
    for path, message in error.field_messages() or [("", error.message)]:
        name = path.split(".")[0]
        field = getattr(form, name, None) if name in API_FIELDS else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def _plain_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Ids go into the API's paths: anything but a plain id ('?', '..', ...) is not found here."""
    for key in ("endpoint_id", "delivery_id"):
        if values and key in values and not PLAIN_ID.fullmatch(values[key]):
            abort(404)


class _WebhookViews:
    """The pages' views, bound to how the front end reaches the webhooks API (`client()`), the contact
    address a new endpoint starts with (`default_contact()`) and more for the list page (`index_extra()`).
    Every POST's CSRF token is checked by the front end's CSRFProtect before these views run."""

    def __init__(self, client: Callable[[], ServiceClient], default_contact: Callable[[], str],
                 index_extra: Callable[[], dict[str, Any]]) -> None:
        self.client = client
        self.default_contact = default_contact
        self.index_extra = index_extra

    def routes(self) -> list[tuple[str, Callable[..., ResponseReturnValue], list[str]]]:
        """(rule, view, methods) of every page; the view's name is its endpoint."""
        return [
            ("", self.index, ["GET", "POST"]),
            ("/<endpoint_id>", self.endpoint, ["GET"]),
            ("/<endpoint_id>/deliveries/<delivery_id>", self.delivery, ["GET"]),
            ("/<endpoint_id>/pause", self.pause, ["POST"]),
            ("/<endpoint_id>/resume", self.resume, ["POST"]),
            ("/<endpoint_id>/rotate-secret", self.rotate_secret, ["POST"]),
            ("/<endpoint_id>/delete", self.delete, ["POST"]),
            ("/<endpoint_id>/deliveries/<delivery_id>/replay", self.replay, ["POST"]),
            ("/<endpoint_id>/replay", self.replay_failed, ["POST"]),
        ]

    def endpoint_form(self) -> EndpointForm:
        form = EndpointForm() if request.method == "POST" else EndpointForm(data={"contact_email": self.default_contact()})
        form.event_types.choices = [(t["type"], t["type"]) for t in self.client().get("/v1/event-types")]
        return form

    @staticmethod
    def back(endpoint_id: str) -> ResponseReturnValue:
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))

    def index(self) -> ResponseReturnValue:
        status = request.args.get("status") or None
        status = status if status in ENDPOINT_STATUSES else None
        form = self.endpoint_form()
        if request.method == "POST" and form.validate_on_submit():
            try:
                created = self.client().post("/v1/endpoints", {
                    "url": form.url.data.strip(), "event_types": form.event_types.data,
                    "contact_email": form.contact_email.data.strip(), "description": (form.description.data or "").strip(),
                    "asymmetric_signature": bool(form.asymmetric_signature.data)})
                return render_template("webhooks/secret.html", title=_("Endpoint registered"), section="webhooks",
                                       endpoint=created, secret=created["secret"], registered=True)
            except ApiError as error:
                if error.status not in (400, 409, 422):
                    raise
                _place_errors(form, error)
        page = self.client().page("/v1/endpoints", page=request.args.get("page", 1, type=int), page_size=25,
                                  status=status)
        answer = render_template("webhooks/index.html", title=_("Webhooks"), section="webhooks", page=page,
                                 status=status, statuses=ENDPOINT_STATUSES, roles=ROLE_LABELS, badges=BADGES,
                                 form=form, **self.index_extra())
        return answer, 400 if request.method == "POST" else 200

    def endpoint(self, endpoint_id: str) -> ResponseReturnValue:
        found = self.client().get(f"/v1/endpoints/{endpoint_id}")
        status = request.args.get("status") or None
        status = status if status in DELIVERY_STATUSES else None
        deliveries = self.client().page(f"/v1/endpoints/{endpoint_id}/deliveries",
                                        page=request.args.get("page", 1, type=int), page_size=25, status=status)
        return render_template("webhooks/endpoint.html", title=_("Webhook endpoint"), section="webhooks",
                               endpoint=found, deliveries=deliveries, status=status, statuses=DELIVERY_STATUSES,
                               endpoint_statuses=ENDPOINT_STATUSES, roles=ROLE_LABELS, badges=BADGES,
                               form=ReplaySinceForm(), delete_form=DeleteForm())

    def delivery(self, endpoint_id: str, delivery_id: str) -> ResponseReturnValue:
        found = self.client().get(f"/v1/endpoints/{endpoint_id}")
        item = self.client().get(f"/v1/endpoints/{endpoint_id}/deliveries/{delivery_id}")
        return render_template("webhooks/delivery.html", title=_("Delivery"), section="webhooks", endpoint=found,
                               delivery=item, statuses=DELIVERY_STATUSES, badges=BADGES)

    def pause(self, endpoint_id: str) -> ResponseReturnValue:
        return self._act(endpoint_id, "pause", _l("The endpoint is paused; new deliveries are held."))

    def resume(self, endpoint_id: str) -> ResponseReturnValue:
        return self._act(endpoint_id, "resume", _l("The endpoint is active again; held deliveries go out."))

    def _act(self, endpoint_id: str, path: str, message: object) -> ResponseReturnValue:
        self.client().post(f"/v1/endpoints/{endpoint_id}/{path}")
        flash(str(message), "success")
        return self.back(endpoint_id)

    def rotate_secret(self, endpoint_id: str) -> ResponseReturnValue:
        answer = self.client().post(f"/v1/endpoints/{endpoint_id}/rotate-secret")
        found = self.client().get(f"/v1/endpoints/{endpoint_id}")
        return render_template("webhooks/secret.html", title=_("New secret"), section="webhooks", endpoint=found,
                               secret=answer["secret"], registered=False,
                               previous_until=answer.get("previous_secret_expires_at"))

    def delete(self, endpoint_id: str) -> ResponseReturnValue:
        if not DeleteForm().validate_on_submit():
            flash(_("Please confirm that the endpoint and its delivery log are to be deleted."), "error")
            return self.back(endpoint_id)
        self.client().delete(f"/v1/endpoints/{endpoint_id}")
        flash(_("The endpoint and its delivery log have been deleted."), "success")
        return redirect(url_for("webhooks.index"))

    def replay(self, endpoint_id: str, delivery_id: str) -> ResponseReturnValue:
        self.client().post(f"/v1/endpoints/{endpoint_id}/deliveries/{delivery_id}/replay")
        flash(_("The delivery will be sent again with the same webhook-id."), "success")
        return self.back(endpoint_id)

    def replay_failed(self, endpoint_id: str) -> ResponseReturnValue:
        form = ReplaySinceForm()
        if not form.validate_on_submit():
            flash(_("Please give the time from which failed deliveries are to be sent again."), "error")
            return self.back(endpoint_id)
        answer = self.client().post(f"/v1/endpoints/{endpoint_id}/replay",
                                    {"since": from_wall_time(form.since.data).isoformat()})
        flash(_("%(num)s failed deliveries will be sent again.", num=answer["replayed"]), "success")
        return self.back(endpoint_id)


def webhook_pages(client: Callable[[], ServiceClient], *,
                  guard: Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]] = lambda view: view,
                  default_contact: Callable[[], str] = lambda: "", index_extra: Callable[[], dict[str, Any]] = dict,
                  url_prefix: str = "/webhooks") -> Blueprint:
    """The `webhooks` blueprint of a front end. `client()`: the webhooks API as the signed-in person;
    `guard`: the front end's check that someone may see these pages; `index_extra()`: more for the list page."""
    bp = Blueprint("webhooks", __name__, url_prefix=url_prefix)
    bp.url_value_preprocessor(_plain_ids)
    for rule, view, methods in _WebhookViews(client, default_contact, index_extra).routes():
        bp.add_url_rule(rule, view.__name__, guard(view), methods=methods)
    return bp
