"""The workshop demo loader against the real service over HTTP (a server on loopback, PostgreSQL)."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select
from werkzeug.serving import make_server

from services.workshops import domain
from services.workshops.app import create_app
from services.workshops.db import metadata
from support import bearer, settings
from vorort.demo_workshops import load_workshops_demo
from workshops_support import NOT_SELECTED, SELECTED, SIEGEN, WASSENBERG, Selection, deliver, of_type, outbox

pytestmark = pytest.mark.integration

UTC = timezone.utc
STAFF = bearer("staff", "staff:demo")


@pytest.fixture
def service(pg_database):
    db_url = pg_database("workshops")
    app = create_app(settings("workshops", db_url, "127.0.0.1:1"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, db_url, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def registrations(db_url):
    table = metadata.tables["registrations"]
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(table)).all()
    engine.dispose()
    return rows


def run_demo(base_url, call_id, selected):
    load_workshops_demo(base_url, STAFF, lambda role, subject, ags=None: bearer(role, subject, ags), call_id,
                        selected, list(NOT_SELECTED), datetime.now(UTC))


def test_the_demo_waits_for_the_series_then_schedules_fills_and_completes_the_first_round(service):
    app, db_url, base_url = service
    chosen = Selection.fresh()
    failures = []
    # as `vorort demo` passes them: municipality name -> application id
    selected = {name: chosen.application_ids[ags] for ags, (name, _p, _s) in SELECTED.items()}

    def demo_run():
        try:
            run_demo(base_url, chosen.call_id, selected)
        except Exception as error:  # noqa: BLE001 - reported by the test thread below
            failures.append(error)

    demo = threading.Thread(target=demo_run)
    demo.start()  # before the selection arrives: the loader has to wait for the six workshops
    deliver(app, *chosen.all_events())
    demo.join(timeout=180)
    assert not demo.is_alive()
    assert failures == []

    client = app.test_client()
    listing = client.get(f"/v1/workshops?call_id={chosen.call_id}", headers=STAFF).json
    by_round = {seq: [w for w in listing if w["sequence"] == seq] for seq in (1, 2)}
    assert {w["status"] for w in by_round[1]} == {"completed"}
    assert {w["status"] for w in by_round[2]} == {"scheduled"}
    now = datetime.now(UTC)
    assert all(datetime.fromisoformat(w["ends_at"]) < now for w in by_round[1])
    assert all(datetime.fromisoformat(w["starts_at"]) > now for w in by_round[2])
    for workshop in by_round[1]:
        fields = {a["field_of_action"] for a in workshop["results"]["solution_approaches"]}
        assert fields == {"mobility", "e-government", "retail", "participation"}
        assert workshop["results"]["summary"]

    rows = registrations(db_url)
    assert {r.participant_type for r in rows} == set(domain.PARTICIPANT_TYPES)
    assert {r.registrant_ags for r in rows} >= set(NOT_SELECTED), "the not selected municipalities take part"
    assert Counter(r.status for r in rows)["waitlisted"] > 0
    second = {w["municipality"]["ags"]: w["id"] for w in by_round[2]}
    siegen = Counter(r.status for r in rows if r.workshop_id == second[SIEGEN])
    assert siegen["confirmed"] > 0 and siegen["rejected"] == 1
    assert Counter(r.status for r in rows if r.workshop_id == second[WASSENBERG])["waitlisted"] > 0

    completed = of_type(outbox(db_url), "WorkshopCompleted")
    assert len(completed) == 3
    assert all(sum(c["attendance"].values()) > 0 for c in completed)
    assert "Mobilstation am Roßtorplatz" in str(completed)
    assert "@" not in str(completed)


def test_running_the_demo_again_changes_nothing(service):
    app, db_url, base_url = service
    chosen = Selection.fresh()
    deliver(app, *chosen.all_events())
    selected = {ags: name for ags, (name, _p, _s) in SELECTED.items()}  # AGS -> name works too
    run_demo(base_url, chosen.call_id, selected)
    before = sorted((r.id, r.status, r.checked_in_at) for r in registrations(db_url))
    run_demo(base_url, chosen.call_id, selected)
    assert sorted((r.id, r.status, r.checked_in_at) for r in registrations(db_url)) == before
    assert len(of_type(outbox(db_url), "WorkshopCompleted")) == 3
