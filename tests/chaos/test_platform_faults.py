"""Fault scenarios 1, 3, 4 and 5 against real processes: Kafka killed or down, PostgreSQL stopped,
projections rebuilt. Each prints a line of figures; each asserts nothing lost and nothing applied twice."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import create_engine, text

from shared.auth import issue_token
from shared.config import REPO_ROOT
from shared.events.catalogue import TOPIC_APPLICATIONS
from support import eventually, start_platform, stop_platform

from chaos_support import CountingConsumers, applied, figures, report  # noqa: E402 (tests/chaos is on the path)

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

STAFF = {"Authorization": "Bearer " + issue_token("staff", "chaos")}


@pytest.fixture
def intake(postgres, kafka_broker, tmp_path):
    """applications (web + relay) and selection (web + candidates consumer) as real processes."""
    if kafka_broker.broker is None:
        pytest.fail("the broker fault scenarios need the broker the tests start (unset KAFKA_BOOTSTRAP_SERVERS)")
    running = start_platform(postgres, kafka_broker.bootstrap_servers, tmp_path, ["applications", "selection"])
    yield running
    stop_platform(running)


def open_call(base: str) -> str:
    now = datetime.now(timezone.utc)
    call = requests.post(f"{base}/v1/calls", headers=STAFF, timeout=10, json={
        "title": "Chaos", "topic": "Smart City", "places": 3, "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()}).json()
    requests.post(f"{base}/v1/calls/{call['id']}/open", headers=STAFF, timeout=10).raise_for_status()
    return call["id"]


class Submitter:
    """Submits applications from several threads; every tenth is updated right after (ordering check)."""

    def __init__(self, base: str, call_id: str, total: int, threads: int = 6, offset: int = 0):
        self.base, self.call_id, self.total, self.offset = base, call_id, total, offset
        self.accepted: dict[str, str] = {}  # application id -> expected final statement
        self.events: dict[str, int] = {}  # application id -> events its accepted requests wrote
        self.statuses: dict[int, int] = {}
        self.next = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work) for _ in range(threads)]

    def _work(self):
        session = requests.Session()
        while True:
            with self.lock:
                number = self.next
                if number >= self.total:
                    return
                self.next += 1
            n = number + self.offset
            body = {"municipality": {"ags": f"{20_000_000 + n:08d}", "name": f"Gemeinde {n}", "population": 1000 + n},
                    "contact": {"name": "Max Beispiel", "email": f"kontakt{n}@example.org"}, "statement": "v1"}
            response = session.post(f"{self.base}/v1/calls/{self.call_id}/applications", json=body, headers=STAFF,
                                    timeout=30)
            with self.lock:
                self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code != 201:
                continue
            application_id, final, events = response.json()["id"], "v1", 1
            if n % 10 == 0:
                for version in ("v2", "v3"):
                    patched = session.patch(f"{self.base}/v1/applications/{application_id}",
                                            json={"statement": version}, headers=STAFF, timeout=30)
                    with self.lock:
                        self.statuses[patched.status_code] = self.statuses.get(patched.status_code, 0) + 1
                    if patched.status_code == 200:
                        final = version
                        events += 1
            with self.lock:
                self.accepted[application_id] = final
                self.events[application_id] = events

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def join(self):
        for thread in self.threads:
            thread.join()

    @property
    def done(self) -> int:
        with self.lock:
            return self.next


def candidates(base: str, call_id: str) -> dict[str, str]:
    found, page = {}, 1
    while True:
        response = requests.get(f"{base}/v1/calls/{call_id}/candidates", params={"page": page, "page_size": 100},
                                headers=STAFF, timeout=30)
        if response.status_code != 200:
            return found
        for item in response.json():
            found[item["application_id"]] = item.get("statement")
        if len(response.json()) < 100:
            return found
        page += 1


def unpublished(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
    engine.dispose()
    return count


def assert_every_submission_reached_the_consumer(intake, call_id, submitter, timeout=600):
    selection = intake.url("selection")
    eventually(lambda: len(candidates(selection, call_id)) >= len(submitter.accepted), timeout=timeout,
               interval=2, message="every accepted submission is a candidate")
    seen = eventually(lambda: (lambda c: c if all(c.get(a) == s for a, s in submitter.accepted.items()) else None)(
        candidates(selection, call_id)), timeout=120, interval=2, message="each application's last update applied")
    assert set(seen) == set(submitter.accepted)
    return seen


def count_effects(kafka_broker, tally_db, log_dir) -> CountingConsumers:
    """A counting consumer on vorort.applications from its current end: it shows any event applied twice."""
    consumers = CountingConsumers(kafka_broker.bootstrap_servers, tally_db[0], TOPIC_APPLICATIONS, log_dir)
    consumers.skip_history().start()
    return consumers


def every_event_counted(submitter, engine) -> dict:
    eventually(lambda: figures(submitter.events, applied(engine))["consumed"] == sum(submitter.events.values()),
               timeout=600, interval=1, message="the counting consumer applied every event")
    return figures(submitter.events, applied(engine))


def test_kafka_killed_while_applications_are_submitted_loses_nothing(intake, kafka_broker, tally_db, tmp_path,
                                                                    chaos_scale):
    """Scenario 1."""
    total = 1000 if chaos_scale == "short" else 10_000
    down_s = 5 if chaos_scale == "short" else 15
    base = intake.url("applications")
    call_id = open_call(base)
    consumers = count_effects(kafka_broker, tally_db, tmp_path)
    submitter = Submitter(base, call_id, total).start()
    eventually(lambda: submitter.done >= total // 5, timeout=300, message="a fifth submitted")
    killed_at = time.monotonic()
    kafka_broker.kill()
    time.sleep(down_s)  # the outage itself: nothing to poll for
    restart_started = time.monotonic()
    kafka_broker.restart()
    restarted_at = time.monotonic()
    submitter.join()
    assert set(submitter.statuses) <= {200, 201}, submitter.statuses
    db_url = intake.env["APPLICATIONS_DATABASE_URL"]
    eventually(lambda: unpublished(db_url) == 0, timeout=300, interval=0.5, message="outbox drained")
    drained_at = time.monotonic()
    assert_every_submission_reached_the_consumer(intake, call_id, submitter)
    try:
        counts = every_event_counted(submitter, tally_db[1])
    finally:
        consumers.stop()
    report("scenario 1 (Kafka killed)", counts, drained_at - killed_at,
           f"{len(submitter.accepted)} applications (all {total} requests 2xx), broker killed after {total // 5}; "
           f"unavailable {restarted_at - killed_at:.1f} s (restart took {restarted_at - restart_started:.1f} s); "
           f"time to recover = kill to outbox drained; every submission and each last update reached the "
           f"selection consumer, in order")
    assert counts["duplicates"] == 0 and counts["lost"] == 0


def test_kafka_down_for_a_minute_intake_keeps_accepting_and_the_backlog_drains(intake, kafka_broker, tally_db,
                                                                              tmp_path, chaos_scale):
    """Scenario 4 (in CI too: the outage is the full minute, fewer submissions pile up meanwhile)."""
    base = intake.url("applications")
    call_id = open_call(base)
    consumers = count_effects(kafka_broker, tally_db, tmp_path)
    kafka_broker.kill()
    down_since = time.monotonic()
    submitter = Submitter(base, call_id, 600 if chaos_scale == "short" else 2000, threads=4).start()
    submitter.join()
    time.sleep(max(0.0, 60 - (time.monotonic() - down_since)))  # keep the outage at a full minute
    backlog = unpublished(intake.env["APPLICATIONS_DATABASE_URL"])
    kafka_broker.restart()
    restarted = time.monotonic()
    eventually(lambda: unpublished(intake.env["APPLICATIONS_DATABASE_URL"]) == 0, timeout=300, interval=0.5,
               message="backlog drained")
    drained = time.monotonic() - restarted
    assert_every_submission_reached_the_consumer(intake, call_id, submitter)
    visible = time.monotonic() - restarted
    assert set(submitter.statuses) <= {200, 201}, submitter.statuses
    try:
        counts = every_event_counted(submitter, tally_db[1])
    finally:
        consumers.stop()
    report("scenario 4 (Kafka down 60 s)", counts, visible,
           f"intake accepted {len(submitter.accepted)} applications meanwhile; backlog {backlog} events; outbox "
           f"drained {drained:.1f} s after restart; time to recover = restart to every candidate visible")
    assert counts["duplicates"] == 0 and counts["lost"] == 0


def projection_digest(db_url: str, call_id: str) -> str:
    """The digest of one call's part of the projection (the shared test broker's topic also carries
    other tests' calls, which this test's live consumer group may have passed by)."""
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT application_id, call_id, ags, name, size_class, status, statement, state_at FROM candidates "
            "WHERE call_id = :call ORDER BY application_id"), {"call": call_id}).all()
        calls = connection.execute(text("SELECT id, status, places FROM calls WHERE id = :call"),
                                   {"call": call_id}).all()
    engine.dispose()
    return hashlib.sha256(json.dumps([list(map(str, r)) for r in rows + calls]).encode()).hexdigest()


def test_projections_rebuilt_from_their_topics_end_in_the_same_state(intake, chaos_scale):
    """Scenario 5: the selection service's candidates projection (the platform's projection of another
    service's events), rebuilt from scratch from vorort.applications, gives the same digest."""
    base = intake.url("applications")
    call_id = open_call(base)
    submitter = Submitter(base, call_id, 200 if chaos_scale == "short" else 2000, offset=500_000).start()
    submitter.join()
    assert_every_submission_reached_the_consumer(intake, call_id, submitter)
    db_url = intake.env["SELECTION_DATABASE_URL"]
    before = projection_digest(db_url, call_id)
    env = dict(os.environ, **intake.env)
    started = time.monotonic()
    subprocess.run([".venv/bin/python", "-m", "services.selection.app", "rebuild"], cwd=REPO_ROOT, env=env,
                   check=True, capture_output=True)
    rebuilt = projection_digest(db_url, call_id)
    rebuilt_s = time.monotonic() - started
    assert rebuilt == before
    rows = len(candidates(intake.url("selection"), call_id))
    report("scenario 5 (projection rebuilt)", {"accepted": len(submitter.accepted), "consumed": rows,
                                               "duplicates": max(0, rows - len(submitter.accepted)),
                                               "lost": len(submitter.accepted) - rows}, rebuilt_s,
           f"selection candidates rebuilt from vorort.applications; digest {before[:16]} before and after; "
           f"time to recover = the rebuild")


