"""Signing in with a one-time link (or an operator's OpenID Connect provider), out, and the language."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from services.portal.context import NAME, portal_context
from services.portal.views.common import EMAIL
from services.portal.people import remember_language
from shared.pages import chosen_language, safe_next, switch_language

bp = Blueprint("auth", __name__)


class SigninForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), EMAIL, Length(max=254)],
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})


class ConfirmForm(FlaskForm):
    pass


def start_session(person_id: str) -> None:
    session.clear()  # a fresh session (and CSRF token) for the new sign-in
    session.permanent = True
    session["person_id"] = person_id


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    form = SigninForm()
    target = safe_next(request.values.get("next"), "")
    oidc = portal_context().portal.oidc
    if form.validate_on_submit():
        outcome = portal_context().links.request(form.email.data, request.remote_addr or "", target or None,
                                                 language=chosen_language(NAME))
        if outcome.throttled:
            return render_template("signin.html", form=form, next=target, oidc=oidc, throttled=True), 429
        return render_template("signin_sent.html", email=form.email.data)
    return render_template("signin.html", form=form, next=target, oidc=oidc), 400 if form.errors else 200


@bp.route("/signin/<token>", methods=["GET", "POST"])
def redeem(token):
    """GET only shows a button (mail scanners follow links; they must not use the link up); POST signs in."""
    form = ConfirmForm()
    links = portal_context().links
    if len(token) > 100:
        return render_template("signin_invalid.html"), 400
    if request.method == "POST" and form.validate_on_submit():
        redeemed = links.redeem(token)
        if redeemed is None:
            return render_template("signin_invalid.html"), 400
        person_id, next_path = redeemed
        start_session(person_id)
        return redirect(safe_next(next_path, url_for("public.home")))
    if not links.is_valid(token):
        return render_template("signin_invalid.html"), 400
    return render_template("signin_confirm.html", form=form, token=token)


@bp.post("/signout")
def signout():
    session.clear()
    g.person = None
    return render_template("message.html", title=_("Signed out"), message=_("You have been signed out."))


@bp.get("/language/<code>")
def language(code):
    if g.get("person") is not None:  # a signed-in person's choice is also the language of their mails
        with portal_context().engine.begin() as connection:
            remember_language(connection, g.person.id, code)
    return switch_language(NAME, code, url_for("public.home"))
