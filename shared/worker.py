"""The worker process of a service: the outbox relay, its consumers and periodic jobs, in threads.

One codebase serves the web process (gunicorn) and the worker process. The worker stops cleanly on
SIGTERM or SIGINT: every loop finishes the message or batch in hand, then exits.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Callable

from shared.config import consumer_group
from shared.consumer import EventConsumer
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class ConsumerSpec:
    group_id: str
    topics: list[str]
    handlers: dict


@dataclass
class Periodic:
    name: str
    interval_s: float
    job: Callable[[], object]


@dataclass
class WorkerPlan:
    service: str
    engine: object
    metadata: object
    uow_factory: Callable
    bootstrap_servers: str
    consumers: list[ConsumerSpec] = field(default_factory=list)
    periodic: list[Periodic] = field(default_factory=list)


def _periodic_loop(job: Periodic, stop: threading.Event) -> None:
    while not stop.wait(job.interval_s):
        try:
            job.job()
        except Exception:  # noqa: BLE001 - a failed run is retried at the next interval
            log.exception("periodic job failed", extra={"job": job.name})


def build_consumer(plan: WorkerPlan, spec: ConsumerSpec, producer) -> EventConsumer:
    group_id = consumer_group(spec.group_id)
    return EventConsumer(
        group_id=group_id, topics=spec.topics, handlers=spec.handlers, uow_factory=plan.uow_factory,
        consumer=make_consumer(plan.bootstrap_servers, group_id, spec.topics), producer=producer)


def run_worker(plan: WorkerPlan, *, relay: bool = True, consumers: bool = True,
               stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    ensure_topics(plan.bootstrap_servers)
    producer = make_producer(plan.bootstrap_servers, client_id=f"{plan.service}-worker")
    threads = []
    if relay:
        batch_size = int(os.environ.get("VORORT_RELAY_BATCH_SIZE", "500"))
        outbox_relay = OutboxRelay(plan.engine, plan.metadata, producer, batch_size=batch_size)
        threads.append(threading.Thread(target=outbox_relay.run, args=(stop,), name="relay", daemon=True))
    if consumers:
        for spec in plan.consumers:
            consumer = build_consumer(plan, spec, producer)
            threads.append(threading.Thread(target=consumer.run, args=(stop,), name=spec.group_id, daemon=True))
        for job in plan.periodic:
            threads.append(threading.Thread(target=_periodic_loop, args=(job, stop), name=job.name, daemon=True))
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"threads": [t.name for t in threads]})
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join(timeout=10)
    producer.close(timeout=10)
    log.info("worker stopped")
