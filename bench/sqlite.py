"""23. `make run`'s embedded default: intake and end-to-end latency with the services on SQLite files instead
of PostgreSQL, against the same baselines as rows 14 and 17 (hello-world; raw produce-to-consume)."""
from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from bench.common import Result, percentile
from bench.intake import hello_world, measure_intake
from bench.latency import SAMPLES, measure_latency, raw_round_trips
from shared.db import migrate


def _sqlite_database(service: str) -> str:
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='vorort-bench-sqlite-')) / (service + '.db')}"
    migrate(url, importlib.import_module(f"services.{service}.app").MIGRATIONS)
    return url


def run(infra) -> Result:
    subject = measure_intake(_sqlite_database("applications"), infra.bootstrap)
    baseline = hello_world(infra)
    latencies = measure_latency(infra, extra_env={
        "APPLICATIONS_DATABASE_URL": _sqlite_database("applications"),
        "SELECTION_DATABASE_URL": _sqlite_database("selection")})
    raw = raw_round_trips(infra)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    raw99 = percentile(raw, 99) * 1000
    ratio = subject["rps"] / baseline["rps"]
    return Result(23, "SQLite (make run's default): intake, and 201 to candidate visible",
                  f"{subject['rps']:.0f} req/s; p50 {p50:.0f} ms, p99 {p99:.0f} ms ({p99 / raw99:.2f}x raw p99)",
                  f"{baseline['rps']:.0f} req/s (Flask hello-world); raw p99 {raw99:.1f} ms", ratio,
                  ">= 0.5 (as 14); p99 <= 5x raw (as 17)", ratio >= 0.5 and p99 <= 5 * raw99,
                  note=("The same intake load as row 14 and the same end-to-end samples as row 17 "
                        f"({SAMPLES} at 20/s), with the applications and selection databases as SQLite files "
                        "(WAL) as `make run` creates them; Kafka as in the other rows. Development only: production "
                        "runs on PostgreSQL."),
                  gap=("Intake: the request does the same work as row 14 (see its gap); SQLite adds one writer at a "
                       "time across gunicorn's workers (WAL, busy timeout), so concurrent submissions queue for the "
                       "file lock. End to end: SQLite has no LISTEN/NOTIFY, so the relay finds new outbox rows by "
                       "polling at its idle interval instead of being woken by the commit; the selection worker's "
                       "writes queue for the same kind of lock. Development only: what would close it is PostgreSQL, "
                       "which production uses and rows 14 and 17 measure."),
                  details={"intake": subject, "p50_ms": p50, "p99_ms": p99, "raw_p99_ms": raw99,
                           "samples": len(latencies)})
