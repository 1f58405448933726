"""The worker process of a service: the outbox relay, its consumers and periodic jobs, in threads.
Every worker also purges its service's expired idempotency answers (shared.idempotency).

One codebase serves the web process (gunicorn) and the worker process. The worker stops cleanly on
SIGTERM or SIGINT: every loop finishes the message or batch in hand, then exits.
"""
from __future__ import annotations

import logging
import signal
import threading
from http.server import ThreadingHTTPServer
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, MetaData

from shared import config, idempotency
from shared.consumer import EventConsumer
from shared.health import database_ok, kafka_reachable
from shared.kafka import make_consumer, make_producer, wait_until_ready
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class ConsumerSpec:
    """One consumer of a worker: `handlers` (event type -> handler) for the events of `topics`. Its group
    is named by the one scheme, `<service>.<purpose>` and the deployment's suffix (config.consumer_group)."""
    service: str
    purpose: str
    topics: list[str]
    handlers: dict[str, Any]

    @property
    def group_id(self) -> str:
        return config.consumer_group(self.service, self.purpose)


@dataclass
class Periodic:
    name: str
    interval_s: float
    job: Callable[[], object]


@dataclass
class WorkerPlan:
    service: str
    engine: Engine
    metadata: MetaData
    uow_factory: Callable[..., Any]
    bootstrap_servers: str
    consumers: list[ConsumerSpec] = field(default_factory=list)
    periodic: list[Periodic] = field(default_factory=list)
    # Long-running loops `(name, run(stop))` beside the consumers, e.g. a dispatcher that paces itself.
    loops: list[tuple[str, Callable[[threading.Event], None]]] = field(default_factory=list)


def _periodic_loop(job: Periodic, stop: threading.Event) -> None:
    while not stop.wait(job.interval_s):
        try:
            job.job()
        except Exception:  # noqa: BLE001 - a failed run is retried at the next interval
            log.exception("periodic job failed", extra={"job": job.name})


def _serve_health(plan: WorkerPlan, threads: list[threading.Thread], port: int) -> ThreadingHTTPServer:
    """`/healthz` (every loop thread alive) and `/readyz` (database and Kafka answer) for the kubelet's
    probes, on `VORORT_WORKER_HEALTH_PORT`; the worker serves nothing else."""
    import json
    from http.server import BaseHTTPRequestHandler


    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            status: int
            body: dict[str, object]
            if self.path == "/healthz":
                dead = [t.name for t in threads if not t.is_alive()]
                if dead:
                    status, body = 503, {"status": "dead", "threads": dead}
                else:
                    status, body = 200, {"status": "ok"}
            elif self.path == "/readyz":
                checks = {"database": database_ok(plan.engine), "kafka": kafka_reachable(plan.bootstrap_servers)}
                status = 200 if all(checks.values()) else 503
                body = {"status": "ready" if status == 200 else "unavailable", "checks": checks}
            else:
                status, body = 404, {"status": "not found"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # the probes would flood the log
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Health)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


def build_consumer(plan: WorkerPlan, spec: ConsumerSpec, producer: Any) -> EventConsumer:
    group_id = spec.group_id
    return EventConsumer(
        group_id=group_id, topics=spec.topics, handlers=spec.handlers, uow_factory=plan.uow_factory,
        consumer=make_consumer(plan.bootstrap_servers, group_id, spec.topics), producer=producer)


def run_worker(plan: WorkerPlan, *, relay: bool = True, consumers: bool = True,
               stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    # Quietly, with one line: the worker may start before the broker (make run starts them together).
    wait_until_ready(plan.bootstrap_servers, groups=[spec.group_id for spec in plan.consumers]
                     if consumers else ())
    producer = make_producer(plan.bootstrap_servers, client_id=f"{plan.service}-worker")
    threads: list[threading.Thread] = []
    if relay:
        batch_size = config.relay_batch_size()
        outbox_relay = OutboxRelay(plan.engine, plan.metadata, producer, batch_size=batch_size)
        threads.append(threading.Thread(target=outbox_relay.run, args=(stop,), name="relay", daemon=True))
    if consumers:
        periodic = list(plan.periodic)
        if idempotency.TABLE in plan.metadata.tables:
            periodic.append(Periodic("purge-idempotency-keys", idempotency.purge_interval_s(),
                                     lambda: idempotency.purge_expired(plan.engine, plan.metadata)))
        for spec in plan.consumers:
            consumer = build_consumer(plan, spec, producer)
            threads.append(threading.Thread(target=consumer.run, args=(stop,), name=spec.group_id, daemon=True))
        for name, loop in plan.loops:
            threads.append(threading.Thread(target=loop, args=(stop,), name=name, daemon=True))
        for job in periodic:
            threads.append(threading.Thread(target=_periodic_loop, args=(job, stop), name=job.name, daemon=True))
    for thread in threads:
        thread.start()
    health_port = config.worker_health_port()
    health = _serve_health(plan, threads, health_port) if health_port else None
    log.info("worker started", extra={"threads": [t.name for t in threads]})
    while not stop.wait(0.5):
        pass
    if health:
        health.shutdown()
    for thread in threads:
        thread.join(timeout=10)
    producer.close(timeout=10)
    log.info("worker stopped")
