"""Retention: participants' personal data is purged a set time after their workshop ended."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.workshops import handlers
from services.workshops.app import create_app
from shared.privacy import ERASED_NAME
from support import bearer, settings
from workshops_support import WASSENBERG, Clock, Selection, deliver

pytestmark = pytest.mark.integration

UTC = timezone.utc
STAFF = bearer("staff", "staff:datenschutz")


def test_participants_are_purged_after_the_retention_period_and_counts_stay(pg_database):
    clock = Clock(datetime(2026, 3, 1, 9, tzinfo=UTC))
    app = create_app(settings("workshops", pg_database("workshops"), "127.0.0.1:1"), clock=clock)
    client = app.test_client()
    chosen = Selection.fresh((WASSENBERG,))
    deliver(app, chosen.selected(WASSENBERG))
    first, second = sorted(client.get(f"/v1/workshops?call_id={chosen.call_id}", headers=STAFF).json,
                           key=lambda w: w["sequence"])
    client.patch(f"/v1/workshops/{first['id']}", headers=STAFF,
                 json={"starts_at": "2026-03-26T10:00", "ends_at": "2026-03-26T16:00", "capacity": 10})
    client.patch(f"/v1/workshops/{second['id']}", headers=STAFF,
                 json={"starts_at": "2026-12-10T10:00", "ends_at": "2026-12-10T16:00", "capacity": 10})
    for workshop, person in ((first, "lena.beispiel"), (second, "tom.exempel")):
        created = client.post(f"/v1/workshops/{workshop['id']}/registrations", headers=STAFF, json={
            "name": person.replace(".", " ").title(), "email": f"{person}@example.org", "organisation": "Verein",
            "participant_type": "local_actor", "consent": True})
        assert created.status_code == 201, created.json
    bus = app.extensions["vorort"].bus

    clock.now = datetime(2026, 4, 1, tzinfo=UTC)  # within the period: nothing happens
    assert bus.handle(handlers.PurgeExpiredParticipantData(timedelta(days=180))) == 0

    clock.now = datetime(2026, 10, 1, tzinfo=UTC)  # 189 days after the first workshop ended
    assert bus.handle(handlers.PurgeExpiredParticipantData(timedelta(days=180))) == 1
    purged = client.get(f"/v1/workshops/{first['id']}/registrations", headers=STAFF).json
    kept = client.get(f"/v1/workshops/{second['id']}/registrations", headers=STAFF).json
    assert [r["name"] for r in purged] == [ERASED_NAME]
    assert "lena.beispiel" not in str(purged)
    assert [r["email"] for r in kept] == ["tom.exempel@example.org"]
    assert len(purged) == 1, "the registration stays countable"
    assert bus.handle(handlers.PurgeExpiredParticipantData(timedelta(days=180))) == 0, "repeatable"
