"""The platform's logging: kafka-python's shutdown artefacts stay out, real client errors stay in."""
from __future__ import annotations

import logging


def test_a_cancelled_metadata_refresh_at_shutdown_is_dropped_and_a_real_failure_kept():
    from shared.logs import configure_logging

    configure_logging("test")
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    keep = Keep()
    cluster = logging.getLogger("kafka.cluster")
    cluster.addHandler(keep)
    try:
        cluster.error("Metadata refresh: failed %s", "Cancelled")
        cluster.error("Metadata refresh: failed %s", "KafkaConnectionError: 111 ECONNREFUSED")
    finally:
        cluster.removeHandler(keep)
    assert seen == ["Metadata refresh: failed KafkaConnectionError: 111 ECONNREFUSED"]
