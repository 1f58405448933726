"""The admin lets only logged-in staff in: CSRF on every form, no bearer tokens, throttled logins."""
from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from admin_support import AdminSession
from shared.config import REPO_ROOT
from support import bearer

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(platform) -> AdminSession:
    return AdminSession(platform.url("admin"))


@pytest.fixture
def staff_admin(platform, admin) -> AdminSession:
    response = admin.login(platform.staff["username"], platform.staff["password"])
    assert response.status_code == 302, response.text
    return admin


def add_staff_account(platform, username: str, password: str) -> None:
    env = dict(__import__("os").environ)
    env.update(platform.env)
    subprocess.run([str(Path(sys.executable).parent / "vorort"), "staff", "add", username, "--password", password],
                   cwd=REPO_ROOT, env=env, check=True, capture_output=True)


def draft_call(platform, title: str) -> dict:
    now = datetime.now(timezone.utc)
    response = requests.post(f"{platform.url('applications')}/v1/calls", headers=bearer("staff", "test:setup"),
                             json={"title": title, "topic": "Smart City", "opens_at": now.isoformat(),
                                   "closes_at": (now + timedelta(days=30)).isoformat(), "places": 3}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def call_status(platform, call_id: str) -> str:
    return requests.get(f"{platform.url('applications')}/v1/calls/{call_id}", headers=bearer("staff", "test:check"),
                        timeout=10).json()["status"]


def test_pages_lead_to_the_login_without_a_session(admin):
    for path in ("/", "/calls", "/workshops", "/publications", "/operations"):
        response = admin.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_a_municipality_token_sent_as_bearer_gets_nothing(platform, admin):
    title = f"Nur für die Geschäftsstelle {uuid.uuid4().hex[:6]}"
    draft_call(platform, title)
    for headers in (bearer("municipality", "municipality:05370040", ags="05370040"), bearer("staff", "staff:someone")):
        for path in ("/", "/calls", "/operations"):
            response = admin.get(path, headers=headers)
            assert response.status_code == 302 and response.headers["Location"].startswith("/login")
            assert title not in response.text
        followed = admin.get("/calls", headers=headers, allow_redirects=True)
        assert title not in followed.text
        assert "Anmelden" in followed.text


def test_a_login_without_its_csrf_token_is_rejected(platform, admin):
    response = admin.post("/login", {"username": platform.staff["username"], "password": platform.staff["password"]},
                          with_token=False)
    assert response.status_code == 400
    assert "Sicherheitsmerkmal" in response.text
    assert admin.get("/").status_code == 302  # still not logged in


def test_a_staff_action_without_its_csrf_token_is_rejected(platform, staff_admin):
    call = draft_call(platform, f"CSRF-Probe {uuid.uuid4().hex[:6]}")
    refused = staff_admin.post(f"/calls/{call['id']}/open", with_token=False)
    assert refused.status_code == 400
    assert "Formular abgelehnt" in refused.text
    assert call_status(platform, call["id"]) == "draft"

    accepted = staff_admin.post(f"/calls/{call['id']}/open", token_from=f"/calls/{call['id']}")
    assert accepted.status_code == 302
    assert call_status(platform, call["id"]) == "open"


def test_a_wrong_password_is_refused_in_german(platform, admin):
    response = admin.login(platform.staff["username"], "not-the-password")
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch" in response.text


def test_repeated_failed_logins_are_throttled_even_for_the_right_password(platform, admin):
    username, password = f"bernd.{uuid.uuid4().hex[:8]}", "richtiges-passwort-" + uuid.uuid4().hex[:6]
    add_staff_account(platform, username, password)
    for _ in range(5):
        assert admin.login(username, "falsches-passwort").status_code == 401
    throttled = admin.login(username, password)
    assert throttled.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in throttled.text
    # Someone else is not locked out by it.
    other = AdminSession(platform.url("admin"))
    assert other.login(platform.staff["username"], platform.staff["password"]).status_code == 302


def test_logging_out_ends_the_session(staff_admin):
    assert staff_admin.get("/").status_code == 200
    assert staff_admin.post("/logout", token_from="/").status_code == 302
    assert staff_admin.get("/").status_code == 302


def test_the_language_switch_only_returns_to_local_pages(staff_admin):
    response = staff_admin.get("/language/en?next=https://evil.example.org/")
    assert response.headers["Location"] == "/"
    english = staff_admin.get("/", allow_redirects=True)
    assert '<html lang="en">' in english.text and "Overview" in english.text
    staff_admin.get("/language/de?next=/calls")
    assert '<html lang="de">' in staff_admin.get("/calls").text


def test_pages_forbid_framing_and_foreign_scripts(staff_admin):
    response = staff_admin.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    cookie = next(c for c in staff_admin.http.cookies if c.name == "vorort_admin_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
