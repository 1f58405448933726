"""The ranking endpoint reads numbers that reviews, conflicts and panel changes keep up to date
(`ranking_scores`); it must show exactly the ranking the domain computes from scratch (`evaluate`, which
the proposal and the decision use), page by page, after any mix of changes."""
from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from selection_support import T0, call_closed, feed, new_id, seed_call, submitted, withdrawn
from services.selection import handlers
from services.selection.app import create_app
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "erika.office")
MEMBERS = ["stg-a", "stg-b", "stg-c", "stg-d", "stg-e"]
# Weights that are not exact binary fractions: equal exact means must still tie, and distinct ones order.
CRITERIA = [{"key": "concept", "label": "Concept", "weight": 0.3}, {"key": "impact", "label": "Impact", "weight": 0.7}]


def panel(members):
    return {"members": [{"id": m, "name": f"Person {m}", "institution": "Institution", "email": f"{m}@example.org"}
                        for m in members], "criteria": CRITERIA}


def ranking_pages(client, call_id, page_size):
    entries, page = [], 1
    while True:
        response = client.get(f"/v1/calls/{call_id}/ranking?page={page}&page_size={page_size}", headers=STAFF)
        assert response.status_code == 200
        entries += response.json["entries"]
        meta = json.loads(response.headers["X-Pagination"])
        if "next_page" not in meta:
            return entries, meta
        page = meta["next_page"]


def from_scratch(uow_factory, call_id):
    with uow_factory() as uow:
        evaluation = handlers.evaluate(uow, call_id)
        return [handlers.ranking_line(e, evaluation.candidates[e.application_id]) for e in evaluation.ranking]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_ranking_is_the_ranking_computed_from_scratch_page_by_page(pg_database, seed):
    app = create_app(settings("selection", pg_database("selection"), "127.0.0.1:1"))
    client, uow_factory = app.test_client(), app.extensions["vorort"].uow_factory
    rng = random.Random(seed)
    call_id, ids = seed_call(uow_factory)
    # More candidates, several submitted at the same moment (the application id decides between them).
    extra = {f"Gemeinde {i}": new_id() for i in range(14)}
    feed(uow_factory, *[submitted(app_id, call_id, name, f"0599{i:04d}", 3_000 + 9_000 * i,
                                  submitted_at=T0 + timedelta(hours=20 + i // 4))
                        for i, (name, app_id) in enumerate(extra.items())])
    ids.update(extra)
    feed(uow_factory, call_closed(call_id))
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel(MEMBERS[:4])).status_code == 200
    candidates = sorted(ids.values())

    def check():
        expected = from_scratch(uow_factory, call_id)
        for page_size in (1, 4, 100):
            kept, meta = ranking_pages(client, call_id, page_size)
            assert kept == expected
            assert meta["total"] == len(expected)

    for step in range(40):
        application_id, member = rng.choice(candidates), rng.choice(MEMBERS[:4])
        path = f"/v1/calls/{call_id}/candidates/{application_id}"
        if step % 9 == 8:
            client.post(f"{path}/conflicts/{member}", headers=bearer("steering", member), json={"reason": "befangen"})
        elif step % 7 == 6:
            client.put(f"{path}/reviews/{member}", headers=bearer("steering", member), json={"abstain": True})
        else:  # scores from a small range, so that equal means (and equal spreads) occur
            client.put(f"{path}/reviews/{member}", headers=bearer("steering", member),
                       json={"scores": {"concept": rng.randint(2, 4), "impact": rng.randint(2, 4)}})
        if step % 10 == 9:
            check()
    # A reviewed candidate withdraws (through the projection: no review handler runs), a member joins.
    reviewed = from_scratch(uow_factory, call_id)[0]["application_id"]
    name = next(n for n, i in ids.items() if i == reviewed)
    feed(uow_factory, withdrawn(reviewed, call_id, "05370040"))
    assert client.put(f"/v1/calls/{call_id}/panel", headers=STAFF, json=panel(MEMBERS)).status_code == 200
    client.put(f"/v1/calls/{call_id}/candidates/{ids['Siegen']}/reviews/stg-e", headers=bearer("steering", "stg-e"),
               json={"scores": {"concept": 5, "impact": 5}})
    check()
    assert reviewed not in [e["application_id"] for e in from_scratch(uow_factory, call_id)], name