def stored_applications(db_url: str, call_id: str) -> set[str]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM applications WHERE call_id = :call"), {"call": call_id}).scalars()
        found = {str(i) for i in ids}
    engine.dispose()
    return found


def test_postgresql_stopped_under_load_answers_503_and_recovers_without_restart(tmp_path, kafka_bootstrap):
    """Scenario 3: a private PostgreSQL cluster stopped for 30 s while clients keep calling (in CI too)."""
    from shared.db import migrate
    from services.applications.app import MIGRATIONS
    from support import Postgres
    from vorort.broker import free_port

    import tempfile

    port = free_port()
    # Not pytest's tmp_path: it is private to root, and PostgreSQL runs as its own user.
    pg_home = Path(tempfile.mkdtemp(prefix="vorort-chaos-pg-"))
    pg_home.chmod(0o755)
    env = dict(os.environ, VORORT_PG_PORT=str(port), VORORT_PG_DATA=str(pg_home / "pgdata"))
    env.pop("VORORT_TEST_POSTGRES_URL", None)
    admin = subprocess.run([str(REPO_ROOT / "deploy/postgres/start-local.sh")], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    postgres = Postgres(admin)
    # The private test clusters trade durability for speed (fsync, synchronous_commit off); an outage test
    # needs what production has, or an immediate stop loses commits that were already answered with 201.
    durable = create_engine(admin, isolation_level="AUTOCOMMIT")
    with durable.connect() as connection:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            connection.execute(text(f"ALTER SYSTEM SET {setting} = on"))
        connection.execute(text("SELECT pg_reload_conf()"))
    durable.dispose()
    db_url = postgres.create_database("outage")
    migrate(db_url, MIGRATIONS)
    running = None
    try:
        from bench.common import Gunicorn

        running = Gunicorn("services.applications.app:create_app()",
                           {"APPLICATIONS_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap})
        base = f"http://127.0.0.1:{running.port}"
        call_id = open_call(base)
        results, created, stop = [], [], threading.Event()

        def load():
            session, n = requests.Session(), 0
            while not stop.is_set():
                n += 1
                body = {"municipality": {"ags": f"{30_000_000 + threading.get_ident() % 1000 * 10_000 + n:08d}",
                                         "name": "G", "population": 1000},
                        "contact": {"name": "M", "email": "m@example.org"}, "statement": "x"}
                try:
                    r = session.post(f"{base}/v1/calls/{call_id}/applications", json=body, headers=STAFF, timeout=30)
                    results.append((time.monotonic(), r.status_code, r.headers.get("Retry-After")))
                    if r.status_code == 201:
                        created.append(r.json()["id"])
                except requests.RequestException:
                    results.append((time.monotonic(), "error", None))
                time.sleep(0.02)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        pg_bin = subprocess.run(["bash", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1"],
                                capture_output=True, text=True).stdout.strip()
        owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        stopped_at = time.monotonic()
        subprocess.run(owner + [f"{pg_bin}/pg_ctl", "-D", str(pg_home / "pgdata" / "data"), "-m", "immediate",
                                "stop"], check=True, capture_output=True)
        time.sleep(30)
        subprocess.run([str(REPO_ROOT / "deploy/postgres/start-local.sh")], env=env, check=True, capture_output=True)
        started_at = time.monotonic()
        eventually(lambda: any(t > started_at and s == 201 for t, s, _ in results), timeout=60,
                   message="first success after the restart")
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
        stored = stored_applications(db_url, call_id)
    finally:
        if running:
            running.stop()
        pg_bin = subprocess.run(["bash", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1"],
                                capture_output=True, text=True).stdout.strip()
        owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(owner + [f"{pg_bin}/pg_ctl", "-D", str(pg_home / "pgdata" / "data"), "-m", "fast", "stop"],
                       capture_output=True)
    during = [(s, ra) for t, s, ra in results if stopped_at <= t <= started_at]
    statuses = {s for s, _ in during}
    assert 500 not in {s for _, s, _ in results}
    assert statuses <= {201, 503}, statuses
    assert all(ra for s, ra in during if s == 503)
    first_success = min(t for t, s, _ in results if t > started_at and s == 201) - started_at
    error_rate = sum(1 for s, _ in during if s != 201) / max(1, len(during))
    # A request cut off by the outage may have committed without its caller seeing the 201 (it saw an error
    # and may retry with its Idempotency-Key): such rows are unacknowledged, not duplicates.
    counts = {"accepted": len(created), "consumed": len(set(created) & stored),
              "duplicates": len(created) - len(set(created)), "lost": len(set(created) - stored)}
    report("scenario 3 (PostgreSQL stopped 30 s)", counts, first_success,
           f"{len(during)} requests meanwhile, error rate {error_rate:.0%}, all 503 with Retry-After, none 500; "
           f"{len(stored - set(created))} stored without the caller seeing its 201; "
           f"consumed = accepted applications found in the database; time to recover = database back to the "
           f"first 201, without restarting the service")
    assert counts["lost"] == 0 and counts["duplicates"] == 0
