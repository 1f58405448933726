"""Logging in and out, and the language switch."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from services.admin import accounts
from services.admin.context import NAME
from services.admin.views.common import safe_next, store
from shared.pages import switch_language

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if form.validate_on_submit():
        result = accounts.log_in(store(), form.username.data, form.password.data, request.remote_addr or "")
        if result.throttled:
            message = _("Too many failed attempts to log in. For your protection, logging in with this username "
                        "from this device is blocked for 15 minutes. Please try again later.")
            return render_template("login.html", form=form, next=target, throttle_message=message), 429
        if result.staff is not None:
            session.clear()  # a fresh session (and CSRF token) for the new login
            session.permanent = True
            session["staff"] = result.staff.username
            flash(_("Welcome, %(name)s.", name=result.staff.display_name), "success")
            return redirect(target)
        flash(_("Username or password is wrong."), "error")
        return render_template("login.html", form=form, next=target), 401
    return render_template("login.html", form=form, next=target)


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/language/<code>")
def language(code):
    return switch_language(NAME, code, url_for("dashboard.index"))
