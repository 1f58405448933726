"""Sign-in through an organisation's OpenID Connect provider (authorization code flow with PKCE, Authlib),
when the operator configures one (`PORTAL_OIDC_ISSUER`, `PORTAL_OIDC_CLIENT_ID`, `PORTAL_OIDC_CLIENT_SECRET`).

The provider vouches for an email address; the portal signs in the person registered with that address
(the same directory as the mailed links) and nobody else. An unknown or unverified address is refused
with the same page as an expired link.
"""
from __future__ import annotations

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, redirect, render_template, request, session, url_for

from services.portal.context import portal_context
from services.portal.views.auth_views import start_session
from shared.pages import safe_next

bp = Blueprint("oidc", __name__, url_prefix="/oidc")
NEXT_KEY = "oidc_next"


def configure(app: Flask, settings: dict) -> None:
    oauth = OAuth(app)
    if settings:
        oauth.register(
            name="organisation", client_id=settings["client_id"], client_secret=settings["client_secret"],
            server_metadata_url=f"{settings['issuer']}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"})
    app.register_blueprint(bp)


def _client():
    from flask import current_app

    client = current_app.extensions["authlib.integrations.flask_client"].create_client("organisation")
    if client is None:
        abort(404)
    return client


@bp.get("/login")
def login():
    client = _client()
    session[NEXT_KEY] = safe_next(request.args.get("next"), "")
    return client.authorize_redirect(url_for("oidc.callback", _external=True))


@bp.get("/callback")
def callback():
    client = _client()
    try:
        token = client.authorize_access_token()
    except OAuthError:
        return render_template("signin_invalid.html"), 400
    claims = token.get("userinfo") or {}
    email = claims.get("email")
    person = portal_context().people.by_email(email) if email and claims.get("email_verified", True) else None
    if person is None:
        return render_template("signin_invalid.html"), 400
    target = session.pop(NEXT_KEY, "")
    start_session(person.id)
    return redirect(safe_next(target, url_for("public.home")))
