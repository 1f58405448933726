"""What every benchmark shares: the infrastructure, a load generator, gunicorn, the report.

Each figure is a ratio against a baseline measured in the same run on the same machine; absolute
numbers are printed for context only. Benchmarks never assert timings: they report.
"""
from __future__ import annotations

import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.config import REPO_ROOT


@dataclass
class Result:
    number: int
    name: str
    measured: str
    baseline: str
    ratio: float
    goal: str
    met: bool
    note: str = ""
    details: dict = field(default_factory=dict)
    gap: str = ""  # where the goal is missed: what the gap is made of and what would close it


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError):
        pass
    return (f"{os.cpu_count()} cores ({cpu}){memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


class Infrastructure:
    """A PostgreSQL cluster (deploy/postgres/start-local.sh) and a private Kafka broker for the run."""

    def __init__(self):
        sys.path.insert(0, str(REPO_ROOT / "tests"))
        from support import Postgres
        from vorort import broker

        url = os.environ.get("VORORT_TEST_POSTGRES_URL") or subprocess.run(
            [str(REPO_ROOT / "deploy/postgres/start-local.sh")], check=True, capture_output=True,
            text=True).stdout.strip()
        self.postgres = Postgres(url)
        self.baselines: dict = {}  # a baseline measured once per run and shared by the rows that use it
        self.broker = broker.start(Path(tempfile.mkdtemp(prefix="vorort-bench-kafka-")) / "node",
                                   port=broker.free_port())
        self.bootstrap = self.broker.bootstrap_servers
        os.environ.setdefault("VORORT_VAR_DIR", tempfile.mkdtemp(prefix="vorort-bench-var-"))
        os.environ["VORORT_RATE_LIMIT_PER_MINUTE"] = "0"  # one token drives the load
        from shared.auth import trust_test_issuer

        trust_test_issuer()  # the benchmarks' tokens come from the test issuer, as in the tests

    def database(self, service: str) -> str:
        import importlib

        from shared.db import migrate

        url = self.postgres.create_database(f"bench_{service}")
        migrate(url, importlib.import_module(f"services.{service}.app").MIGRATIONS)
        return url

    def close(self):
        self.broker.stop()


def free_port() -> int:
    from vorort.broker import free_port as _free

    return _free()


class Gunicorn:
    """A WSGI app under gunicorn with the settings every HTTP benchmark uses."""

    SETTINGS = ["--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"]

    def __init__(self, app_spec: str, env: dict | None = None):
        self.port = free_port()
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", *self.SETTINGS, app_spec],
            cwd=REPO_ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError as error:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn for {app_spec} did not start") from error
                time.sleep(0.2)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(90)  # a loaded machine can take its time over a graceful stop
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)


def load(port: int, make_request, *, total: int, concurrency: int = 8) -> dict:
    """Send `total` requests from `concurrency` keep-alive connections; `make_request(i)` returns
    (method, path, body bytes or None, headers). Returns throughput and latency percentiles."""
    counter = {"next": 0}
    lock = threading.Lock()
    latencies, statuses = [], {}

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = counter["next"]
                if index >= total:
                    break
                counter["next"] += 1
            method, path, body, headers = make_request(index)
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": total / elapsed, "seconds": elapsed, "statuses": statuses,
            "p50_ms": 1000 * percentile(latencies, 50), "p99_ms": 1000 * percentile(latencies, 99)}


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def median(values):
    return statistics.median(values)


def write_report(results: list[Result], path: Path, started: float, load_at_start: float | None = None) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`). Every figure is a ratio against a baseline measured in the",
        "same run on the same machine; absolute numbers are for context. Nothing here is asserted by a test.",
        "",
        f"- Machine: {machine()}",
        f"- Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, {time.time() - started:.0f} s",
        "- Infrastructure: PostgreSQL 15 (local cluster, loopback), Apache Kafka 4.4.0 (single KRaft node, loopback)",
        f"- Load average (1 min) at start and end: {load_at_start if load_at_start is not None else float('nan'):.1f}"
        f" and {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        + ("; a shared, loaded machine: absolute figures are low and noisy, the ratios (same run) are what counts"
           if (load_at_start or 0) > (os.cpu_count() or 1) else ""),  # at the end the load is the bench's own
        "",
        "| # | what | measured | baseline | ratio | goal | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(f"| {r.number} | {r.name} | {r.measured} | {r.baseline} | {r.ratio:.2f} | {r.goal} | "
                     f"{'yes' if r.met else 'no'} |")
    lines.append("")
    for r in results:
        if r.note:
            lines += [f"**{r.number}. {r.name}.** {r.note}", ""]
        if r.gap and not r.met:
            lines += [f"*Gap ({r.ratio:.2f} against {r.goal}).* {r.gap}", ""]
    lines += ["Where the time of one intake request and one consumer batch goes, before and after each round of "
              "work: docs/profiles.md (`python -m bench.profile intake|consumers`).", ""]
    lines += ["<details><summary>Raw figures</summary>", "", "```json",
              json.dumps({r.number: r.details for r in results}, indent=2, default=str), "```", "</details>", ""]
    path.write_text("\n".join(lines))
