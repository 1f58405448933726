"""The portal's part of the demo: people who may sign in, each with something to see.

- Jana Beispiel (Wassenberg, selected) and Tom Muster (Bocholt, not selected) see their 2018 application;
  Wassenberg's decision letter is approved by the office, so it is mailed and shown in the portal.
- Dr. Henrike Beispiel and Prof. Dr. Lena Erfunden (steering group) see the call, their reviews, and, the
  review being closed by the decision, the ranking and the proposal.
- Paula Partner (a partner of Wassenberg) is invited to Wassenberg's workshops scheduled from now on, and,
  like every signed-in person, registers her organisation's webhook endpoints on /webhooks.
- Guests need no account: the scheduled workshops are on /workshops.
Sign-in links go to the development mail sink (the `mail` process of deploy/Procfile): var/mail/new/.
Idempotent: running it again changes nothing.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import requests
from sqlalchemy import insert, select

from shared.config import ServiceSettings, service_url

PEOPLE = [  # (email, name, role, extra)
    ("jana.beispiel@wassenberg.example.org", "Jana Beispiel", "municipality",
     {"ags": "05370040", "organisation": "Stadt Wassenberg"}),
    ("tom.muster@bocholt.example.org", "Tom Muster", "municipality",
     {"ags": "05554008", "organisation": "Stadt Bocholt"}),
    ("henrike.beispiel@example.org", "Dr. Henrike Beispiel", "steering", {"member_id": "stg-ministerium"}),
    ("lena.erfunden@example.org", "Prof. Dr. Lena Erfunden", "steering", {"member_id": "stg-tu-dortmund"}),
    ("paula.partner@gesamtschule-wassenberg.example.org", "Paula Partner", "partner",
     {"ags": "05370040", "organisation": "Gesamtschule Wassenberg"}),
]
LETTER_FOR = "05370040"


def load_portal_demo(call_id: str, staff_headers: dict) -> list[str]:
    from services.portal.db import submitted_applications
    from services.portal.people import LocalPeople
    from shared.db import make_engine

    engine = make_engine(ServiceSettings.from_env("portal").database_url)
    people = LocalPeople(engine)
    now = datetime.now(timezone.utc)
    for email, name, role, extra in PEOPLE:
        people.add(email=email, name=name, role=role, now=now, **extra)
    applications = requests.get(f"{service_url('applications')}/v1/calls/{call_id}/applications",
                                params={"page_size": 100}, headers=staff_headers, timeout=10)
    applications.raise_for_status()
    by_ags = {a["municipality"]["ags"]: a["id"] for a in applications.json()}
    with engine.begin() as connection:
        for _, _, role, extra in PEOPLE:
            ags = extra.get("ags")
            if role != "municipality" or ags not in by_ags:
                continue
            known = connection.execute(select(submitted_applications.c.application_id).where(
                submitted_applications.c.ags == ags, submitted_applications.c.call_id == call_id)).first()
            if known is None:
                connection.execute(insert(submitted_applications).values(
                    ags=ags, call_id=call_id, application_id=by_ags[ags], submitted_at=now))
    engine.dispose()
    _send_letter(by_ags.get(LETTER_FOR), call_id, staff_headers)
    return [f"  Portal:            {service_url('portal')}  (sign in as {PEOPLE[0][0]},",
            f"                     {PEOPLE[2][0]} ...; the links land in var/mail/new/)"]


def _send_letter(application_id: str | None, call_id: str, staff_headers: dict, timeout: float = 60.0) -> None:
    """Approve Wassenberg's decision letter once publishing has drafted it (it learns of the decision by event)."""
    if application_id is None:
        return
    base = service_url("publishing")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notices = requests.get(f"{base}/v1/notices", params={"call_id": call_id, "page_size": "100"},
                               headers=staff_headers, timeout=10)
        notices.raise_for_status()
        mine = [n for n in notices.json() if n["application_id"] == application_id]
        if mine and mine[0]["status"] != "pending_review":
            return
        if mine:
            answer = requests.post(f"{base}/v1/notices/{mine[0]['id']}/approve", headers=staff_headers, timeout=10)
            if answer.status_code < 300:
                return
        time.sleep(1)
