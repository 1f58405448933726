"""The selection API over real PostgreSQL: panel, conflicts, reviews, ranking, proposal, decision, audit.

The candidates come in through the service's own consumer handlers (`selection_support.feed`), the seam
the worker uses; the Kafka path itself is covered by test_selection_kafka.py.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select

from selection_support import TOWNS_2018, call_closed, feed, seed_call, withdrawn
from services.selection.app import create_app
from services.selection.db import metadata
from shared.events.catalogue import validate_data
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "erika.office")
WASSENBERG = bearer("municipality", "wassenberg", ags="05370040")
PARTNER = bearer("partner", "stadtwerke")
MEMBERS = ["stg-ministerium", "stg-vorsitz", "stg-staedtetag", "stg-stgb", "stg-handel", "stg-ihk", "stg-tudo"]
CRITERIA = [{"key": "concept", "label": "Quality of the concept", "weight": 2.0},
            {"key": "innovation", "label": "Innovation", "weight": 1.0}]
NOW = datetime.now(timezone.utc)


def steering(member_id: str) -> dict:
    return bearer("steering", member_id)


def panel_body(members=MEMBERS, criteria=CRITERIA, **extra):
    body = {"members": [{"id": m, "name": f"Person {i}", "institution": f"Institution {i}",
                         "email": f"{m}@example.org", "role": "chair" if i == 0 else "member"}
                        for i, m in enumerate(members)]}
    if criteria is not None:
        body["criteria"] = criteria
    body.update(extra)
    return body


@pytest.fixture
def app(pg_database):
    return create_app(settings("selection", pg_database("selection"), "127.0.0.1:1"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def uow(app):
    return app.extensions["vorort"].uow_factory


@pytest.fixture
def call(uow):
    """An open call with the 11 applications of 2018."""
    return seed_call(uow)


@pytest.fixture
def closed(uow, client, call):
    """The call closed, with a panel of seven and two criteria."""
    call_id, ids = call
    feed(uow, call_closed(call_id))
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body()).status_code == 200
    return call_id, ids


def review(client, call_id, application_id, member, concept, innovation, **extra):
    return client.put(f"/v1/calls/{call_id}/candidates/{application_id}/reviews/{member}", headers=steering(member),
                      json={"scores": {"concept": concept, "innovation": innovation}, **extra})


def review_everyone(client, call_id, ids, scores):
    """Every member scores every town with (concept, innovation) = scores[name]."""
    for name, application_id in ids.items():
        concept, innovation = scores.get(name, (2, 2))
        for member in MEMBERS:
            assert review(client, call_id, application_id, member, concept, innovation).status_code in (200, 201)


def decide(client, call_id, selected, **overrides):
    body = {"selected": selected, "rationale": "Je eine Klein-, Mittel- und Großstadt.",
            "decided_at": NOW.isoformat(), "present_member_ids": MEMBERS[:5]}
    body.update(overrides)
    return client.post(f"/v1/calls/{call_id}/decision", headers=STAFF, json=body)


def outbox(app):
    engine = create_engine(app.extensions["vorort"].engine.url)
    with engine.connect() as connection:
        rows = connection.execute(select(metadata.tables["outbox"]).order_by(metadata.tables["outbox"].c.id)).all()
    engine.dispose()
    return [json.loads(row.payload) for row in rows]


def table_counts(app):
    engine = app.extensions["vorort"].engine
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
                for name in ("reviews", "conflicts", "decisions", "panels", "outbox", "audit_log")}


WINNING = {"Wassenberg": (5, 4), "Arnsberg": (4, 4), "Siegen": (4, 3), "Lemgo": (4, 5), "Soest": (4, 4)}


# --- candidates ----------------------------------------------------------------------------------
def test_the_candidates_read_by_position_are_the_candidates_read_by_page(client, closed):
    call_id, _ = closed
    by_page = [c["application_id"] for c in client.get(f"/v1/calls/{call_id}/candidates?page_size=100",
                                                        headers=steering("stg-ihk")).json]
    seen, cursor = [], "0.0"
    while cursor:
        page = client.get(f"/v1/calls/{call_id}/candidates?page_size=4&after={cursor}", headers=steering("stg-ihk"))
        assert page.status_code == 200 and json.loads(page.headers["X-Pagination"]) == {"page_size": 4, "keyset": True}
        seen += [c["application_id"] for c in page.json]
        cursor = page.headers.get("X-Next-After")
    assert seen == by_page and len(seen) == 11


def test_candidates_list_municipality_size_class_and_review_progress(client, closed):
    call_id, ids = closed
    review(client, call_id, ids["Wassenberg"], "stg-ihk", 4, 4)
    listing = client.get(f"/v1/calls/{call_id}/candidates?page_size=100", headers=steering("stg-ihk"))
    assert listing.status_code == 200
    assert json.loads(listing.headers["X-Pagination"])["total"] == 11
    wassenberg = next(c for c in listing.json if c["application_id"] == ids["Wassenberg"])
    assert wassenberg["municipality"] == {"ags": "05370040", "name": "Wassenberg", "population": 18_500}
    assert wassenberg["size_class"] == "small"
    progress = wassenberg["review_progress"]
    assert (progress["expected"], progress["reviewed"], progress["complete"]) == (7, 1, False)
    assert "stg-ihk" not in progress["missing_member_ids"] and len(progress["missing_member_ids"]) == 6
    large = client.get(f"/v1/calls/{call_id}/candidates?size_class=large", headers=STAFF).json
    assert sorted(c["municipality"]["name"] for c in large) == ["Gütersloh", "Paderborn", "Siegen"]


def test_withdrawn_application_is_not_a_candidate(client, uow, call):
    call_id, ids = call
    feed(uow, withdrawn(ids["Menden"], call_id, "05962032"))
    names = [c["municipality"]["name"] for c in client.get(f"/v1/calls/{call_id}/candidates?page_size=100",
                                                            headers=STAFF).json]
    assert "Menden" not in names and len(names) == 10
    assert client.get(f"/v1/calls/{call_id}/candidates/{ids['Menden']}", headers=STAFF).status_code == 404
    ranking = client.get(f"/v1/calls/{call_id}/ranking", headers=STAFF).json
    assert ids["Menden"] not in [e["application_id"] for e in ranking["entries"]]


def test_call_shows_its_status_from_the_applications_events(client, uow, call):
    call_id, _ = call
    before = client.get(f"/v1/calls/{call_id}", headers=STAFF).json
    assert (before["status"], before["candidates"], before["reviews_open"]) == ("open", 11, False)
    feed(uow, call_closed(call_id))
    after = client.get(f"/v1/calls/{call_id}", headers=STAFF).json
    assert (after["status"], after["title"], after["places"], after["workshops_per_place"]) == \
        ("closed", "Netzwerk vor Ort", 3, 2)
    assert after["reviews_open"] is True


def test_calls_are_listed_and_filtered_by_status(client, uow, call):
    open_id, _ = call
    closed_id, _ = seed_call(uow, towns=TOWNS_2018[:1], closed=True)
    listing = client.get("/v1/calls", headers=STAFF).json
    assert {c["id"]: c["candidates"] for c in listing} == {open_id: 11, closed_id: 1}
    closed_only = client.get("/v1/calls?status=closed", headers=STAFF).json
    assert [c["id"] for c in closed_only] == [closed_id]


def test_unknown_call_is_404_everywhere(client):
    for path in ("", "/candidates", "/panel", "/ranking", "/proposal", "/decision", "/audit", "/balance-rule"):
        assert client.get(f"/v1/calls/no-such-call{path}", headers=STAFF).status_code == 404, path


# --- panel and criteria --------------------------------------------------------------------------
def test_default_criteria_are_offered_and_used_when_criteria_are_omitted(client, call):
    call_id, _ = call
    defaults = client.get("/v1/criteria/defaults", headers=STAFF).json
    assert defaults["scale"] == {"min": 0, "max": 5, "whole_numbers": True}
    assert defaults["criteria"][0]["key"] == "strategic_approach"
    put = client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body(criteria=None))
    assert put.status_code == 200
    assert put.json["criteria"] == defaults["criteria"]


def test_panel_is_set_and_read_back_without_emails_for_the_steering_group(client, call):
    call_id, _ = call
    assert client.get(f"/v1/calls/{call_id}/panel", headers=STAFF).status_code == 404
    client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body())
    staff_view = client.get(f"/v1/calls/{call_id}/panel", headers=STAFF).json
    assert [m["id"] for m in staff_view["members"]] == MEMBERS
    assert staff_view["members"][0]["role"] == "chair"
    assert staff_view["members"][0]["email"] == "stg-ministerium@example.org"
    assert staff_view["criteria"] == CRITERIA
    member_view = client.get(f"/v1/calls/{call_id}/panel", headers=steering("stg-ihk")).json
    assert {m["email"] for m in member_view["members"]} == {None}


def test_quorum_defaults_to_a_majority_and_can_be_set(client, call):
    call_id, _ = call
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body()).json["quorum"] == 4
    custom = client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body(quorum=6)).json
    assert (custom["quorum"], custom["quorum_is_default"]) == (6, False)
    too_high = client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body(quorum=8))
    assert too_high.status_code == 422 and "quorum" in too_high.json["errors"]["json"]


def test_scored_criteria_and_reviewing_members_cannot_be_changed_away(client, closed):
    call_id, ids = closed
    review(client, call_id, ids["Siegen"], "stg-tudo", 3, 3)
    other = client.put(f"/v1/calls/{call_id}/panel", headers=STAFF,
                       json=panel_body(criteria=[{"key": "concept", "label": "Konzept", "weight": 5.0}]))
    assert other.status_code == 409 and "criteria" in other.json["errors"]["json"]
    leaving = client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body(members=MEMBERS[:6]))
    assert leaving.status_code == 409 and "stg-tudo" in leaving.json["message"]
    relabelled = [dict(c, label=c["label"] + " (neu)") for c in CRITERIA]
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF,
                      json=panel_body(criteria=relabelled)).status_code == 200


# --- reviews and conflicts -----------------------------------------------------------------------
def test_reviews_open_only_when_the_call_has_closed(client, uow, call):
    call_id, ids = call
    client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body())
    early = review(client, call_id, ids["Arnsberg"], "stg-stgb", 4, 4)
    assert early.status_code == 409 and "closed" in early.json["message"]
    feed(uow, call_closed(call_id))
    assert review(client, call_id, ids["Arnsberg"], "stg-stgb", 4, 4).status_code == 201
    again = review(client, call_id, ids["Arnsberg"], "stg-stgb", 5, 4, comment="nach Rückfrage")
    assert again.status_code == 200
    assert again.json["scores"] == {"concept": 5, "innovation": 4}
    assert again.json["weighted_score"] == pytest.approx((2 * 5 + 4) / 3)


def test_a_member_cannot_write_another_members_review(client, closed):
    call_id, ids = closed
    response = client.put(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/reviews/stg-handel",
                          headers=steering("stg-ihk"), json={"scores": {"concept": 5, "innovation": 5}})
    assert response.status_code == 403
    assert "member_id" in response.json["errors"]["json"]
    assert client.put(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/reviews/stg-handel", headers=STAFF,
                      json={"scores": {"concept": 5, "innovation": 5}}).status_code == 403


def test_a_member_with_a_conflict_cannot_review_and_is_left_out_of_the_score(client, closed):
    call_id, ids = closed
    siegen = ids["Siegen"]
    assert review(client, call_id, siegen, "stg-ihk", 5, 5).status_code == 201  # before the declaration
    assert review(client, call_id, siegen, "stg-handel", 2, 2).status_code == 201
    declared = client.post(f"/v1/calls/{call_id}/candidates/{siegen}/conflicts/stg-ihk", headers=steering("stg-ihk"),
                           json={"reason": "Mitglied der Vollversammlung der IHK Siegen"})
    assert declared.status_code == 201
    assert declared.json["declared_by"] == "steering:stg-ihk"
    blocked = review(client, call_id, siegen, "stg-ihk", 5, 5)
    assert blocked.status_code == 403 and "conflict" in blocked.json["message"]
    entry = next(e for e in client.get(f"/v1/calls/{call_id}/ranking", headers=STAFF).json["entries"]
                 if e["application_id"] == siegen)
    assert (entry["reviews"], entry["weighted_mean"], entry["conflicts"]) == (1, pytest.approx(2.0), ["stg-ihk"])
    stored = client.get(f"/v1/calls/{call_id}/candidates/{siegen}/reviews/stg-ihk", headers=STAFF).json
    assert stored["counts"] is False
    # The conflict concerns Siegen only.
    assert review(client, call_id, ids["Arnsberg"], "stg-ihk", 4, 4).status_code == 201
    again = client.post(f"/v1/calls/{call_id}/candidates/{siegen}/conflicts/stg-ihk", headers=STAFF,
                        json={"reason": "doppelt"})
    assert again.status_code == 200 and again.json["reason"] == "Mitglied der Vollversammlung der IHK Siegen"
    other = client.post(f"/v1/calls/{call_id}/candidates/{siegen}/conflicts/stg-handel", headers=steering("stg-ihk"),
                        json={"reason": "für jemand anderen"})
    assert other.status_code == 403
    listed = client.get(f"/v1/calls/{call_id}/conflicts", headers=STAFF).json
    assert [(c["application_id"], c["member_id"]) for c in listed] == [(siegen, "stg-ihk")]


def test_a_member_withdraws_its_own_conflict_and_its_review_counts_again(client, closed):
    call_id, ids = closed
    siegen = ids["Siegen"]
    base = f"/v1/calls/{call_id}/candidates/{siegen}/conflicts"
    assert review(client, call_id, siegen, "stg-ihk", 5, 5).status_code == 201
    client.post(f"{base}/stg-ihk", headers=steering("stg-ihk"), json={"reason": "IHK Siegen"})
    client.post(f"{base}/stg-handel", headers=steering("stg-handel"), json={"reason": "Handel Siegen"})
    mine = client.get(f"/v1/calls/{call_id}/conflicts", headers=steering("stg-ihk")).json
    assert [c["member_id"] for c in mine] == ["stg-ihk"]  # a member sees only its own conflicts
    assert client.delete(f"{base}/stg-handel", headers=steering("stg-ihk")).status_code == 403
    withdrawn = client.delete(f"{base}/stg-ihk", headers=steering("stg-ihk"))
    assert withdrawn.status_code == 200 and withdrawn.json["reason"] == "IHK Siegen"
    assert client.delete(f"{base}/stg-ihk", headers=steering("stg-ihk")).status_code == 404
    entry = next(e for e in client.get(f"/v1/calls/{call_id}/ranking", headers=STAFF).json["entries"]
                 if e["application_id"] == siegen)
    assert (entry["reviews"], entry["conflicts"]) == (1, ["stg-handel"])
    assert client.get(f"/v1/calls/{call_id}/candidates/{siegen}/reviews/stg-ihk", headers=STAFF).json["counts"] is True


def test_an_abstention_is_counted_but_does_not_score(client, closed):
    call_id, ids = closed
    abstained = client.put(f"/v1/calls/{call_id}/candidates/{ids['Lemgo']}/reviews/stg-tudo",
                           headers=steering("stg-tudo"), json={"abstain": True, "comment": "befangen? nein, unsicher"})
    assert abstained.status_code == 201 and abstained.json["scores"] is None
    review(client, call_id, ids["Lemgo"], "stg-stgb", 3, 3)
    entry = next(e for e in client.get(f"/v1/calls/{call_id}/ranking", headers=STAFF).json["entries"]
                 if e["application_id"] == ids["Lemgo"])
    assert (entry["reviews"], entry["abstentions"], entry["weighted_mean"]) == (1, 1, pytest.approx(3.0))


def test_staff_read_every_review_and_a_member_only_their_own(client, closed):
    call_id, ids = closed
    review(client, call_id, ids["Soest"], "stg-handel", 3, 4, comment="solide")
    review(client, call_id, ids["Soest"], "stg-vorsitz", 4, 4)
    review(client, call_id, ids["Ahaus"], "stg-handel", 2, 3)
    by_staff = client.get(f"/v1/calls/{call_id}/candidates/{ids['Soest']}/reviews", headers=STAFF).json
    assert sorted(r["member_id"] for r in by_staff) == ["stg-handel", "stg-vorsitz"]
    all_reviews = client.get(f"/v1/calls/{call_id}/reviews", headers=STAFF)
    assert json.loads(all_reviews.headers["X-Pagination"])["total"] == 3
    own = client.get(f"/v1/calls/{call_id}/reviews", headers=steering("stg-handel")).json
    assert {r["member_id"] for r in own} == {"stg-handel"} and len(own) == 2
    path = f"/v1/calls/{call_id}/candidates/{ids['Soest']}/reviews"
    assert client.get(f"{path}/stg-vorsitz", headers=steering("stg-handel")).status_code == 403
    assert client.get(f"{path}/stg-handel", headers=steering("stg-handel")).json["comment"] == "solide"
    assert client.get(f"{path}/stg-vorsitz", headers=STAFF).status_code == 200
    assert client.get(f"/v1/calls/{call_id}/reviews?member_id=stg-vorsitz",
                      headers=steering("stg-handel")).status_code == 403


# --- ranking and proposal ------------------------------------------------------------------------
def test_ranking_shows_weighted_mean_reviews_spread_and_a_documented_tie_break(client, closed):
    call_id, ids = closed
    review(client, call_id, ids["Arnsberg"], "stg-stgb", 5, 2)  # (10 + 2) / 3 = 4
    review(client, call_id, ids["Arnsberg"], "stg-handel", 3, 3)  # 3
    review(client, call_id, ids["Soest"], "stg-stgb", 4, 1)  # 3
    review(client, call_id, ids["Soest"], "stg-handel", 4, 4)  # 4: same mean, same count as Arnsberg
    review(client, call_id, ids["Lemgo"], "stg-stgb", 3, 3)
    review(client, call_id, ids["Lemgo"], "stg-handel", 3, 3)
    review(client, call_id, ids["Lemgo"], "stg-tudo", 4, 4)  # more reviews, but a lower mean
    ranking = client.get(f"/v1/calls/{call_id}/ranking", headers=STAFF).json  # the panel: after the decision
    assert ranking["tie_break"][0] == "higher weighted mean first"
    top = ranking["entries"][:3]
    assert [e["name"] for e in top] == ["Arnsberg", "Soest", "Lemgo"]  # tie: Arnsberg applied earlier
    assert (top[0]["weighted_mean"], top[0]["reviews"], top[0]["spread"]) == (pytest.approx(3.5), 2, pytest.approx(1.0))
    assert all(e["weighted_mean"] is None for e in ranking["entries"][3:])
    assert [e["rank"] for e in ranking["entries"]] == list(range(1, 12))


def test_proposal_keeps_the_balance_rule_and_says_whom_it_preferred_over_whom(client, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, WINNING)
    proposal = client.get(f"/v1/calls/{call_id}/proposal", headers=STAFF).json
    assert proposal["balance_rule"]["is_default"] is True
    assert proposal["balance_rule"]["minimum"] == {"small": 1, "medium": 1, "large": 1}
    assert [e["name"] for e in proposal["selected"]] == ["Wassenberg", "Lemgo", "Siegen"]
    [preferred] = [r for r in proposal["reasoning"] if r["kind"] == "preferred"]
    assert (preferred["selected"], preferred["over"]) == (ids["Siegen"], ids["Arnsberg"])
    assert "big city" in preferred["because"]


def test_balance_rule_is_configurable_per_call_including_none(client, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, WINNING)
    none = client.put(f"/v1/calls/{call_id}/balance-rule", headers=STAFF, json={})
    assert none.status_code == 200 and none.json["minimum"] == {} and none.json["is_default"] is False
    top = client.get(f"/v1/calls/{call_id}/proposal", headers=STAFF).json
    assert [e["name"] for e in top["selected"]] == ["Wassenberg", "Lemgo", "Arnsberg"]
    capped = client.put(f"/v1/calls/{call_id}/balance-rule", headers=STAFF,
                        json={"minimum": {"small": 1}, "maximum": {"medium": 1}})
    assert capped.status_code == 200
    proposal = client.get(f"/v1/calls/{call_id}/proposal", headers=STAFF).json
    assert [e["name"] for e in proposal["selected"]] == ["Wassenberg", "Lemgo", "Siegen"]
    assert client.get(f"/v1/calls/{call_id}/balance-rule", headers=steering("stg-ihk")).json["maximum"] == \
        {"medium": 1}
    bad = client.put(f"/v1/calls/{call_id}/balance-rule", headers=STAFF,
                     json={"minimum": {"medium": 2}, "maximum": {"medium": 1}})
    assert bad.status_code == 422 and "maximum.medium" in bad.json["errors"]["json"]


# --- decision ------------------------------------------------------------------------------------
def test_decision_emits_selected_not_selected_and_completed_through_the_outbox(app, client, uow, closed):
    call_id, ids = closed
    feed(uow, withdrawn(ids["Menden"], call_id, "05962032"))
    review_everyone(client, call_id, {k: v for k, v in ids.items() if k != "Menden"},
                    {"Wassenberg": (5, 5), "Arnsberg": (5, 4), "Siegen": (4, 4)})
    chosen = [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]]
    response = decide(client, call_id, chosen)
    assert response.status_code == 201, response.json
    assert response.json["deviates_from_proposal"] is False
    assert sorted(response.json["not_selected"]) == sorted(v for k, v in ids.items()
                                                           if k not in ("Wassenberg", "Arnsberg", "Siegen", "Menden"))
    assert client.get(f"/v1/calls/{call_id}/decision", headers=steering("stg-ihk")).json["selected"] == chosen

    events = outbox(app)
    assert all(e["specversion"] == "1.0" and e["source"] == "/services/selection" for e in events)
    for envelope in events:
        validate_data(envelope["type"], envelope["data"], envelope["dataversion"])
    selected = [e for e in events if e["type"] == "ApplicationSelected"]
    assert [e["subject"] for e in selected] == chosen
    assert {e["data"]["workshops_per_place"] for e in selected} == {2}
    assert selected[0]["data"]["municipality"] == {"ags": "05370040", "name": "Wassenberg", "population": 18_500,
                                                   "size_class": "small"}
    not_selected = [e for e in events if e["type"] == "ApplicationNotSelected"]
    assert len(not_selected) == 7 and ids["Menden"] not in {e["subject"] for e in not_selected}
    assert {e["data"]["may_attend_workshops"] for e in not_selected} == {True}
    # v2 of the decision events: each one's rank, never its score (the steering group's confidential review)
    assert all(e["dataversion"] == 2 and "score" not in e["data"] for e in selected + not_selected)
    assert [e["data"]["rank"] for e in selected] == [1, 2, 3]
    [completed] = [e for e in events if e["type"] == "SelectionCompleted"]
    assert completed["dataversion"] == 2 and completed["data"]["selected"] == chosen
    assert not {"score", "reviews"} & {key for line in completed["data"]["ranking"] for key in line}  # v2: no scores
    assert [line["rank"] for line in completed["data"]["ranking"]] == list(range(1, 11))
    assert [line["name"] for line in completed["data"]["ranking"][:3]] == ["Wassenberg", "Arnsberg", "Siegen"]
    assert sum(line["selected"] for line in completed["data"]["ranking"]) == 3


def test_the_decision_is_final_and_locks_reviews_panel_and_rule(app, client, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, {"Wassenberg": (5, 5), "Arnsberg": (5, 4), "Siegen": (4, 4)})
    chosen = [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]]
    assert decide(client, call_id, chosen).status_code == 201
    before = table_counts(app)
    readings = {what: client.get(f"/v1/calls/{call_id}/{what}", headers=STAFF).json
                for what in ("decision", "panel", "balance-rule", "ranking", "reviews?page_size=100")}
    second = decide(client, call_id, [ids["Wassenberg"], ids["Lemgo"], ids["Siegen"]], deviation_reason="anders")
    assert second.status_code == 409 and "final" in second.json["message"]
    assert review(client, call_id, ids["Siegen"], "stg-ihk", 1, 1).status_code == 409
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body()).status_code == 409
    assert client.put(f"/v1/calls/{call_id}/balance-rule", headers=STAFF, json={}).status_code == 409
    assert client.post(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/conflicts/stg-ihk", headers=STAFF,
                       json={"reason": "zu spät"}).status_code == 409
    assert table_counts(app) == before
    assert {what: client.get(f"/v1/calls/{call_id}/{what}", headers=STAFF).json for what in readings} == readings


def test_a_retried_decision_with_its_idempotency_key_gets_the_first_answer(app, client, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, {"Wassenberg": (5, 5), "Arnsberg": (5, 4), "Siegen": (4, 4)})
    body = {"selected": [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]], "rationale": "Je eine pro Klasse.",
            "decided_at": NOW.isoformat(), "present_member_ids": MEMBERS}
    headers = {**STAFF, "Idempotency-Key": "decision-2018"}
    first = client.post(f"/v1/calls/{call_id}/decision", headers=headers, json=body)
    retry = client.post(f"/v1/calls/{call_id}/decision", headers=headers, json=body)
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json == first.json
    assert table_counts(app)["decisions"] == 1 and table_counts(app)["outbox"] == 11 + 1


def test_a_decision_before_the_call_closed_is_409(client, app, call):
    call_id, ids = call
    client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel_body())
    before = table_counts(app)
    response = decide(client, call_id, [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]])
    assert response.status_code == 409 and "open" in response.json["message"]
    assert table_counts(app) == before


def test_departing_from_the_proposal_or_the_places_needs_a_reason(client, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, {"Wassenberg": (5, 5), "Arnsberg": (5, 4), "Siegen": (4, 4)})
    other = [ids["Wassenberg"], ids["Lemgo"], ids["Siegen"]]
    no_reason = decide(client, call_id, other)
    assert no_reason.status_code == 422 and "deviation_reason" in no_reason.json["errors"]["json"]
    fewer = decide(client, call_id, [ids["Wassenberg"], ids["Arnsberg"]])
    assert fewer.status_code == 422 and "selected" in fewer.json["errors"]["json"]
    accepted = decide(client, call_id, other, deviation_reason="Lemgo bringt die Hochschule mit ein.")
    assert accepted.status_code == 201 and accepted.json["deviates_from_proposal"] is True
    assert accepted.json["proposed"] == [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]]


def test_a_decision_needs_the_quorum(client, closed):
    call_id, ids = closed
    review_everyone(client, call_id, ids, {"Wassenberg": (5, 5), "Arnsberg": (5, 4), "Siegen": (4, 4)})
    response = decide(client, call_id, [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]],
                      present_member_ids=MEMBERS[:3])
    assert response.status_code == 422
    assert "quorum" in response.json["errors"]["json"]["present_member_ids"][0]


# --- audit ---------------------------------------------------------------------------------------
def test_the_audit_trail_shows_who_changed_which_review_and_setting_when(client, closed):
    call_id, ids = closed
    review(client, call_id, ids["Siegen"], "stg-stgb", 3, 3)
    review(client, call_id, ids["Siegen"], "stg-stgb", 4, 3)
    client.put(f"/v1/calls/{call_id}/balance-rule", headers=STAFF, json={"minimum": {"small": 1}})
    trail = client.get(f"/v1/calls/{call_id}/audit?page_size=100", headers=STAFF).json
    assert [e["action"] for e in trail] == ["panel.set", "review.written", "review.changed", "balance_rule.set"]
    changed = trail[2]
    assert (changed["actor"], changed["member_id"], changed["application_id"]) == \
        ("steering:stg-stgb", "stg-stgb", ids["Siegen"])
    assert changed["details"]["before"]["scores"] == {"concept": 3, "innovation": 3}
    assert changed["details"]["after"]["scores"] == {"concept": 4, "innovation": 3}
    assert trail[0]["actor"] == "staff:erika.office"
    panel_details = json.dumps(trail[0]["details"])
    assert "Institution 6" in panel_details
    assert "example.org" not in panel_details and "Person" not in panel_details, "personal data stays in the panel"
    assert all(datetime.fromisoformat(e["at"]) for e in trail)
    assert client.get(f"/v1/calls/{call_id}/audit", headers=steering("stg-stgb")).status_code == 403


# --- authorization and bad input -----------------------------------------------------------------
def _selection_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                path = rule.rule
                for argument in rule.arguments:
                    path = path.replace(f"<{argument}>", f"x-{argument}")
                yield method, path


@pytest.mark.parametrize("headers", [WASSENBERG, PARTNER], ids=["municipality", "partner"])
def test_municipality_and_partner_tokens_get_403_on_every_selection_endpoint(app, client, closed, headers):
    call_id, ids = closed
    routes = list(_selection_routes(app))
    assert len(routes) >= 18
    for method, path in routes:
        real = path.replace("x-call_id", call_id).replace("x-application_id", ids["Wassenberg"]) \
                   .replace("x-member_id", "stg-ihk")
        response = client.open(real, method=method, headers=headers, json={"scores": {"concept": 5}})
        assert response.status_code == 403, (method, path, response.status_code)
        assert client.open(real, method=method).status_code == 401, (method, path)


def test_every_view_checks_roles_before_anything_else(app):
    for name, view in app.view_functions.items():
        if name.split(".")[0] in ("selection-calls", "panel", "criteria", "reviews", "decision"):
            methods = [getattr(view.view_class, m) for m in ("get", "put", "post") if hasattr(view.view_class, m)]
            assert all(getattr(method, "_vorort_roles", None) for method in methods), name


BAD_REVIEWS = {
    "score above 5": ({"scores": {"concept": 6, "innovation": 3}}, 422, "scores.concept"),
    "negative score": ({"scores": {"concept": -1, "innovation": 3}}, 422, "scores.concept"),
    "fractional score": ({"scores": {"concept": 2.5, "innovation": 3}}, 422, "scores.concept"),
    "text score": ({"scores": {"concept": "5", "innovation": 3}}, 422, "scores.concept"),
    "unknown criterion": ({"scores": {"concept": 3, "innovation": 3, "beauty": 5}}, 422, "scores.beauty"),
    "missing criterion": ({"scores": {"concept": 3}}, 422, "scores.innovation"),
    "no scores, no abstention": ({"comment": "hm"}, 422, "scores"),
    "abstention with scores": ({"abstain": True, "scores": {"concept": 3, "innovation": 3}}, 422, "scores"),
    "unknown field": ({"scores": {"concept": 3, "innovation": 3}, "mood": "gut"}, 422, "mood"),
    "scores not an object": ({"scores": [3, 3]}, 422, "scores"),
}


@pytest.mark.parametrize("case", sorted(BAD_REVIEWS))
def test_bad_reviews_are_refused_with_the_problem_named_and_nothing_written(app, client, closed, case):
    call_id, ids = closed
    body, status, field = BAD_REVIEWS[case]
    before = table_counts(app)
    response = client.put(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/reviews/stg-ihk",
                          headers=steering("stg-ihk"), json=body)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]["json"]
    assert table_counts(app) == before


def test_a_review_by_someone_not_on_the_panel_or_for_no_candidate_is_404(client, closed):
    call_id, ids = closed
    stranger = client.put(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/reviews/stg-gast",
                          headers=steering("stg-gast"), json={"scores": {"concept": 3, "innovation": 3}})
    # not on the panel: the call is none of its business (test_selection_confidentiality.py)
    assert stranger.status_code == 404 and "call_id" in stranger.json["errors"]["json"]
    nobody = client.put(f"/v1/calls/{call_id}/candidates/no-such-application/reviews/stg-ihk",
                        headers=steering("stg-ihk"), json={"scores": {"concept": 3, "innovation": 3}})
    assert nobody.status_code == 404 and "application_id" in nobody.json["errors"]["json"]
    conflict_for_stranger = client.post(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/conflicts/stg-gast",
                                        headers=STAFF, json={"reason": "Nachbar"})
    assert conflict_for_stranger.status_code == 404


BAD_PANELS = {
    "unknown field": (panel_body(colour="blau"), "colour"),
    "no members": (panel_body(members=[]), "members"),
    "bad email": ({"members": [{"id": "m1", "name": "A", "institution": "B", "email": "nope"}]}, "members"),
    "bad role": ({"members": [{"id": "m1", "name": "A", "institution": "B", "email": "a@example.org",
                               "role": "boss"}]}, "members"),
    "duplicate member": (panel_body(members=["m1", "m1"]), "members[1].id"),
    "member id with a slash": (panel_body(members=["a/b"]), "members"),
    "zero weight": (panel_body(criteria=[{"key": "concept", "label": "K", "weight": 0}]), "criteria"),
    "duplicate criterion": (panel_body(criteria=[{"key": "concept", "label": "K"},
                                                 {"key": "concept", "label": "L"}]), "criteria[1].key"),
    "bad criterion key": (panel_body(criteria=[{"key": "Konzept!", "label": "K"}]), "criteria"),
    "quorum zero": (panel_body(quorum=0), "quorum"),
}


@pytest.mark.parametrize("case", sorted(BAD_PANELS))
def test_bad_panels_are_refused_with_the_field_named(app, client, call, case):
    call_id, _ = call
    body, field = BAD_PANELS[case]
    before = table_counts(app)
    response = client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert table_counts(app) == before


BAD_DECISIONS = {
    "wrong number of places without a reason": (lambda ids: {"selected": [ids["Wassenberg"]]}, 422, "selected"),
    "too many places even with a reason": (
        lambda ids: {"selected": [ids[n] for n in ("Wassenberg", "Arnsberg", "Siegen", "Lemgo")],
                     "deviation_reason": "alle gut"}, 422, "selected"),
    "unknown application": (lambda ids: {"selected": [ids["Wassenberg"], ids["Arnsberg"], "unbekannt"],
                                         "deviation_reason": "x"}, 422, "selected[2]"),
    "selected twice": (lambda ids: {"selected": [ids["Wassenberg"], ids["Arnsberg"], ids["Arnsberg"]]}, 422,
                       "selected[2]"),
    "unknown present member": (lambda ids: {"present_member_ids": MEMBERS[:4] + ["gast"]}, 422,
                               "present_member_ids"),
    "empty rationale": (lambda ids: {"rationale": ""}, 422, "rationale"),
    "dated in the future": (lambda ids: {"decided_at": (NOW + timedelta(days=2)).isoformat()}, 422, "decided_at"),
    "dated before the close": (lambda ids: {"decided_at": "2018-05-01T10:00:00+00:00"}, 422, "decided_at"),
    "naive date": (lambda ids: {"decided_at": "2018-06-14T10:00:00"}, 422, "decided_at"),
    "missing selected": (lambda ids: {"selected": None}, 422, "selected"),
    "unknown field": (lambda ids: {"approved_by": "Vorsitz"}, 422, "approved_by"),
}


@pytest.mark.parametrize("case", sorted(BAD_DECISIONS))
def test_bad_decisions_are_refused_with_the_problem_named_and_nothing_written(app, client, closed, case):
    call_id, ids = closed
    review_everyone(client, call_id, ids, {"Wassenberg": (5, 5), "Arnsberg": (5, 4), "Siegen": (4, 4)})
    make, status, field = BAD_DECISIONS[case]
    overrides = make(ids)
    body = {"selected": [ids["Wassenberg"], ids["Arnsberg"], ids["Siegen"]], "rationale": "Je eine pro Klasse.",
            "decided_at": NOW.isoformat(), "present_member_ids": MEMBERS[:5]}
    body.update(overrides)
    body = {k: v for k, v in body.items() if v is not None}
    before = table_counts(app)
    response = client.post(f"/v1/calls/{call_id}/decision", headers=STAFF, json=body)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]["json"], response.json
    assert table_counts(app) == before


def test_malformed_json_is_400_and_an_empty_body_names_the_required_fields(client, closed):
    call_id, _ = closed
    broken = client.post(f"/v1/calls/{call_id}/decision", headers=STAFF, data="{kaputt",
                         content_type="application/json")
    assert broken.status_code == 400 and broken.json["code"] == 400
    empty = client.post(f"/v1/calls/{call_id}/decision", headers=STAFF, json={})
    assert empty.status_code == 422
    assert {"selected", "rationale", "decided_at", "present_member_ids"} <= set(empty.json["errors"]["json"])


def test_the_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    document = client.get("/openapi.json").json
    validate(document)
    assert "/v1/calls/{call_id}/decision" in document["paths"]
