"""Helpers the test layers share: real infrastructure handles, fresh databases, polling with deadlines."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from shared.auth import issue_token
from shared.config import REPO_ROOT, ServiceSettings


def eventually(check, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    """Poll `check` until it returns a truthy value or the deadline passes (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{message} not reached within {timeout}s (last: {last!r})")


def bearer(role: str, subject: str | None = None, ags: str | None = None) -> dict:
    return {"Authorization": "Bearer " + issue_token(role, subject or role, ags=ags)}


@dataclass
class Postgres:
    admin_url: str

    def create_database(self, prefix: str) -> str:
        name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def settings(service: str, database_url: str, bootstrap: str) -> ServiceSettings:
    return ServiceSettings(name=service, database_url=database_url, kafka_bootstrap_servers=bootstrap,
                           environment="development")


def end_offsets(bootstrap: str, topic: str) -> dict:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None)
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in partitions]
    offsets = consumer.end_offsets(tps) if tps else {}
    consumer.close()
    return {tp.partition: offset for tp, offset in offsets.items()}


def read_topic(bootstrap: str, topic: str, since: dict | None = None, *, until=None, timeout: float = 60.0):
    """Read `topic` from the offsets in `since` (default: the beginning) until `until(messages)` is true."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None,
                             auto_offset_reset="earliest")
    deadline = time.monotonic() + timeout
    partitions = None
    while partitions is None and time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            time.sleep(0.2)
    tps = [TopicPartition(topic, p) for p in partitions or ()]
    consumer.assign(tps)
    for tp in tps:
        if since and tp.partition in since:
            consumer.seek(tp, since[tp.partition])
        else:
            consumer.seek_to_beginning(tp)
    messages = []
    while time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
        if until is not None and until(messages):
            break
        if until is None and not consumer.poll(timeout_ms=0) and messages:
            break
    consumer.close()
    return messages


def service_process(service: str, args: list[str], env: dict, log_path) -> subprocess.Popen:
    """Start `python -m services.<service>.app ARGS` as a real process (worker, relay)."""
    full_env = dict(os.environ)
    full_env.update(env)
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", f"services.{service}.app", *args], cwd=REPO_ROOT,
                            env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (a clean stop), and SIGKILL if it has not ended within `timeout`."""
    import signal as _signal

    process.send_signal(_signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # it did not stop cleanly: end it
        process.kill()
        process.wait(timeout=10)


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts."""

    def __init__(self, port: int | None = None):
        from aiosmtpd.controller import Controller

        from vorort.broker import free_port

        self.messages = []
        sink = self

        class _Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                      "data": envelope.content})
                return "250 OK"

        self.port = port or free_port()
        self.controller = Controller(_Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@dataclass
class RunningPlatform:
    urls: dict
    env: dict
    smtp: SmtpSink
    processes: list
    staff: dict = field(default_factory=dict)  # username and password of the admin's staff account

    def url(self, service: str) -> str:
        return self.urls[service]


def start_platform(postgres: Postgres, bootstrap: str, log_dir, services: list[str],
                   extra_env: dict | None = None, service_env: dict[str, dict] | None = None) -> RunningPlatform:
    """Every given service as real processes: its web app under gunicorn and its worker, on fresh
    PostgreSQL databases and the session's Kafka broker, with a local SMTP sink. `service_env` adds
    variables per service (its own Kafka principal on the three-node cluster)."""
    import importlib

    import requests

    from shared.db import migrate
    from vorort.broker import free_port

    smtp = SmtpSink().start()
    ports = {name: free_port() for name in services}
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "SMTP_URL": smtp.url, "VORORT_ENV": "development",
           "VORORT_VAR_DIR": os.environ["VORORT_VAR_DIR"],
           # Its own consumer groups: another platform on the same broker must not take its partitions.
           "VORORT_CONSUMER_GROUP_SUFFIX": f"-{uuid.uuid4().hex[:8]}",
           # Development's allowance: webhooks may go to receivers the tests run on loopback.
           "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.1/32"}
    for name in services:
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    for name in services:
        module = importlib.import_module(f"services.{name}.app")
        if hasattr(module, "MIGRATIONS"):
            url = postgres.create_database(name)
            migrate(url, module.MIGRATIONS)
            env[f"{name.upper()}_DATABASE_URL"] = url
    env["PUBLISHING_BASE_URL"] = env.get("PUBLISHING_URL", "")
    env.update(extra_env or {})
    full_env = dict(os.environ)
    full_env.update(env)
    staff = {}
    if "admin" in services:
        staff = {"username": "erika.musterfrau", "password": "test-" + uuid.uuid4().hex}
        subprocess.run([str(Path(sys.executable).parent / "vorort"), "staff", "add", staff["username"],
                        "--password", staff["password"], "--name", "Erika Musterfrau"],
                       cwd=REPO_ROOT, env=full_env, check=True, capture_output=True)
    processes = []
    for name in services:
        own_env = {**full_env, **(service_env or {}).get(name, {})}
        log = open(log_dir / f"{name}-web.log", "ab")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{ports[name]}", "--workers", "1",
             "--threads", "8", f"services.{name}.app:create_app()"],
            cwd=REPO_ROOT, env=own_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        module = importlib.import_module(f"services.{name}.app")
        if hasattr(module, "worker_plan"):
            log = open(log_dir / f"{name}-worker.log", "ab")
            processes.append(subprocess.Popen([sys.executable, "-m", f"services.{name}.app", "worker"],
                                              cwd=REPO_ROOT, env=own_env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True))
    urls = {name: f"http://127.0.0.1:{ports[name]}" for name in services}

    def down() -> list[str]:
        names = []
        for name, base in urls.items():
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code != 200:
                    names.append(name)
            except requests.RequestException:
                names.append(name)
        return names

    try:
        eventually(lambda: not down(), timeout=90, interval=0.5, message="platform web processes up")
    except AssertionError as failure:
        # Say which ones stayed down and what they wrote, so that a slow or broken start can be told apart.
        tails = {name: (log_dir / f"{name}-web.log").read_text(errors="replace")[-1500:] for name in down()}
        stop_platform(RunningPlatform(urls, env, smtp, processes))
        raise AssertionError(f"{failure}; still down: {sorted(tails)}; load {os.getloadavg()}; "
                             + "".join(f"\n--- {name}-web.log ---\n{tail}" for name, tail in tails.items())) from None
    return RunningPlatform(urls, env, smtp, processes, staff)


def stop_processes(processes: list[subprocess.Popen], grace_s: float = 20.0) -> None:
    """SIGTERM to every one at once (they stop in parallel), then wait for each; SIGKILL what outlives it."""
    import signal as _signal

    for process in processes:
        if process.poll() is None:
            process.send_signal(_signal.SIGTERM)
    for process in processes:
        if process.poll() is None:
            stop_process(process, grace_s)


def stop_platform(platform: RunningPlatform) -> None:
    stop_processes(platform.processes)
    platform.smtp.stop()


# An API service declares itself as a shared.service.ApiService, whose app shared.web.create_api_app builds.
API_APP_MARKERS = ("ApiService(", "create_api_app(")


def _is_api(source: str) -> bool:
    return any(marker in source for marker in API_APP_MARKERS)


def api_services() -> list[str]:
    """Every service in the repository whose web app is built by shared.web.create_api_app (and so serves
    an OpenAPI document): tests parametrised over it cover a new service as soon as it lands."""
    return [name for name, source in _service_apps() if _is_api(source)]


def ui_services() -> list[str]:
    """Every service with a web app that is not an API (server-rendered pages and forms: admin, portal)."""
    return [name for name, source in _service_apps() if not _is_api(source) and "def create_app(" in source]


def _service_apps() -> list[tuple[str, str]]:
    return [(path.parent.name, path.read_text(encoding="utf-8"))
            for path in sorted((REPO_ROOT / "services").glob("*/app.py"))]


def api_app(service: str, database_url: str = "sqlite://", bootstrap: str = "127.0.0.1:1"):
    """A service's Flask app (nothing started), e.g. to read its OpenAPI document (UIs too)."""
    import importlib

    module = importlib.import_module(f"services.{service}.app")
    return module.create_app(settings(service, database_url, bootstrap))


class KafkaHandle:
    """The test broker: `.broker` is None when an external cluster is used (no kill/restart)."""

    @classmethod
    def started(cls, prefix: str) -> KafkaHandle:
        """A broker of the project's own launcher on a free port, under a fresh temporary home."""
        import tempfile

        from vorort import broker as launcher

        home = Path(tempfile.mkdtemp(prefix=prefix)) / "node"
        broker = launcher.start(home, port=launcher.free_port())
        return cls(broker.bootstrap_servers, broker)

    def __init__(self, bootstrap_servers: str, broker):
        self.bootstrap_servers = bootstrap_servers
        self.broker = broker

    def kill(self):
        self.broker.kill()

    def restart(self):
        from vorort import broker as launcher

        self.broker = launcher.restart(self.broker)
