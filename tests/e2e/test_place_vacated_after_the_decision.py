"""Over the whole platform (real processes, Kafka, PostgreSQL, SMTP): a selected municipality withdraws
after the decision. Its workshops ahead are cancelled and the registrants are written to; the office names
a successor in the admin (German), and the successor gets the workshop series and its decision letter."""
from __future__ import annotations

import email
import re
from datetime import datetime, timedelta, timezone
from email import policy
from zoneinfo import ZoneInfo

import pytest
import requests

from admin_support import staff_session
from programme_support import MEMBERS, STAFF, decided_call, ok
from support import bearer, eventually

pytestmark = pytest.mark.integration

REGISTRANT = "mara.beispiel@verein.example"


def workshops_of(urls, call_id, ags) -> list[dict]:
    return requests.get(f"{urls['workshops']}/v1/workshops", headers=STAFF, timeout=30,
                        params={"call_id": call_id, "ags": ags}).json()


def test_a_withdrawal_after_the_decision_cancels_notifies_and_a_successor_takes_the_place(platform):
    urls = platform.urls
    programme = decided_call(urls)
    wassenberg, berleburg = programme.applications["Wassenberg"], programme.applications["Bad Berleburg"]
    assert programme.decision["selected"][0] == wassenberg["id"]

    series = eventually(lambda: len(workshops_of(urls, programme.call_id, wassenberg["ags"])) == 2
                        and workshops_of(urls, programme.call_id, wassenberg["ags"]), timeout=120, interval=0.5,
                        message="Wassenberg's workshops planned")
    first = min(series, key=lambda w: w["sequence"])["id"]
    starts = datetime.now(timezone.utc) + timedelta(days=30)
    ok(requests.patch(f"{urls['workshops']}/v1/workshops/{first}", headers=STAFF, timeout=30, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=6)).isoformat(),
        "venue": "Rathaus Wassenberg", "capacity": 30}))
    ok(requests.post(f"{urls['workshops']}/v1/workshops/{first}/registrations", timeout=30,
                     headers=bearer("partner", "ihk-nrw:mara"), json={
                         "name": "Mara Beispiel", "email": REGISTRANT, "organisation": "IHK NRW",
                         "participant_type": "steering_partner", "consent": True}))

    ok(requests.post(f"{urls['applications']}/v1/applications/{wassenberg['id']}/withdraw", timeout=30,
                     headers=programme.municipality_headers("Wassenberg")))

    eventually(lambda: {w["status"] for w in workshops_of(urls, programme.call_id, wassenberg["ags"])}
               == {"cancelled"}, timeout=120, interval=0.5, message="Wassenberg's workshops cancelled")

    def cancellation_mail():
        for message in platform.smtp.messages:
            if REGISTRANT in message["to"]:
                return email.message_from_bytes(message["data"], policy=policy.default)
        return None
    letter = eventually(cancellation_mail, timeout=120, interval=0.5, message="the registrant is told")
    day = starts.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")
    assert str(letter["Subject"]) == f"Abgesagt: die 1. Strategiewerkstatt in Wassenberg am {day}"

    admin = staff_session(platform)
    page = eventually(lambda: (lambda text: "Frei gewordene Plätze" in text and text)(
        admin.get(f"/calls/{programme.call_id}/selection/decision").text), timeout=120, interval=0.5,
        message="the admin shows the vacated place")
    assert "Wassenberg hat die Bewerbung zurückgezogen" in page
    form_path = f"/calls/{programme.call_id}/selection/decision/vacancies/{wassenberg['id']}"
    form = admin.get(form_path).text
    assert "Nachfolge für Wassenberg" in form and "Die Ausgewogenheitsregel verlangt für diesen Platz" in form
    assert re.search(rf'value="{berleburg["id"]}"[^>]*checked', form) or \
        re.search(rf'checked[^>]*value="{berleburg["id"]}"', form), "the proposed successor is preselected"

    decided_at = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    answer = admin.post(form_path, {"successor": berleburg["id"], "present": list(MEMBERS), "decided_at": decided_at,
                                    "rationale": "Bad Berleburg rückt als bestplatzierte Kleinstadt nach."})
    assert answer.status_code == 302, answer.text[:2000]

    decision = ok(requests.get(f"{urls['selection']}/v1/calls/{programme.call_id}/decision", headers=STAFF,
                               timeout=30))
    assert decision["selected"][0] == berleburg["id"] and decision["vacated"] == []
    eventually(lambda: {w["status"] for w in workshops_of(urls, programme.call_id, berleburg["ags"])} == {"planned"}
               and len(workshops_of(urls, programme.call_id, berleburg["ags"])) == 2, timeout=120, interval=0.5,
               message="the successor's workshops planned")

    def selected_letter():
        notices = requests.get(f"{urls['publishing']}/v1/notices", headers=STAFF, timeout=30,
                               params={"call_id": programme.call_id, "page_size": 100}).json()
        return [n for n in notices if n["application_id"] == berleburg["id"] and n["kind"] == "selected"]
    [letter] = eventually(selected_letter, timeout=120, interval=0.5, message="the successor's letter")
    assert "Bad Berleburg wurde ausgewählt" in letter["subject"]
    assert "Bad Berleburg rückt für Wassenberg nach" in admin.get(
        f"/calls/{programme.call_id}/selection/decision").text
