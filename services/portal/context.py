"""What the portal's app, views and worker share: its name and its context (settings, engine, people,
sign-in links, clock, and its unit of work and bus, which run the commands its consumers make of events),
reached from a view with `portal_context()`. The app builds the context; the views
import it from here (never from the app, which imports the views)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.engine import Engine

from services.portal.people import LocalPeople
from services.portal.repositories import PortalUnitOfWork
from services.portal.settings import NAME, PortalSettings
from services.portal.signin import SigninLinks
from shared.bus import MessageBus
from shared.config import ServiceSettings

EXTENSION = f"vorort-{NAME}"  # shared.pages.create_front_end puts the context there


@dataclass
class PortalContext:
    settings: ServiceSettings
    portal: PortalSettings
    engine: Engine
    people: LocalPeople
    links: SigninLinks
    clock: Callable[[], datetime]
    uow_factory: Callable[[], PortalUnitOfWork]
    bus: MessageBus  # handlers.COMMAND_HANDLERS, with `settings` and `clients` injected


def portal_context() -> PortalContext:
    context: PortalContext = current_app.extensions[EXTENSION]
    return context
