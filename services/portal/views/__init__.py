"""The portal's pages, one module per kind of user; `register_views` wires them and the page plumbing."""
from __future__ import annotations

from dataclasses import replace

from flask import Flask, g, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from services.portal.context import EXTENSION, NAME, portal_context
from services.portal.people import remember_language
from services.portal.views import auth_views, common, municipality, public, steering
from shared.apiclient import ApiError, ServiceUnavailable
from shared.pages import chosen_language
from shared.webhook_pages import webhook_pages

SESSION_PERSON = "person_id"


def load_person() -> None:
    """The signed-in person, as `g.person`. A form they send in another language than their mails' makes it
    their mails' language: they act in the portal in it."""
    person_id = session.get(SESSION_PERSON)
    if not person_id:
        return
    found = portal_context().people.get(person_id)
    if found is None:  # deactivated or removed since: signed out
        session.clear()
    elif request.method == "POST" and found.language != chosen_language(NAME):
        found = replace(found, language=chosen_language(NAME))
        with portal_context().engine.begin() as connection:
            remember_language(connection, found.id, found.language)
    g.person = found


def register_views(app: Flask) -> None:
    from services.portal.views import oidc

    for module in (auth_views, public, municipality, steering):
        app.register_blueprint(module.bp)
    # The organisation's own webhook endpoints, through the webhooks API with the person's token.
    app.register_blueprint(webhook_pages(lambda: common.services().webhooks, guard=common.signed_in,
                                         default_contact=lambda: g.person.email))
    oidc.configure(app, app.extensions[EXTENSION].portal.oidc)
    common.register_template_helpers(app)

    app.before_request(load_person)

    def page(status: int, title: str, message: str):
        return render_template("message.html", title=title, message=message, error=True), status

    @app.errorhandler(CSRFError)
    def _csrf_failed(_error):
        return page(400, _("Form rejected"), _("The form was missing its security token or it has expired. "
                                               "Please reload the page and send the form again."))

    @app.errorhandler(ServiceUnavailable)
    def _service_down(_error):
        return page(503, _("Temporarily unavailable"), _("Part of the platform cannot be reached right now. "
                                                          "Please try again in a few minutes."))

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        if error.status in (403, 404):
            return page(404, _("Not found"), _("There is nothing here for you."))
        return page(409 if error.status == 409 else 400, _("Not possible"), common.api_error_message(error))

    @app.errorhandler(403)
    def _forbidden(_error):
        return page(403, _("Not for your account"), _("This page is for another kind of account."))

    @app.errorhandler(404)
    def _not_found(_error):
        return page(404, _("Not found"), _("There is no page at this address."))

    @app.errorhandler(405)
    def _not_allowed(_error):
        return page(405, _("Not possible"), _("This address does not accept this kind of request."))

    @app.errorhandler(413)
    def _too_large(_error):
        return page(413, _("Too large"), _("The form sent too much data."))

    @app.errorhandler(500)
    def _failed(_error):
        return page(500, _("Something went wrong"), _("An unexpected error occurred. Please try again."))
