"""A selected municipality withdraws after the decision: its place is vacated once, and the steering group
names a successor under the same balance rule (a decision amendment, audited, with events)."""
from __future__ import annotations

import pytest

from selection_support import feed, withdrawn
from test_selection_api import (MEMBERS, NOW, STAFF, WINNING, app, call, client, closed, decide,  # noqa: F401
                                outbox, review_everyone, steering, table_counts, uow)

pytestmark = pytest.mark.integration

RATIONALE = "Wassenberg hat zurückgezogen; die bestplatzierte Kleinstadt rückt nach."


@pytest.fixture
def decided(client, uow, closed):
    """The 2018 call decided as proposed: Wassenberg (small), Lemgo (medium), Siegen (large)."""
    call_id, ids = closed
    review_everyone(client, call_id, ids, WINNING)
    chosen = [ids["Wassenberg"], ids["Lemgo"], ids["Siegen"]]
    response = decide(client, call_id, chosen)
    assert response.status_code == 201, response.json
    return call_id, ids


def amend(client, call_id, vacated, successor, **overrides):
    body = {"vacated_application_id": vacated, "successor_application_id": successor, "rationale": RATIONALE,
            "decided_at": NOW.isoformat(), "present_member_ids": MEMBERS[:5]}
    body.update(overrides)
    return client.post(f"/v1/calls/{call_id}/decision/amendments", headers=STAFF, json=body)


def test_a_withdrawal_after_the_decision_vacates_the_place_once(app, client, uow, decided):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))  # replayed with a new event id
    vacated = [e for e in outbox(app) if e["type"] == "PlaceVacated"]
    assert [e["subject"] for e in vacated] == [ids["Wassenberg"]]
    assert vacated[0]["data"]["municipality"]["name"] == "Wassenberg"
    assert client.get(f"/v1/calls/{call_id}/decision", headers=STAFF).json["vacated"] == [ids["Wassenberg"]]


def test_a_withdrawal_of_a_municipality_not_selected_vacates_nothing(app, client, uow, decided):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Arnsberg"], call_id, "05958004"))
    assert not [e for e in outbox(app) if e["type"] == "PlaceVacated"]
    assert client.get(f"/v1/calls/{call_id}/decision/vacancies", headers=STAFF).json == []


def test_the_successor_proposed_keeps_the_balance_rule_over_a_better_ranked_town(client, uow, decided):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))
    [vacancy] = client.get(f"/v1/calls/{call_id}/decision/vacancies", headers=steering("stg-ihk")).json
    assert vacancy["vacated"]["name"] == "Wassenberg"
    # Arnsberg (medium) ranks far above Bad Berleburg, but the rule wants one small town.
    assert vacancy["proposed_successor"]["name"] == "Bad Berleburg"
    assert vacancy["required_size_class"] == "small"
    assert [line["name"] for line in vacancy["eligible"]] == ["Bad Berleburg"]


def test_an_amendment_names_the_successor_with_events_and_an_audit_entry(app, client, uow, decided):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))
    response = amend(client, call_id, ids["Wassenberg"], ids["Bad Berleburg"])
    assert response.status_code == 201, response.json
    assert response.json["deviates_from_proposal"] is False

    decision = client.get(f"/v1/calls/{call_id}/decision", headers=STAFF).json
    assert decision["selected"] == [ids["Bad Berleburg"], ids["Lemgo"], ids["Siegen"]]
    assert ids["Bad Berleburg"] not in decision["not_selected"] and decision["vacated"] == []
    events = outbox(app)
    [selected] = [e for e in events if e["type"] == "ApplicationSelected" and e["subject"] == ids["Bad Berleburg"]]
    assert selected["data"]["succeeds_application_id"] == ids["Wassenberg"]
    assert selected["data"]["workshops_per_place"] == 2
    [amended] = [e for e in events if e["type"] == "DecisionAmended"]
    assert amended["data"]["selected_municipalities"] == ["Bad Berleburg", "Lemgo", "Siegen"]
    assert amended["data"]["vacated"]["name"] == "Wassenberg"
    trail = client.get(f"/v1/calls/{call_id}/audit?page_size=100", headers=STAFF).json
    assert [e["action"] for e in trail][-2:] == ["decision.place_vacated", "decision.amended"]
    assert trail[-1]["actor"] == "staff:erika.office" and trail[-1]["details"]["vacated"] == ids["Wassenberg"]
    listed = client.get(f"/v1/calls/{call_id}/decision/amendments", headers=steering("stg-ihk")).json
    assert [a["successor_application_id"] for a in listed] == [ids["Bad Berleburg"]]


