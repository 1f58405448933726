"""A call taken through the public APIs of a running platform, from opening to the steering group's decision.

Used by the end-to-end tests that need a decided call (dashboard figures, decision amendments, exports).
Every step goes over HTTP with the role that does it in real life; nothing is written behind the APIs' backs.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests

from support import bearer, eventually

STAFF = bearer("staff", "staff:programme-test")
MEMBERS = ("mhkbg", "staedtetag", "ihk")

# Invented figures for real municipalities: two of every class, so that every place has a successor.
TOWNS = (
    ("Wassenberg", 18_500), ("Bad Berleburg", 19_400),     # small
    ("Arnsberg", 74_200), ("Lemgo", 40_700),                # medium
    ("Siegen", 102_000), ("Paderborn", 150_500),            # large
)


def ok(response: requests.Response) -> dict:
    assert response.status_code < 300, (response.request.method, response.url, response.status_code,
                                        response.text[:800])
    return response.json() if response.content else {}


def unique_ags() -> str:
    return f"05{uuid.uuid4().int % 10**6:06d}"


@dataclass
class ProgrammeCall:
    call_id: str
    applications: dict  # town name -> {"id", "ags", "contact_email"}
    withdrawn_before_decision: list = field(default_factory=list)
    decision: dict | None = None

    def id_of(self, town: str) -> str:
        return self.applications[town]["id"]

    def municipality_headers(self, town: str) -> dict:
        return bearer("municipality", f"kommune-{town}", ags=self.applications[town]["ags"])


def open_call(urls: dict, *, places: int = 3, title: str | None = None) -> str:
    now = datetime.now(timezone.utc)
    call = ok(requests.post(f"{urls['applications']}/v1/calls", headers=STAFF, timeout=30, json={
        "title": title or f"Netzwerk vor Ort {uuid.uuid4().hex[:6]}", "topic": "Smart City", "places": places,
        "opens_at": (now - timedelta(hours=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat()}))
    ok(requests.post(f"{urls['applications']}/v1/calls/{call['id']}/open", headers=STAFF, timeout=30))
    return call["id"]


def apply(urls: dict, call_id: str, town: str, population: int) -> dict:
    ags = unique_ags()
    email = f"kontakt.{uuid.uuid4().hex[:8]}@example.org"
    application = ok(requests.post(
        f"{urls['applications']}/v1/calls/{call_id}/applications", timeout=30,
        headers=bearer("municipality", f"kommune-{town}", ags=ags),
        json={"municipality": {"ags": ags, "name": town, "population": population},
              "contact": {"name": f"Ansprechperson {town}", "email": email},
              "focus_areas": ["mobility"], "statement": f"Smart-City-Konzept für {town}"}))
    return {"id": application["id"], "ags": ags, "contact_email": email}


def decided_call(urls: dict, *, towns=TOWNS, withdraw_before_decision: tuple = (), places: int = 3,
                 scores: dict | None = None) -> ProgrammeCall:
    """A call with one application per town, closed, reviewed by three members and decided as proposed.

    `scores` (town -> 0..5, default: by position, earlier towns higher) sets every criterion of every
    review, so the ranking is known in advance.
    """
    apps, sel = urls["applications"], urls["selection"]
    call_id = open_call(urls, places=places)
    programme = ProgrammeCall(call_id, {town: apply(urls, call_id, town, population) for town, population in towns})
    for town in withdraw_before_decision:
        ok(requests.post(f"{apps}/v1/applications/{programme.id_of(town)}/withdraw", timeout=30,
                         headers=programme.municipality_headers(town)))
        programme.withdrawn_before_decision.append(town)
    ok(requests.post(f"{apps}/v1/calls/{call_id}/close", headers=STAFF, timeout=30))
    live = len(towns) - len(withdraw_before_decision)

    def selection_has_it():
        response = requests.get(f"{sel}/v1/calls/{call_id}", headers=STAFF, timeout=30)
        return response.status_code == 200 and response.json()["status"] == "closed" \
            and response.json()["candidates"] == live
    eventually(selection_has_it, timeout=120, interval=0.5, message="the selection knows the closed call")

    ok(requests.put(f"{sel}/v1/calls/{call_id}/panel", headers=STAFF, timeout=30, json={"members": [
        {"id": member, "name": f"Mitglied {member}", "institution": member.upper(),
         "email": f"{member}@example.org", "role": "chair" if member == MEMBERS[0] else "member"}
        for member in MEMBERS]}))
    criteria = [c["key"] for c in ok(requests.get(f"{sel}/v1/criteria/defaults", headers=STAFF,
                                                  timeout=30))["criteria"]]
    scores = scores or {town: max(0, 5 - index // 2) for index, (town, _) in enumerate(towns)}
    for town, _ in towns:
        if town in withdraw_before_decision:
            continue
        for member in MEMBERS:
            ok(requests.put(
                f"{sel}/v1/calls/{call_id}/candidates/{programme.id_of(town)}/reviews/{member}", timeout=30,
                headers=bearer("steering", member), json={"scores": dict.fromkeys(criteria, scores[town])}))
    proposal = ok(requests.get(f"{sel}/v1/calls/{call_id}/proposal", headers=STAFF, timeout=30))
    programme.decision = ok(requests.post(f"{sel}/v1/calls/{call_id}/decision", headers=STAFF, timeout=30, json={
        "selected": [line["application_id"] for line in proposal["selected"]],
        "rationale": "Je eine Klein-, Mittel- und Großstadt mit tragfähigem Konzept.",
        "decided_at": datetime.now(timezone.utc).isoformat(), "present_member_ids": list(MEMBERS)}))
    return programme
