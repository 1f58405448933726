"""Readiness checks every process shares (API services, front ends, workers): does the database answer,
does a Kafka broker accept a connection. shared.web serves them as /readyz; shared.worker for its probes."""
from __future__ import annotations

import socket

from sqlalchemy import text
from sqlalchemy.engine import Engine


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


def kafka_reachable(bootstrap_servers: str, timeout_s: float = 1.0) -> bool:
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False
