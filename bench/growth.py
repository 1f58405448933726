"""19. Growth: list and ranking endpoints at 1,000 and at 100,000 applications (p50 at the larger size
within 1.5 times the smaller)."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, insert

from bench.common import Gunicorn, Result, load
from shared.auth import issue_token

SIZES = (1_000, 100_000)
REQUESTS = 100


def _seed_applications(db_url: str, size: int) -> str:
    from services.applications.db import applications, calls

    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    call_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(insert(calls).values(
            id=call_id, title="Growth", topic="Smart City", description="", opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1), places=3, workshops_per_place=2, status="open", created_at=now))
        batch = []
        for i in range(size):
            batch.append({"id": str(uuid.uuid4()), "call_id": call_id, "ags": f"{i:08d}", "municipality_name": f"G{i}",
                          "population": 1000 + i, "size_class": ("rural", "small", "medium", "large")[i % 4],
                          "contact_name": "M", "contact_email": "m@example.org", "contact_phone": None,
                          "focus_areas": [], "statement": "x", "partners": [], "status": "submitted",
                          "submitted_at": now + timedelta(microseconds=i), "updated_at": now, "withdrawn_at": None,
                          "submitted_by": "bench"})
            if len(batch) == 5000:
                connection.execute(insert(applications), batch)
                batch = []
        if batch:
            connection.execute(insert(applications), batch)
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return call_id


def _seed_candidates(db_url: str, size: int) -> str:
    from services.selection.db import calls, candidates

    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    call_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(insert(calls).values(id=call_id, title="Growth", topic="Smart City", places=3,
                                                workshops_per_place=2, status="closed", closed_at=now))
        batch = []
        for i in range(size):
            batch.append({"application_id": str(uuid.uuid4()), "call_id": call_id, "ags": f"{i:08d}", "name": f"G{i}",
                          "population": 1000 + i, "size_class": ("rural", "small", "medium", "large")[i % 4],
                          "focus_areas": [], "statement": "x", "partners": [], "status": "submitted",
                          "submitted_at": now + timedelta(microseconds=i), "state_at": now})
            if len(batch) == 5000:
                connection.execute(insert(candidates), batch)
                batch = []
        if batch:
            connection.execute(insert(candidates), batch)
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return call_id


def _measure(infra, service: str, seed, path_for) -> dict:
    figures = {}
    headers = {"Authorization": "Bearer " + issue_token("staff", "bench")}
    for size in SIZES:
        db_url = infra.database(service)
        call_id = seed(db_url, size)
        server = Gunicorn(f"services.{service}.app:create_app()",
                          {f"{service.upper()}_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap})
        try:
            request = lambda i: ("GET", path_for(call_id, i), None, headers)  # noqa: E731
            load(server.port, request, total=20, concurrency=4)
            figures[size] = load(server.port, request, total=REQUESTS, concurrency=4)
        finally:
            server.stop()
    return figures


def run(infra) -> Result:
    started = time.perf_counter()
    listing = _measure(infra, "applications", _seed_applications,
                       lambda call_id, i: f"/v1/calls/{call_id}/applications?page={1 + i % 5}&page_size=20")
    ranking = _measure(infra, "selection", _seed_candidates, lambda call_id, i: f"/v1/calls/{call_id}/ranking")
    small, large = SIZES
    list_ratio = listing[large]["p50_ms"] / listing[small]["p50_ms"]
    rank_ratio = ranking[large]["p50_ms"] / ranking[small]["p50_ms"]
    worst = max(list_ratio, rank_ratio)
    return Result(19, "Growth: list and ranking at 100,000 vs 1,000 applications",
                  f"list p50 {listing[large]['p50_ms']:.1f} ms, ranking p50 {ranking[large]['p50_ms']:.1f} ms",
                  f"at 1,000: list p50 {listing[small]['p50_ms']:.1f} ms, ranking p50 {ranking[small]['p50_ms']:.1f} ms",
                  worst, "<= 1.5 (each)", worst <= 1.5,
                  note=(f"List: GET /v1/calls/{{id}}/applications (pages 1-5 of 20). Ranking ratio {rank_ratio:.2f}, "
                        f"list ratio {list_ratio:.2f}; the ratio column shows the worse of the two. Seeded directly "
                        "into the services' databases (the APIs are what is measured, not the seeding)."),
                  details={"list": listing, "ranking": ranking, "seconds": time.perf_counter() - started},
                  gap=('The list is paginated, but each page still counts every application of the call (for X-Pagination) and sorts them by submission time, for which no index exists: both grow with the call. The ranking is computed from every candidate and review of the call on each request, so it grows with the call too. What would close it: an index on (call_id, submitted_at, id) and a count kept per call (or an estimate past a threshold) for the list; for the ranking, a table that each review, conflict and candidate change updates in its own transaction (weighted mean and spread per candidate are cheap to maintain), and a paginated ranking endpoint. Real calls have tens of applicants (11 in 2018), where both answer in milliseconds.'))
