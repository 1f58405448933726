"""22. Webhooks: deliveries/s from the dispatcher to a local receiver, against a plain `httpx` loop posting
the same bodies to the same receiver.

The dispatcher's path per delivery: claim (one transaction per batch), resolve the host and check the
address, sign (HMAC with the standardwebhooks library), POST, read at most a KiB of the answer, record the
outcome and an attempt row (one transaction per batch). The baseline only POSTs. The receiver is a
separate process answering 204 at once, so that both sides pay the same for it.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx

from bench.common import Result, free_port
from shared.config import REPO_ROOT

DELIVERIES = 2000
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
s = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H); s.daemon_threads = True; s.serve_forever()
"""


def _receiver(port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(f"http://127.0.0.1:{port}/", content=b"{}", timeout=1)
            return process
        except httpx.HTTPError as error:
            if time.monotonic() > deadline:
                raise RuntimeError("receiver did not start") from error
            time.sleep(0.1)


def _undelivered(engine, deliveries) -> bool:
    from sqlalchemy import select

    with engine.connect() as connection:
        return connection.scalar(select(deliveries.c.id).where(deliveries.c.status != "delivered").limit(1)) is not None


def run(infra) -> Result:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from sqlalchemy import select

    from services.webhooks.db import deliveries
    from services.webhooks.domain import RetryPolicy
    from shared.events.catalogue import make_event, spec_for
    from webhooks_support import dispatcher, fan_out, options, register, webhooks_app

    port = free_port()
    receiver = _receiver(port)
    try:
        app = webhooks_app(infra.database("webhooks"), options(retry=RetryPolicy(schedule=(0,)), concurrency=16))
        client = app.test_client()
        register(client, f"http://127.0.0.1:{port}/hooks", event_types=["ApplicationSubmitted"])
        example = spec_for("ApplicationSubmitted").example
        events = [make_event("ApplicationSubmitted", dict(example, application_id=f"bench-{i}"), source="/bench")
                  for i in range(DELIVERIES)]
        fan_out(app, *events)
        engine = app.extensions["vorort"].engine
        with engine.connect() as connection:
            bodies = list(connection.scalars(select(deliveries.c.payload)))
        stop = threading.Event()
        worker = threading.Thread(target=dispatcher(app).run, args=(stop,))  # as in the worker process
        started = time.perf_counter()
        worker.start()
        try:
            while _undelivered(engine, deliveries):
                if time.perf_counter() - started > 600:
                    raise RuntimeError("dispatcher did not finish")
                time.sleep(0.05)
            subject_seconds = time.perf_counter() - started
        finally:
            stop.set()
            worker.join(60)

        started = time.perf_counter()
        with httpx.Client(timeout=15) as plain:
            for body in bodies:
                plain.post(f"http://127.0.0.1:{port}/hooks", content=body.encode(),
                           headers={"content-type": "application/cloudevents+json"}).raise_for_status()
        plain_seconds = time.perf_counter() - started
    finally:
        receiver.terminate()
        receiver.wait(10)
    subject_rate, baseline_rate = DELIVERIES / subject_seconds, DELIVERIES / plain_seconds
    ratio = subject_rate / baseline_rate
    return Result(22, "Webhooks: signed deliveries to a local receiver", f"{subject_rate:.0f} deliveries/s",
                  f"{baseline_rate:.0f} posts/s (plain httpx loop, same bodies)", ratio, ">= 0.5", ratio >= 0.5,
                  note=(f"{DELIVERIES} deliveries of one endpoint, 16 concurrent requests, batches of 200, each batch's outcomes recorded while the next is sent. Per "
                        "delivery the dispatcher also claims it, checks the resolved address, signs it and "
                        "records the outcome with an attempt row; the baseline posts one body after another."),
                  details={"deliveries": DELIVERIES, "dispatcher_s": round(subject_seconds, 2),
                           "plain_s": round(plain_seconds, 2)},
                  gap=("Met on a loaded machine (3.84, when the plain loop managed 39 posts a second), missed on an "
                       "idle one (0.31 on 2026-11-30 06:11), where the receiver answers in well under a "
                       "millisecond and the dispatcher's 16 threads only contend for one interpreter. Done: each "
                       "sending thread has its own connection pool, and requests go straight to it instead of "
                       "through an httpx.Client (no pool lock shared by 16 threads, no cookie jar): 0.51 in the "
                       "run after the change, 0.54 and 0.46 in the two runs after that. Measured, not changed: "
                       "with 4 threads 0.50, with 2 threads 0.59. What would close it: a sender that adapts its "
                       "concurrency to the receivers' answer times (many threads for slow receivers, few for fast "
                       "ones), or an asyncio sender; 16 stays the default because real receivers answer in tens "
                       "or hundreds of milliseconds."))
