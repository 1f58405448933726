"""The admin service: the office's (Geschäftsstelle's) web UI, server-rendered, German by default.

    gunicorn 'services.admin.app:create_app()'
    python -m services.admin.app migrate
The admin talks to the other services only through their HTTP APIs, with a staff token minted per
logged-in person; its own database holds the staff accounts, failed logins and DLQ replays.
The skeleton (CLI, front-end app, operations endpoints) is shared's (shared.service, shared.pages); this
module holds what is the admin's own. Nothing starts at import time.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from services.admin.context import NAME, AdminContext
from services.admin.db import StaffStore
from services.admin.kafka_ops import KafkaOperations
from services.admin.views import register_views
from shared.config import ServiceSettings
from shared.db import make_engine
from shared.pages import create_front_end
from shared.service import run_cli

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
SESSION_LIFETIME = timedelta(hours=8)


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or ServiceSettings.from_env(NAME)
    engine = make_engine(settings.database_url)
    context = AdminContext(settings=settings, engine=engine, store=StaffStore(engine),
                           kafka=KafkaOperations(settings.kafka_bootstrap_servers))
    # its stylesheet and macros are the shared ones (shared/pages.py): no static folder of its own
    return create_front_end(NAME, HERE, settings, context, engine=engine, register_views=register_views,
                            session_lifetime=SESSION_LIFETIME)


def main(argv=None) -> None:
    run_cli(NAME, MIGRATIONS, argv=argv)


if __name__ == "__main__":
    main()
