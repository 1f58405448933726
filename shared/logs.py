"""JSON logs with the correlation id of the request or message being handled."""
from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared import config

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


class _CorrelationFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        record.service = self.service
        return True


def configure_logging(service: str) -> None:
    """Send JSON lines to stderr; idempotent, so app factory and worker may both call it."""
    root = logging.getLogger()
    if any(getattr(h, "_vorort", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._vorort = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_CorrelationFilter(service))
    root.addHandler(handler)
    root.setLevel(config.log_level())
    # kafka-python is chatty at INFO about every connection it makes.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # httpx logs every request at INFO: the webhooks worker would print a line per delivery.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # kafka-python's event loop warns whenever a task runs over 0.1 s: on a busy machine every few seconds,
    # with nothing to act on.
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    # When a worker closes its clients, a metadata refresh in flight ends "failed Cancelled" at ERROR: our own
    # shutdown, not a fault (seen in the test of a quiet worker). Real refresh failures still show.
    logging.getLogger("kafka.cluster").addFilter(_drop_cancelled_refresh)


def _drop_cancelled_refresh(record: logging.LogRecord) -> bool:
    return not (record.getMessage().startswith("Metadata refresh: failed") and "Cancelled" in record.getMessage())
