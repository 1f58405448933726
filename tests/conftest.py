"""Fixtures for the real infrastructure: one Kafka broker and one PostgreSQL server per test session.

- Kafka: `KAFKA_BOOTSTRAP_SERVERS` if set, else a broker started by the project's own launcher on free
  ports (jars fetched with Maven on first use).
- PostgreSQL: `VORORT_TEST_POSTGRES_URL` if set, else the private cluster of deploy/postgres/start-local.sh.
Every test that needs a database gets a fresh one, migrated by the service's Alembic scripts.
Missing infrastructure is an error, never a silent skip.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from shared.auth import trust_test_issuer
from shared.config import REPO_ROOT
from support import KafkaHandle, Postgres

os.environ.setdefault("VORORT_VAR_DIR", tempfile.mkdtemp(prefix="vorort-test-var-"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Each pytest-xdist worker starts its own platform, whose services keep their client credentials in the
    # var dir: a shared one let one worker's identity bootstrap overwrite the other's (seen: the portal walk
    # failed under `-n 2`). The test issuer stays the one the run's first process made and trusts.
    _run_var = Path(os.environ["VORORT_VAR_DIR"])
    _own_var = Path(tempfile.mkdtemp(prefix=f"vorort-test-var-{os.environ['PYTEST_XDIST_WORKER']}-"))
    if (_run_var / "test-issuer").exists():
        (_own_var / "test-issuer").symlink_to(_run_var / "test-issuer")
    os.environ["VORORT_VAR_DIR"] = str(_own_var)
# Tests drive thousands of requests with one token; the limit itself has its own test.
os.environ.setdefault("VORORT_RATE_LIMIT_PER_MINUTE", "0")
# `issue_token()` signs with the local test issuer; every service started by the tests trusts it.
trust_test_issuer()


def pytest_itemcollected(item):
    """`make test` runs on two pytest-xdist workers (`--dist loadgroup`). A module stays on one worker (its
    module-scoped platform starts once), and the fault scenarios form one group: they kill and stop brokers
    and PostgreSQL, so they run one after another on one worker while the other worker takes the rest.
    (Marked as each item is collected: pytest-xdist reads the marks in its own collection_modifyitems.)"""
    if item.get_closest_marker("xdist_group"):
        return
    path = Path(str(item.fspath)).relative_to(Path(__file__).parent)
    item.add_marker(pytest.mark.xdist_group("chaos" if path.parts[0] == "chaos" else str(path)))


def pytest_terminal_summary(terminalreporter):
    """Every fault scenario's figures (accepted, consumed, duplicates, lost, time to recover), in one section."""
    lines = [value for reports in terminalreporter.stats.values() for report in reports
             for key, value in getattr(report, "user_properties", ()) if key == "chaos figures"]
    if lines:
        terminalreporter.section("fault scenarios: figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_broker():
    """A handle on the broker; `.broker` is None when an external cluster is used (no kill/restart)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield KafkaHandle(external, None)
        return
    handle = KafkaHandle.started("vorort-kafka-")
    yield handle
    handle.broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker) -> str:
    return kafka_broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    url = os.environ.get("VORORT_TEST_POSTGRES_URL")
    if not url:
        url = subprocess.run([str(REPO_ROOT / "deploy/postgres/start-local.sh")], check=True,
                             capture_output=True, text=True).stdout.strip()
    return Postgres(url)


@pytest.fixture
def pg_database(postgres, request):
    """A factory for fresh PostgreSQL databases migrated for a service: `pg_database('applications')`."""
    from shared.db import migrate
    import importlib

    created = []

    def make(service: str) -> str:
        url = postgres.create_database(service)
        created.append(url)
        module = importlib.import_module(f"services.{service}.app")
        migrate(url, module.MIGRATIONS)
        return url

    yield make
    for url in created:
        postgres.drop_database(url)


@pytest.fixture(scope="session")
def platform(postgres, kafka_bootstrap, tmp_path_factory):
    """The whole platform as real processes (web under gunicorn + worker per service), for end-to-end
    and browser tests. Logs land in the session's tmp dir."""
    from support import start_platform, stop_platform
    from vorort.cli import existing_services

    log_dir = tmp_path_factory.mktemp("platform-logs")
    running = start_platform(postgres, kafka_bootstrap, log_dir, existing_services())
    running.log_dir = log_dir
    yield running
    stop_platform(running)
