"""The portal: the partners' web UI (port 8005), server-rendered, German by default.

    gunicorn 'services.portal.app:create_app()'
    python -m services.portal.app worker [--relay-only]    # sends queued mails, watches guests' registrations
    python -m services.portal.app migrate
Municipalities apply, steering-group members review, guests register for workshops, members subscribe
and anyone may write to the office. The portal talks to the API services only over HTTP, with a token for
the signed-in person (clients.py); its own database holds people, sign-in links, drafts and mails.
The skeleton (CLI, front-end app, operations endpoints) is shared's (shared.service, shared.pages); this
module holds what is the portal's own; its settings are services/portal/settings.py.
Nothing starts at import time.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from services.portal import decisions, handlers, privacy, watch
from services.portal.clients import PortalClients
from services.portal.consumers import consumers
from services.portal.context import NAME, PortalContext
from services.portal.db import metadata
from services.portal.mail import MailSender
from services.portal.people import LocalPeople
from services.portal.repositories import PortalUnitOfWork
from services.portal.settings import PortalSettings
from services.portal.signin import SigninLinks
from services.portal.views import register_views
from shared.bus import MessageBus, system_clock
from shared.config import ServiceSettings
from shared.db import make_engine, make_session_factory
from shared.pages import create_front_end
from shared.service import Worker, run_cli
from shared.worker import Periodic, WorkerPlan

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
WORKING_DAY = timedelta(hours=10)

def build_context(settings: ServiceSettings | None = None, clock=system_clock,
                  portal: PortalSettings | None = None) -> PortalContext:
    settings = settings or ServiceSettings.from_env(NAME)
    portal = portal or PortalSettings.from_env()
    engine = make_engine(settings.database_url)
    people = LocalPeople(engine)
    session_factory = make_session_factory(engine)

    def uow_factory() -> PortalUnitOfWork:
        return PortalUnitOfWork(session_factory, metadata)

    bus = MessageBus(uow_factory, handlers.COMMAND_HANDLERS, clock,
                     dependencies={"settings": portal, "clients": PortalClients()})
    return PortalContext(settings=settings, portal=portal, engine=engine, people=people,
                         links=SigninLinks(engine, people, clock, portal.base_url), clock=clock,
                         uow_factory=uow_factory, bus=bus)


def create_app(settings: ServiceSettings | None = None, clock=system_clock,
               portal: PortalSettings | None = None) -> Flask:
    ctx = build_context(settings, clock, portal)
    # no-referrer: sign-in and cancel links carry secrets in their address
    app = create_front_end(NAME, HERE, ctx.settings, ctx, engine=ctx.engine, register_views=register_views,
                           session_lifetime=WORKING_DAY, own_static=True, referrer_policy="no-referrer")
    privacy.register(app)  # GDPR export, as every service with personal data has it
    return app


def worker_plan(ctx: PortalContext) -> WorkerPlan:
    """Mails, the consumers of the applications', selection's and workshops' events (consumers.py: events ->
    commands for `ctx.bus`) and of GDPR erasure requests (its relay sends only their PersonalDataErased),
    watching guests' registrations and awaited decision letters."""
    sender = MailSender(ctx.engine, ctx.portal.smtp_url, ctx.portal.sender, ctx.clock)
    return WorkerPlan(
        service=NAME, engine=ctx.engine, metadata=metadata, uow_factory=ctx.uow_factory,
        bootstrap_servers=ctx.settings.kafka_bootstrap_servers, consumers=consumers(ctx.bus),
        periodic=[Periodic("send-mails", 1.0, sender.send_pending),
                  Periodic("watch-registrations", 5.0, lambda: watch.watch_registrations(ctx)),
                  Periodic("watch-letters", 10.0, lambda: decisions.watch_letters(ctx)),
                  Periodic("forget-old-links", 3600.0, ctx.links.forget_old)])


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, build_context,
            Worker(worker_plan, help="send queued mails and watch the guests' registrations"), argv=argv)


if __name__ == "__main__":
    main()
