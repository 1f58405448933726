"""Exports from the admin over the running platform: CSV and JSON of applications, reviews, ranking,
decision, members and workshop participants; personal data only in the variant that asks for it, and only
for a logged-in staff member (nobody else has an admin account)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import requests

from admin_support import AdminSession, staff_session
from programme_support import STAFF, decided_call, ok
from support import bearer, eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exported(platform):
    """A decided call with a registered workshop participant and a network member."""
    urls = platform.urls
    programme = decided_call(urls)
    wassenberg = programme.applications["Wassenberg"]
    workshops = eventually(lambda: requests.get(f"{urls['workshops']}/v1/workshops", headers=STAFF, timeout=30,
                                                params={"call_id": programme.call_id, "ags": wassenberg["ags"]}).json(),
                           timeout=120, interval=0.5, message="workshops planned")
    first = min(workshops, key=lambda w: w["sequence"])["id"]
    starts = datetime.now(timezone.utc) + timedelta(days=20)
    ok(requests.patch(f"{urls['workshops']}/v1/workshops/{first}", headers=STAFF, timeout=30, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=5)).isoformat(), "capacity": 20}))
    ok(requests.post(f"{urls['workshops']}/v1/workshops/{first}/registrations", headers=bearer("partner", "p-1"),
                     timeout=30, json={"name": "Lotta Exportprobe", "email": "lotta.exportprobe@example.org",
                                       "organisation": "Handelsverband NRW", "participant_type": "steering_partner",
                                       "consent": True}))
    ok(requests.post(f"{urls['publishing']}/v1/members", headers=STAFF, timeout=30, json={
        "name": "Stadt Exporthausen", "kind": "municipality", "ags": "05999001",
        "email": "buero.exporthausen@example.org", "contact_name": "Ole Kontaktmann"}))
    return programme, staff_session(platform)


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _json(response) -> dict:
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_applications_without_personal_data_carry_no_contact(exported):
    programme, admin = exported
    rows = _csv(admin.get(f"/calls/{programme.call_id}/exports/applications.csv"))
    assert sorted(r["municipality"] for r in rows) == sorted(programme.applications)
    assert "contact_email" not in rows[0] and "contact_name" not in rows[0]
    raw = admin.get(f"/calls/{programme.call_id}/exports/applications.json").text
    assert not any(a["contact_email"] in raw for a in programme.applications.values())


def test_applications_with_personal_data_carry_the_contacts(exported):
    programme, admin = exported
    data = _json(admin.get(f"/calls/{programme.call_id}/exports/applications.json?personal=1"))
    assert data["personal_data"] is True
    assert {r["contact_email"] for r in data["rows"]} == {a["contact_email"] for a in programme.applications.values()}


def test_reviews_ranking_and_decision(exported):
    programme, admin = exported
    reviews = _csv(admin.get(f"/calls/{programme.call_id}/exports/reviews.csv"))
    assert len(reviews) == 6 * 3 and "member_name" not in reviews[0]
    assert {r["score_strategic_approach"] for r in reviews if r["municipality"] == "Wassenberg"} == {"5"}
    named = _json(admin.get(f"/calls/{programme.call_id}/exports/reviews.json?personal=1"))["rows"]
    assert {r["member_name"] for r in named} == {"Mitglied mhkbg", "Mitglied staedtetag", "Mitglied ihk"}
    ranking = _json(admin.get(f"/calls/{programme.call_id}/exports/ranking.json"))["rows"]
    assert [r["rank"] for r in ranking] == list(range(1, 7))
    decision = _csv(admin.get(f"/calls/{programme.call_id}/exports/decision.csv"))
    outcomes = {r["municipality"]: r["outcome"] for r in decision}
    assert sorted(m for m, o in outcomes.items() if o == "selected") == ["Arnsberg", "Siegen", "Wassenberg"]
    assert sum(o == "not selected" for o in outcomes.values()) == 3


def test_participants_and_members_only_with_personal_data_show_who_they_are(exported):
    programme, admin = exported
    plain = admin.get(f"/calls/{programme.call_id}/exports/participants.csv")
    rows = _csv(plain)
    assert [r["organisation"] for r in rows] == ["Handelsverband NRW"] and "Lotta" not in plain.text
    full = _json(admin.get(f"/calls/{programme.call_id}/exports/participants.json?personal=1"))["rows"]
    assert [(r["name"], r["email"]) for r in full] == [("Lotta Exportprobe", "lotta.exportprobe@example.org")]
    members = admin.get(f"/calls/{programme.call_id}/exports/members.csv")
    assert "Stadt Exporthausen" in members.text and "Ole Kontaktmann" not in members.text
    assert "buero.exporthausen@example.org" not in members.text
    assert "Ole Kontaktmann" in admin.get(f"/calls/{programme.call_id}/exports/members.csv?personal=1").text


def test_the_export_page_is_german_and_exports_need_a_staff_login(platform, exported):
    programme, admin = exported
    page = admin.get(f"/calls/{programme.call_id}/exports").text
    assert "Ohne personenbezogene Daten" in page and "Mit personenbezogenen Daten" in page
    anonymous = AdminSession(platform.url("admin"))
    response = anonymous.get(f"/calls/{programme.call_id}/exports/applications.csv?personal=1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert admin.get(f"/calls/{programme.call_id}/exports/secrets.csv").status_code == 404
