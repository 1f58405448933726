"""The worker's probes (Kubernetes liveness and readiness): `/healthz` while its loops live, `/readyz`
while its database and Kafka answer, on VORORT_WORKER_HEALTH_PORT."""
from __future__ import annotations

import os
import signal
import subprocess

import pytest
import requests

from shared.config import REPO_ROOT
from support import eventually
from vorort.broker import free_port

pytestmark = pytest.mark.integration


def probe(port: int, path: str):
    try:
        response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        return response.status_code, response.json()
    except requests.RequestException:
        return None


def test_worker_answers_liveness_and_readiness_and_readiness_fails_without_its_database(
        pg_database, kafka_bootstrap, tmp_path):
    port = free_port()
    env = dict(os.environ, APPLICATIONS_DATABASE_URL=pg_database("applications"),
               KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, VORORT_WORKER_HEALTH_PORT=str(port))
    process = subprocess.Popen([str(REPO_ROOT / ".venv/bin/vorort"), "worker", "applications"], cwd=REPO_ROOT,
                               env=env, stdout=open(tmp_path / "worker.log", "ab"), stderr=subprocess.STDOUT)
    try:
        assert eventually(lambda: probe(port, "/healthz"), timeout=60, message="worker health up") == (
            200, {"status": "ok"})
        status, body = probe(port, "/readyz")
        assert status == 200 and body["checks"] == {"database": True, "kafka": True}
        assert probe(port, "/other")[0] == 404
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)

    # Same worker, a database that does not answer: alive, but not ready.
    port = free_port()
    env.update(APPLICATIONS_DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
               VORORT_WORKER_HEALTH_PORT=str(port))
    process = subprocess.Popen([str(REPO_ROOT / ".venv/bin/vorort"), "worker", "applications"], cwd=REPO_ROOT,
                               env=env, stdout=open(tmp_path / "worker.log", "ab"), stderr=subprocess.STDOUT)
    try:
        eventually(lambda: probe(port, "/healthz"), timeout=60, message="worker health up")
        status, body = probe(port, "/readyz")
        assert status == 503 and body["checks"]["database"] is False
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
