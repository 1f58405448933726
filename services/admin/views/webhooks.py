"""Webhooks: every partner's endpoint, its delivery log, pausing and resuming, replays (through the
webhooks API), and the consumer lag of the webhooks worker's groups."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField
from wtforms.validators import DataRequired

from services.admin.kafka_ops import KafkaUnavailable
from services.admin.views.common import from_wall_time, iso, services

bp = Blueprint("webhooks", __name__)

ENDPOINT_STATUSES = {"active": _l("active"), "paused": _l("paused"), "disabled": _l("disabled")}
DELIVERY_STATUSES = {"pending": _l("being attempted"), "delivered": _l("delivered"), "failed": _l("failed")}
# The colours of the shared badges: green for fine, amber for waiting, red for given up.
BADGES = {"active": "ready", "paused": "pending", "disabled": "failed", "delivered": "sent", "pending": "pending",
          "failed": "failed"}
ROLE_LABELS = {"staff": _l("office"), "municipality": _l("municipality"), "steering": _l("steering group member"),
               "partner": _l("partner organisation")}


class ReplaySinceForm(FlaskForm):
    since = DateTimeLocalField(_l("Failed since"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


def _webhooks_lag() -> list:
    """The consumer lag of the webhooks worker's groups (the same figures as on the operations page)."""
    try:
        groups = current_app.extensions["vorort-admin"].kafka.consumer_lag()
    except KafkaUnavailable:
        return []
    return [g for g in groups if g.group_id.startswith("webhooks.")]


@bp.get("/webhooks")
def index():
    status = request.args.get("status") or None
    status = status if status in ENDPOINT_STATUSES else None
    page = services().webhooks.page("/v1/endpoints", page=request.args.get("page", 1, type=int), page_size=25,
                                    status=status)
    return render_template("webhooks/index.html", title=_("Webhooks"), section="webhooks", page=page,
                           status=status, statuses=ENDPOINT_STATUSES, roles=ROLE_LABELS, badges=BADGES,
                           lag=_webhooks_lag())


@bp.get("/webhooks/<endpoint_id>")
def endpoint(endpoint_id):
    svc = services()
    found = svc.webhooks.get(f"/v1/endpoints/{endpoint_id}")
    status = request.args.get("status") or None
    status = status if status in DELIVERY_STATUSES else None
    deliveries = svc.webhooks.page(f"/v1/endpoints/{endpoint_id}/deliveries",
                                   page=request.args.get("page", 1, type=int), page_size=25, status=status)
    return render_template("webhooks/endpoint.html", title=_("Webhook endpoint"), section="webhooks",
                           endpoint=found, deliveries=deliveries, status=status, statuses=DELIVERY_STATUSES,
                           endpoint_statuses=ENDPOINT_STATUSES, roles=ROLE_LABELS, badges=BADGES,
                           form=ReplaySinceForm())


@bp.post("/webhooks/<endpoint_id>/pause")
def pause(endpoint_id):
    services().webhooks.post(f"/v1/endpoints/{endpoint_id}/pause")
    flash(_("The endpoint is paused; new deliveries are held."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/webhooks/<endpoint_id>/resume")
def resume(endpoint_id):
    services().webhooks.post(f"/v1/endpoints/{endpoint_id}/resume")
    flash(_("The endpoint is active again; held deliveries go out."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/webhooks/<endpoint_id>/deliveries/<delivery_id>/replay")
def replay(endpoint_id, delivery_id):
    services().webhooks.post(f"/v1/endpoints/{endpoint_id}/deliveries/{delivery_id}/replay")
    flash(_("The delivery will be sent again with the same webhook-id."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/webhooks/<endpoint_id>/replay")
def replay_failed(endpoint_id):
    form = ReplaySinceForm()
    if not form.validate_on_submit():
        flash(_("Please give the time from which failed deliveries are to be sent again."), "error")
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    answer = services().webhooks.post(f"/v1/endpoints/{endpoint_id}/replay",
                                      {"since": iso(from_wall_time(form.since.data))})
    flash(_("%(num)s failed deliveries will be sent again.", num=answer["replayed"]), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
