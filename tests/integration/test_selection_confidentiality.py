"""Steering confidentiality in the selection API (OWASP API1): a member sees only the calls whose panel it
sits on, and the other members' scores (their reviews, the ranking, the proposal) only once the decision
has closed the review (blind review). Over real PostgreSQL, events fed through the service's handlers."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from selection_support import call_closed, feed, seed_call
from services.selection.app import create_app
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "erika.office")
TOWNS = [("Wassenberg", "05370040", 18_500), ("Arnsberg", "05958004", 74_200), ("Siegen", "05970040", 102_000)]


def member(member_id: str) -> dict:
    return bearer("steering", member_id)


@pytest.fixture
def client(pg_database):
    return create_app(settings("selection", pg_database("selection"), "127.0.0.1:1")).test_client()


def closed_call(client, members: list[str]) -> tuple[str, dict]:
    uow = client.application.extensions["vorort"].uow_factory
    call_id, ids = seed_call(uow, places=1, towns=TOWNS)
    feed(uow, call_closed(call_id, places=1))
    panel = {"members": [{"id": m, "name": f"Person {i}", "institution": "Städtetag NRW",
                          "email": f"{m}@example.org", "role": "member"} for i, m in enumerate(members)],
             "criteria": [{"key": "concept", "label": "Konzept", "weight": 1.0}]}
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel).status_code == 200
    assert client.put(f"/v1/calls/{call_id}/balance-rule", headers=STAFF,
                      json={"minimum": {}, "maximum": {}}).status_code == 200
    return call_id, ids


def review(client, call_id, application_id, member_id, score):
    response = client.put(f"/v1/calls/{call_id}/candidates/{application_id}/reviews/{member_id}",
                          headers=member(member_id), json={"scores": {"concept": score}, "comment": "gut"})
    assert response.status_code in (200, 201), response.get_json()


def decide(client, call_id, selected, present):
    response = client.post(f"/v1/calls/{call_id}/decision", headers=STAFF, json={
        "selected": [selected], "rationale": "Das beste Konzept.", "present_member_ids": present,
        "decided_at": datetime.now(timezone.utc).isoformat()})
    assert response.status_code == 201, response.get_json()


def test_a_member_lists_and_reads_only_the_calls_of_its_own_panel(client):
    mine, _ = closed_call(client, ["stg-a", "stg-b"])
    other, other_ids = closed_call(client, ["stg-c"])
    listed = client.get("/v1/calls", headers=member("stg-a"))
    assert [c["id"] for c in listed.get_json()] == [mine]
    assert {c["id"] for c in client.get("/v1/calls", headers=STAFF).get_json()} == {mine, other}
    for path in ("", "/panel", "/candidates", f"/candidates/{other_ids['Wassenberg']}", "/reviews", "/conflicts",
                 "/balance-rule", "/ranking", "/proposal", "/decision/amendments"):
        response = client.get(f"/v1/calls/{other}{path}", headers=member("stg-a"))
        assert response.status_code == 404, (path, response.status_code)
    # the other panel's call answers as an unknown one does, before the body is even looked at
    unknown = client.get("/v1/calls/00000000-0000-0000-0000-000000000000", headers=member("stg-a")).get_json()
    foreign = client.get(f"/v1/calls/{other}", headers=member("stg-a")).get_json()
    assert foreign["message"].replace(other, "X") == unknown["message"].replace(
        "00000000-0000-0000-0000-000000000000", "X")
    write = client.put(f"/v1/calls/{other}/candidates/{other_ids['Wassenberg']}/reviews/stg-a",
                       headers=member("stg-a"), json={"scores": {"concept": "not a score"}})
    assert write.status_code == 404


def test_reviews_are_blind_until_the_decision_closes_the_review(client):
    call_id, ids = closed_call(client, ["stg-a", "stg-b"])
    review(client, call_id, ids["Wassenberg"], "stg-a", 5)
    review(client, call_id, ids["Wassenberg"], "stg-b", 2)
    review(client, call_id, ids["Arnsberg"], "stg-b", 4)
    candidate = f"/v1/calls/{call_id}/candidates/{ids['Wassenberg']}/reviews"

    # before the decision: one's own review only, nothing put together
    assert {r["member_id"] for r in client.get(f"/v1/calls/{call_id}/reviews", headers=member("stg-a")).json} == {"stg-a"}
    assert {r["member_id"] for r in client.get(candidate, headers=member("stg-a")).json} == {"stg-a"}
    assert client.get(f"{candidate}/stg-b", headers=member("stg-a")).status_code == 403
    assert client.get(f"/v1/calls/{call_id}/reviews?member_id=stg-b", headers=member("stg-a")).status_code == 403
    for path in ("/ranking", "/proposal"):
        refused = client.get(f"/v1/calls/{call_id}{path}", headers=member("stg-a"))
        assert refused.status_code == 403 and "Blind review" in refused.json["message"]
        assert client.get(f"/v1/calls/{call_id}{path}", headers=STAFF).status_code == 200
    # the candidates list tells who is missing, never a score
    listed = client.get(f"/v1/calls/{call_id}/candidates", headers=member("stg-a")).json
    assert "score" not in str(listed) and "weighted_mean" not in str(listed)

    decide(client, call_id, ids["Arnsberg"], ["stg-a", "stg-b"])  # the proposal: 4 over (5 + 2) / 2

    # after it: every member's reviews of the call, the ranking and the proposal
    assert {r["member_id"] for r in client.get(candidate, headers=member("stg-a")).json} == {"stg-a", "stg-b"}
    assert client.get(f"{candidate}/stg-b", headers=member("stg-a")).json["scores"] == {"concept": 2}
    assert len(client.get(f"/v1/calls/{call_id}/reviews", headers=member("stg-a")).json) == 3
    ranking = client.get(f"/v1/calls/{call_id}/ranking", headers=member("stg-a")).json
    assert [e["application_id"] for e in ranking["entries"][:2]] == [ids["Arnsberg"], ids["Wassenberg"]]
    assert client.get(f"/v1/calls/{call_id}/proposal", headers=member("stg-a")).status_code == 200
    # and still nothing of a call whose panel it is not on
    other, _ = closed_call(client, ["stg-c"])
    assert client.get(f"/v1/calls/{other}/reviews", headers=member("stg-a")).status_code == 404


def test_a_member_still_writes_only_its_own_review(client):
    call_id, ids = closed_call(client, ["stg-a", "stg-b"])
    response = client.put(f"/v1/calls/{call_id}/candidates/{ids['Wassenberg']}/reviews/stg-b",
                          headers=member("stg-a"), json={"scores": {"concept": 5}, "comment": "gekapert"})
    assert response.status_code == 403
    assert client.get(f"/v1/calls/{call_id}/reviews", headers=STAFF).json == []
