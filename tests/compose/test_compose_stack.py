"""End to end through docker compose (pytest-docker): runs only where a Docker engine answers."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import requests

from shared.config import REPO_ROOT


def _docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [
    pytest.mark.compose,
    pytest.mark.skipif(not _docker_engine_available(),
                       reason="no Docker engine answers `docker info` on this machine; the same platform is "
                              "tested end to end without Docker by tests/integration and tests/browser"),
]


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(REPO_ROOT / "docker-compose.yml")


def _up(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


COMPOSE_JWT_SECRET = "change-me-compose-development-secret"  # docker-compose.yml's default


@pytest.fixture(scope="session")
def applications_base(docker_ip, docker_services) -> str:
    base = f"http://{docker_ip}:{docker_services.port_for('applications-web', 8001)}"
    docker_services.wait_until_responsive(timeout=300, pause=2, check=lambda: _up(f"{base}/readyz"))
    return base


def _bearer(monkeypatch, role: str, subject: str, ags: str | None = None) -> dict:
    """A token the compose stack accepts: signed with its development secret."""
    from shared.auth import issue_token

    monkeypatch.setenv("VORORT_JWT_SECRET", COMPOSE_JWT_SECRET)
    return {"Authorization": f"Bearer {issue_token(role, subject, ags=ags)}"}


def test_compose_stack_serves_the_applications_openapi_document(applications_base):
    document = requests.get(f"{applications_base}/openapi.json", timeout=5).json()
    assert "/v1/calls" in document["paths"]


def test_compose_stack_accepts_an_application(applications_base, monkeypatch):
    from datetime import datetime, timedelta, timezone

    staff = _bearer(monkeypatch, "staff", "staff:compose-test")
    now = datetime.now(timezone.utc)
    call = requests.post(f"{applications_base}/v1/calls", headers=staff, timeout=10, json={
        "title": "Compose", "topic": "Smart City", "places": 1, "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()})
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    assert requests.post(f"{applications_base}/v1/calls/{call_id}/open", headers=staff, timeout=10).status_code == 200
    municipality = _bearer(monkeypatch, "municipality", "wassenberg", ags="05370040")
    submitted = requests.post(f"{applications_base}/v1/calls/{call_id}/applications", headers=municipality,
                              timeout=10, json={
                                  "municipality": {"ags": "05370040", "name": "Wassenberg", "population": 18500},
                                  "contact": {"name": "Jana Beispiel", "email": "jana.beispiel@example.org"},
                                  "statement": "Smart-City-Strategie mit Innenstadt"})
    assert submitted.status_code == 201, submitted.text
    stored = requests.get(f"{applications_base}/v1/applications/{submitted.json()['id']}", headers=staff, timeout=10)
    assert stored.status_code == 200
    assert (stored.json()["status"], stored.json()["municipality"]["name"]) == ("submitted", "Wassenberg")