BAD_AMENDMENTS = {
    # name: (vacated town, successor town, overrides, status, field)
    "successor_breaks_the_balance_rule": ("Wassenberg", "Arnsberg", {}, 422, "successor_application_id"),
    "successor_already_selected": ("Wassenberg", "Lemgo", {}, 422, "successor_application_id"),
    "successor_unknown": ("Wassenberg", None, {"successor_application_id": "no-such-app"}, 422,
                          "successor_application_id"),
    "place_not_vacant": ("Siegen", "Paderborn", {}, 409, "vacated_application_id"),
    "no_rationale": ("Wassenberg", "Bad Berleburg", {"rationale": " "}, 422, "rationale"),
    "no_quorum": ("Wassenberg", "Bad Berleburg", {"present_member_ids": MEMBERS[:2]}, 422, "present_member_ids"),
    "dated_before_the_decision": ("Wassenberg", "Bad Berleburg", {"decided_at": "2018-01-01T00:00:00+00:00"}, 422,
                                  "decided_at"),
}


@pytest.mark.parametrize("case", sorted(BAD_AMENDMENTS))
def test_bad_amendments_are_refused_with_the_field_named_and_nothing_written(app, client, uow, decided, case):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))
    vacated, successor, overrides, status, field = BAD_AMENDMENTS[case]
    before, decision = table_counts(app), client.get(f"/v1/calls/{call_id}/decision", headers=STAFF).json
    response = amend(client, call_id, ids[vacated], ids.get(successor), **overrides)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]["json"], response.json
    assert table_counts(app) == before
    assert client.get(f"/v1/calls/{call_id}/decision", headers=STAFF).json == decision


def test_another_successor_than_proposed_needs_a_reason(app, client, uow, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, WINNING)
    assert decide(client, call_id, [ids["Wassenberg"], ids["Lemgo"], ids["Siegen"]]).status_code == 201
    feed(uow, withdrawn(ids["Lemgo"], call_id, "05766044"))
    [vacancy] = client.get(f"/v1/calls/{call_id}/decision/vacancies", headers=STAFF).json
    assert vacancy["proposed_successor"]["name"] == "Arnsberg"  # the next medium-sized town
    before = table_counts(app)
    no_reason = amend(client, call_id, ids["Lemgo"], ids["Soest"])
    assert no_reason.status_code == 422 and "deviation_reason" in no_reason.json["errors"]["json"]
    assert table_counts(app) == before
    accepted = amend(client, call_id, ids["Lemgo"], ids["Soest"], deviation_reason="Arnsberg hat abgesagt.")
    assert accepted.status_code == 201 and accepted.json["deviates_from_proposal"] is True
    assert accepted.json["proposed_successor_id"] == ids["Arnsberg"]


def test_a_place_is_filled_only_once(client, uow, decided):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))
    assert amend(client, call_id, ids["Wassenberg"], ids["Bad Berleburg"]).status_code == 201
    again = amend(client, call_id, ids["Wassenberg"], ids["Bad Berleburg"])
    assert again.status_code == 409


def test_only_the_office_records_an_amendment(client, uow, decided):
    call_id, ids = decided
    feed(uow, withdrawn(ids["Wassenberg"], call_id, "05370040"))
    response = client.post(f"/v1/calls/{call_id}/decision/amendments", headers=steering("stg-ihk"), json={
        "vacated_application_id": ids["Wassenberg"], "successor_application_id": ids["Bad Berleburg"],
        "rationale": RATIONALE, "decided_at": NOW.isoformat(), "present_member_ids": MEMBERS[:5]})
    assert response.status_code == 403
    assert client.get(f"/v1/calls/{call_id}/decision/amendments", headers=STAFF).json == []


def test_no_amendment_without_a_decision(client, closed):
    call_id, ids = closed
    response = amend(client, call_id, ids["Wassenberg"], ids["Bad Berleburg"])
    assert response.status_code == 409
