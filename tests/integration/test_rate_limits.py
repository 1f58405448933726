"""Rate limits per caller, shared by every worker process through the service's database."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from shared.config import REPO_ROOT
from support import bearer, eventually

pytestmark = pytest.mark.integration


def test_rate_limit_per_token_holds_across_gunicorn_workers_and_answers_429_with_retry_after(
        pg_database, tmp_path, monkeypatch):
    import os

    from vorort.broker import free_port

    db_url = pg_database("applications")
    port = free_port()
    env = dict(os.environ, APPLICATIONS_DATABASE_URL=db_url, VORORT_RATE_LIMIT_PER_MINUTE="30",
               KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "3",
                               "services.applications.app:create_app()"], cwd=REPO_ROOT, env=env,
                              stdout=open(tmp_path / "web.log", "ab"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        eventually(lambda: _up(base), timeout=60, message="gunicorn up")
        # Avoid straddling a window boundary, which would split the count in two.
        if time.time() % 60 > 45:
            time.sleep(61 - time.time() % 60)
        erika, jonas = bearer("staff", "erika"), bearer("staff", "jonas")
        statuses = []
        for _ in range(40):  # new connections each time: gunicorn spreads them over its 3 workers
            response = requests.get(f"{base}/v1/calls", headers=erika, timeout=5)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) >= 1
                assert response.json()["code"] == 429
        assert statuses.count(200) == 30 and statuses.count(429) == 10
        assert requests.get(f"{base}/v1/calls", headers=jonas, timeout=5).status_code == 200, "per token"
    finally:
        server.terminate()
        server.wait(20)


def _up(base):
    try:
        return requests.get(f"{base}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False
