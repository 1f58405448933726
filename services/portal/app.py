"""The portal: the partners' web UI (port 8005), server-rendered, German by default.

    gunicorn 'services.portal.app:create_app()'
    python -m services.portal.app worker      # sends queued mails, watches guests' registrations
    python -m services.portal.app migrate
Municipalities apply, steering-group members review, guests register for workshops, members subscribe
and anyone may write to the office. The portal talks to the API services only over HTTP, with a token for
the signed-in person (clients.py); its own database holds people, sign-in links, drafts and mails.
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

from services.portal.context import EXTENSION, LANGUAGE_COOKIE, LANGUAGES, NAME, SESSION_COOKIE, PortalContext
from services.portal.mail import MailSender
from services.portal.people import LocalPeople
from services.portal.settings import PortalSettings
from services.portal.signin import SigninLinks
from services.portal.views import register_views
from shared import auth
from shared.bus import system_clock
from shared.config import ServiceSettings, local_secret, setting
from shared.db import make_engine, migrate
from shared.logs import configure_logging
from shared.pages import register_front_end
from shared.web import MAX_BODY_BYTES

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
WORKING_DAY = timedelta(hours=10)


class MissingSecretKey(RuntimeError):
    pass


def session_secret(settings: ServiceSettings) -> str:
    """`PORTAL_SECRET_KEY`; in development a key derived from the machine's local development secret."""
    secret = setting("PORTAL_SECRET_KEY")
    if secret:
        return secret
    if settings.environment != "development":
        raise MissingSecretKey("PORTAL_SECRET_KEY must be set outside development mode")
    return hmac.new(local_secret("session-dev", "VORORT_SESSION_SECRET").encode(), b"vorort-portal-session",
                    hashlib.sha256).hexdigest()


def select_locale() -> str:
    wanted = request.cookies.get(LANGUAGE_COOKIE)
    return wanted if wanted in LANGUAGES else "de"


def build_context(settings: ServiceSettings | None = None, clock=system_clock,
                  portal: PortalSettings | None = None) -> PortalContext:
    settings = settings or ServiceSettings.from_env(NAME)
    portal = portal or PortalSettings.from_env()
    engine = make_engine(settings.database_url)
    people = LocalPeople(engine)
    return PortalContext(settings=settings, portal=portal, engine=engine, people=people,
                         links=SigninLinks(engine, people, clock, portal.base_url), clock=clock)


csrf = CSRFProtect()
babel = Babel()


def create_app(settings: ServiceSettings | None = None, clock=system_clock,
               portal: PortalSettings | None = None) -> Flask:
    ctx = build_context(settings, clock, portal)
    configure_logging(NAME)
    auth.check_configuration()
    app = Flask(NAME, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=session_secret(ctx.settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=ctx.settings.environment != "development",
        PERMANENT_SESSION_LIFETIME=WORKING_DAY,
        WTF_CSRF_TIME_LIMIT=int(WORKING_DAY.total_seconds()),
        BABEL_DEFAULT_LOCALE="de",
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.extensions[EXTENSION] = ctx
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    register_views(app)
    # no-referrer: sign-in and cancel links carry secrets in their address
    register_front_end(app, NAME, csrf=csrf, engine=ctx.engine, kafka_bootstrap=ctx.settings.kafka_bootstrap_servers,
                       referrer_policy="no-referrer")
    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"services.{NAME}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the newest schema")
    sub.add_parser("worker", help="send queued mails and watch the guests' registrations")
    args = parser.parse_args(argv)
    configure_logging(NAME)
    settings = ServiceSettings.from_env(NAME)
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        return
    from shared.worker import run_worker
    run_worker(worker_plan(build_context(settings)))


def worker_plan(ctx: PortalContext):
    """The portal emits no events (its relay idles): mails, the consumers of the applications', selection's
    and workshops' events, watching guests' registrations and awaited decision letters."""
    from services.portal import decisions, watch
    from services.portal.db import metadata
    from shared.db import make_session_factory
    from shared.events.catalogue import TOPIC_APPLICATIONS, TOPIC_SELECTION, TOPIC_WORKSHOPS
    from shared.uow import UnitOfWork
    from shared.worker import ConsumerSpec, Periodic, WorkerPlan

    sender = MailSender(ctx.engine, ctx.portal.smtp_url, ctx.portal.sender, ctx.clock)
    session_factory = make_session_factory(ctx.engine)
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=metadata,
        uow_factory=lambda: UnitOfWork(session_factory, metadata),
        bootstrap_servers=ctx.settings.kafka_bootstrap_servers,
        consumers=[ConsumerSpec(group_id="portal.workshops", topics=[TOPIC_WORKSHOPS],
                                handlers=watch.workshop_handlers(ctx)),
                   ConsumerSpec(group_id="portal.decisions", topics=[TOPIC_APPLICATIONS, TOPIC_SELECTION],
                                handlers=decisions.decision_handlers(ctx))],
        periodic=[Periodic("send-mails", 1.0, sender.send_pending),
                  Periodic("watch-registrations", 5.0, lambda: watch.watch_registrations(ctx)),
                  Periodic("watch-letters", 10.0, lambda: decisions.watch_letters(ctx)),
                  Periodic("forget-old-links", 3600.0, ctx.links.forget_old)])


if __name__ == "__main__":
    main()
