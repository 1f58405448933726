"""What the fault scenarios share: consumer processes whose side effect is not idempotent on its own
(counting_consumer.py), the figures every scenario prints, and the line it prints them in."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import select

from shared.config import REPO_ROOT
from support import stop_processes

sys.path.insert(0, str(REPO_ROOT / "tests" / "chaos"))
from counting_consumer import tally  # noqa: E402


class CountingConsumers:
    """Processes of tests/chaos/counting_consumer.py in one consumer group; `env` carries the principal."""

    def __init__(self, bootstrap: str, db_url: str, topic: str, log_dir: Path, env: dict | None = None,
                 group: str | None = None):
        self.bootstrap, self.db_url, self.topic, self.log_dir = bootstrap, db_url, topic, log_dir
        self.env = env or {}
        self.group = group or f"chaos-{uuid.uuid4().hex[:8]}"
        self.processes: list[subprocess.Popen] = []

    def skip_history(self, security: dict | None = None) -> CountingConsumers:
        """Commit the group's offsets at the topic's current end: the scenario's consumers read only what
        comes after (a shared topic's earlier events are other scenarios' business)."""
        from kafka import KafkaConsumer, TopicPartition
        from kafka.structs import OffsetAndMetadata

        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap.split(","), group_id=self.group,
                                 enable_auto_commit=False, **(security or {}))
        partitions = [TopicPartition(self.topic, p) for p in sorted(consumer.partitions_for_topic(self.topic) or [])]
        ends = consumer.end_offsets(partitions)
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in ends.items()})
        consumer.close()
        return self

    def start(self) -> subprocess.Popen:
        env = dict(os.environ, VORORT_KAFKA_SESSION_TIMEOUT_MS="6000", VORORT_KAFKA_MAX_POLL_RECORDS="100",
                   **self.env)
        process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "tests/chaos/counting_consumer.py"), self.db_url, self.topic,
             self.group, self.bootstrap], cwd=REPO_ROOT, env=env,
            stdout=open(self.log_dir / f"consumer-{len(self.processes)}.log", "ab"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def stop(self):
        stop_processes(self.processes, grace_s=30)


def applied(engine) -> dict[str, int]:
    """application id -> how often the counting consumer applied one of its events."""
    with engine.connect() as connection:
        return dict(connection.execute(select(tally.c.application_id, tally.c.applied)).all())


def figures(expected: dict[str, int], effects: dict[str, int]) -> dict[str, int]:
    """accepted events, consumed (distinct events applied), duplicates (effects beyond one per event), lost.
    Only the scenario's own aggregates count: a shared topic also carries earlier scenarios' events."""
    consumed = sum(min(effects.get(key, 0), count) for key, count in expected.items())
    duplicates = sum(max(0, effects.get(key, 0) - count) for key, count in expected.items())
    return {"accepted": sum(expected.values()), "consumed": consumed, "duplicates": duplicates,
            "lost": sum(expected.values()) - consumed}


# The lines of the scenario running now; tests/chaos/conftest.py hands them to the run's summary.
FIGURES: list[str] = []


def report(scenario: str, counts: dict[str, int], recover_s: float | None, detail: str) -> None:
    """The one line of figures every scenario prints (and `make test`'s summary repeats)."""
    recover = f"{recover_s:.1f} s" if recover_s is not None else "-"
    line = (f"{scenario}: accepted {counts['accepted']}, consumed {counts['consumed']}, duplicates "
            f"{counts['duplicates']}, lost {counts['lost']}, time to recover {recover}; {detail}")
    FIGURES.append(line)
    print("\n" + line, flush=True)
