"""The admin's pages, one module per area; `register_views` wires them and the shared page plumbing."""
from __future__ import annotations

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from services.admin.accounts import active_staff
from services.admin.clients import ApiError, Services, ServiceUnavailable
from services.admin.kafka_ops import KafkaUnavailable
from services.admin.views import (access, auth_views, calls, common, dashboard, exports, operations,
                                  publishing, selection, webhooks, workshops)

PUBLIC_ENDPOINTS = {"auth.login", "auth.language", "shared_pages.static", "healthz", "readyz", "metrics"}


def register_views(app: Flask) -> None:
    for module in (auth_views, dashboard, calls, selection, workshops, publishing, webhooks, access, operations,
                   exports):
        app.register_blueprint(module.bp)
    common.register_template_helpers(app)

    @app.before_request
    def _require_staff():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        username = session.get("staff")
        staff = active_staff(common.store(), username) if username else None
        if staff is None:
            session.clear()
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target.rstrip("?") if target else None))
        g.staff = staff
        g.services = Services(staff.token_subject)
        return None

    _register_error_pages(app)


def _register_error_pages(app: Flask) -> None:
    """Every error the admin shows as a page of its own: a stale form, a service or Kafka that is down, an
    API's refusal, and the HTTP errors."""

    @app.errorhandler(CSRFError)
    def _csrf_failed(error):
        return render_template("error.html", title=_("Form rejected"), message=_(
            "The form was missing its security token or it has expired. Please reload the page and send "
            "the form again.")), 400

    @app.errorhandler(ServiceUnavailable)
    def _service_down(error: ServiceUnavailable):
        return render_template("error.html", title=_("Service unavailable"),
                               message=common.unavailable_message(error.service)), 503

    @app.errorhandler(KafkaUnavailable)
    def _kafka_down(error):
        return render_template("error.html", title=_("Service unavailable"),
                               message=_("The message broker (Kafka) cannot be reached right now. Please try "
                                         "again shortly.")), 503

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        status = error.status if error.status in (400, 403, 404, 409, 422) else 400
        titles = {404: _("Not found"), 403: _("Not allowed"), 409: _("Not possible right now")}
        return render_template("error.html", title=titles.get(status, _("Request rejected")),
                               message=common.api_error_message(error)), status

    @app.errorhandler(404)
    def _not_found(_error):
        return render_template("error.html", title=_("Not found"),
                               message=_("There is no page at this address.")), 404

    @app.errorhandler(405)
    def _not_allowed(_error):
        return render_template("error.html", title=_("Not possible"),
                               message=_("This address does not accept this kind of request.")), 405

    @app.errorhandler(413)
    def _too_large(_error):
        return render_template("error.html", title=_("Too large"),
                               message=_("The form sent too much data.")), 413

    @app.errorhandler(500)
    def _failed(_error):
        return render_template("error.html", title=_("Something went wrong"),
                               message=_("An unexpected error occurred. It has been logged; please try again.")), 500
