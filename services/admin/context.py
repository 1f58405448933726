"""What the admin's app and its views share: its name and its context (engine, staff store, Kafka
operations), reached from a view with `admin_context()`. The app builds the context; the views import it
from here (never from the app, which imports the views)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.engine import Engine

from services.admin.db import StaffStore
from services.admin.kafka_ops import KafkaOperations
from shared.config import ServiceSettings

NAME = "admin"
EXTENSION = f"vorort-{NAME}"  # shared.pages.create_front_end puts the context there


@dataclass
class AdminContext:
    settings: ServiceSettings
    engine: Engine
    store: StaffStore
    kafka: KafkaOperations


def admin_context() -> AdminContext:
    context: AdminContext = current_app.extensions[EXTENSION]
    return context
