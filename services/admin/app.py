"""The admin service: the office's (Geschäftsstelle's) web UI, server-rendered, German by default.

    gunicorn 'services.admin.app:create_app()'
    python -m services.admin.app migrate
The admin talks to the other services only through their HTTP APIs, with a staff token minted per
logged-in person; its own database holds the staff accounts, failed logins and DLQ replays.
Nothing starts at import time.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from services.admin.context import EXTENSION, LANGUAGE_COOKIE, LANGUAGES, NAME, SESSION_COOKIE, AdminContext
from services.admin.db import StaffStore
from services.admin.kafka_ops import KafkaOperations
from services.admin.views import register_views
from shared import auth
from shared.config import ServiceSettings, local_secret, setting
from shared.db import make_engine, migrate
from shared.logs import configure_logging
from shared.pages import register_front_end
from shared.web import MAX_BODY_BYTES

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"


class MissingSecretKey(RuntimeError):
    pass


def session_secret(settings: ServiceSettings) -> str:
    """`ADMIN_SECRET_KEY`; in development a key derived from the machine's local development secret."""
    secret = setting("ADMIN_SECRET_KEY")
    if secret:
        return secret
    if settings.environment != "development":
        raise MissingSecretKey("ADMIN_SECRET_KEY must be set outside development mode")
    return hmac.new(local_secret("session-dev", "VORORT_SESSION_SECRET").encode(), b"vorort-admin-session", hashlib.sha256).hexdigest()


def select_locale() -> str:
    wanted = request.cookies.get(LANGUAGE_COOKIE)
    return wanted if wanted in LANGUAGES else "de"


csrf = CSRFProtect()
babel = Babel()


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or ServiceSettings.from_env(NAME)
    configure_logging(NAME)
    auth.check_configuration()
    # its stylesheet and macros are the shared ones (shared/pages.py)
    app = Flask(NAME, template_folder=str(HERE / "templates"), static_folder=None)
    app.config.update(
        SECRET_KEY=session_secret(settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment != "development",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE="de",
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    engine = make_engine(settings.database_url)
    app.extensions[EXTENSION] = AdminContext(settings=settings, engine=engine, store=StaffStore(engine),
                                                  kafka=KafkaOperations(settings.kafka_bootstrap_servers))
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    register_views(app)
    register_front_end(app, NAME, csrf=csrf, engine=engine, kafka_bootstrap=settings.kafka_bootstrap_servers)
    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    args = parser.parse_args(argv)
    configure_logging(NAME)
    settings = ServiceSettings.from_env(NAME)
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)


if __name__ == "__main__":
    main()
