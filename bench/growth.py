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
    SEEDED[call_id] = now
    return call_id


SEEDED: dict[str, datetime] = {}  # call id -> the first submission time of its seed


# A population that lies in the size class (the ranking refuses a candidate whose class contradicts it).
POPULATION_BY_CLASS = (("rural", 1_000), ("small", 5_000), ("medium", 20_000), ("large", 100_000))
REVIEWERS = ("stg-a", "stg-b", "stg-c")
REVIEWED_EVERY = 10  # every tenth candidate has three reviews, so the ranking has a scored head and a long tail


def _seed_candidates(db_url: str, size: int) -> str:
    from services.selection.db import (SelectionUnitOfWork, calls, candidates, panel_criteria, panel_members, panels,
                                       ranking_scores, reviews)
    from services.selection.domain import Candidate, Review, rank
    from shared.db import make_session_factory

    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    call_id = str(uuid.uuid4())
    reviewed = []
    with engine.begin() as connection:
        connection.execute(insert(calls).values(id=call_id, title="Growth", topic="Smart City", places=3,
                                                workshops_per_place=2, status="closed", closed_at=now))
        connection.execute(insert(panels).values(call_id=call_id, quorum=None, updated_at=now, updated_by="bench"))
        connection.execute(insert(panel_members), [
            {"call_id": call_id, "member_id": m, "position": i, "name": m, "institution": "I",
             "email": f"{m}@example.org", "role": "member"} for i, m in enumerate(REVIEWERS)])
        connection.execute(insert(panel_criteria), [
            {"call_id": call_id, "key": key, "position": i, "label": key, "weight": weight}
            for i, (key, weight) in enumerate((("concept", 2.0), ("impact", 1.0)))])
        batch, review_batch = [], []
        for i in range(size):
            size_class, population = POPULATION_BY_CLASS[i % 4]
            application_id = str(uuid.uuid4())
            batch.append({"application_id": application_id, "call_id": call_id, "ags": f"{i:08d}", "name": f"G{i}",
                          "population": population + i % 1000, "size_class": size_class,
                          "focus_areas": [], "statement": "x", "partners": [], "status": "submitted",
                          "submitted_at": now + timedelta(microseconds=i), "state_at": now})
            if i % REVIEWED_EVERY == 0:
                scores = [{"concept": 1 + (i + j) % 5, "impact": 1 + (i * 7 + j) % 5} for j in range(len(REVIEWERS))]
                reviewed.append((application_id, batch[-1], scores))
                review_batch += [{"call_id": call_id, "application_id": application_id, "member_id": m,
                                  "scores": score, "comment": "", "abstained": False, "created_at": now,
                                  "updated_at": now, "updated_by": "bench"} for m, score in zip(REVIEWERS, scores)]
            if len(batch) == 5000:
                connection.execute(insert(candidates), batch)
                connection.execute(insert(reviews), review_batch)
                batch, review_batch = [], []
        if batch:
            connection.execute(insert(candidates), batch)
            connection.execute(insert(reviews), review_batch)
    # The kept ranking numbers, as the review transactions (handlers.refresh_ranking) would have left them,
    # computed here by the same domain function from what was seeded, and written in bulk.
    with SelectionUnitOfWork(make_session_factory(engine)) as uow:
        panel = uow.panels.get(call_id)
        kept = []
        for application_id, row, scores in reviewed:
            reviews = [Review(member_id=m, application_id=application_id, scores=score, comment="", abstained=False)
                       for m, score in zip(REVIEWERS, scores)]
            candidate = Candidate(application_id=application_id, call_id=call_id, ags=row["ags"], name=row["name"],
                                  population=row["population"], size_class=row["size_class"],
                                  submitted_at=row["submitted_at"])
            [entry] = rank([candidate], panel, reviews, [])
            kept.append({"call_id": call_id, "application_id": application_id, "weighted_mean": entry.weighted_mean,
                         "review_count": entry.review_count, "abstention_count": entry.abstention_count,
                         "spread": entry.spread, "std_dev": entry.std_dev, "conflicted_member_ids": [],
                         "submitted_at": row["submitted_at"]})
    with engine.begin() as connection:
        for start in range(0, len(kept), 5000):
            connection.execute(insert(ranking_scores), kept[start:start + 5000])
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return call_id


def _measure(infra, service: str, seed, paths: dict) -> dict:
    """p50 and friends per path (name -> path_for(call_id, size, i)) and size, each size on its own database."""
    figures: dict = {name: {} for name in paths}
    headers = {"Authorization": "Bearer " + issue_token("staff", "bench")}
    for size in SIZES:
        db_url = infra.database(service)
        call_id = seed(db_url, size)
        server = Gunicorn(f"services.{service}.app:create_app()",
                          {f"{service.upper()}_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap})
        try:
            for name, path_for in paths.items():
                request = lambda i, p=path_for: ("GET", p(call_id, size, i), None, headers)  # noqa: E731
                load(server.port, request, total=20, concurrency=4)
                figures[name][size] = load(server.port, request, total=REQUESTS, concurrency=4)
                if set(figures[name][size]["statuses"]) != {200}:  # an error answers fast and flatters the ratio
                    raise RuntimeError(f"{service} {name} at {size}: answers {figures[name][size]['statuses']}")
        finally:
            server.stop()
    return figures


def _deep(call_id: str, size: int, i: int) -> str:
    """A page by position 90 % into the list (the seed's submission times are its start plus i microseconds)."""
    from shared.keyset import cursor

    start = SEEDED[call_id]
    return (f"/v1/calls/{call_id}/applications?page_size=20"
            f"&after={cursor(start + timedelta(microseconds=int(size * 0.9) + i), '0')}")


def run(infra) -> Result:
    started = time.perf_counter()
    lists = _measure(infra, "applications", _seed_applications, {
        "pages": lambda call_id, size, i: f"/v1/calls/{call_id}/applications?page={1 + i % 5}&page_size=20",
        "deep": _deep})
    listing, deep = lists["pages"], lists["deep"]
    ranking = _measure(infra, "selection", _seed_candidates,
                       {"pages": lambda call_id, size, i: f"/v1/calls/{call_id}/ranking?page={1 + i % 5}"})["pages"]
    small, large = SIZES
    list_ratio = listing[large]["p50_ms"] / listing[small]["p50_ms"]
    rank_ratio = ranking[large]["p50_ms"] / ranking[small]["p50_ms"]
    deep_ratio = deep[large]["p50_ms"] / deep[small]["p50_ms"]
    worst = max(list_ratio, rank_ratio)
    return Result(19, "Growth: list and ranking at 100,000 vs 1,000 applications",
                  f"list p50 {listing[large]['p50_ms']:.1f} ms, ranking p50 {ranking[large]['p50_ms']:.1f} ms",
                  f"at 1,000: list p50 {listing[small]['p50_ms']:.1f} ms, ranking p50 {ranking[small]['p50_ms']:.1f} ms",
                  worst, "<= 1.5 (each)", worst <= 1.5,
                  note=(f"List: GET /v1/calls/{{id}}/applications (pages 1-5 of 20). Ranking ratio {rank_ratio:.2f}, "
                        f"list ratio {list_ratio:.2f}; the ratio column shows the worse of the two. Seeded directly "
                        "into the services' databases (the APIs are what is measured, not the seeding). Every tenth candidate "
                        "has three reviews (a scored head, a long unscored tail), ranking pages 1-5 of 100. Until "
                        "2026-11-30 the seed gave candidates size classes that contradict their population, so the "
                        "old ranking figures timed a 422 after ranking everything; only 200 answers count now. "
                        f"By position (`after`, keyset) 90 % into the list: p50 {deep[large]['p50_ms']:.1f} ms at "
                        f"100,000 against {deep[small]['p50_ms']:.1f} ms at 1,000 ({deep_ratio:.2f}), no count."),
                  details={"list": listing, "list_by_position": deep, "ranking": ranking, "seconds": time.perf_counter() - started},
                  gap=("Done: an index in each list's order, counts that stop at 10,000 (X-Pagination then says the total is "
                       "a lower bound), and a ranking read in index order from numbers that every review, conflict "
                       "and panel change keeps (ranking_scores), paginated (100 a page). Both pages now cost the "
                       "same at both sizes apart from the bounded count (10,000 index entries counted at 100,000 "
                       "against 1,000 at 1,000); on a loaded machine p50 over 100 requests is noisy. Keyset pagination "
                       "(`after`) reads any page of the long lists without offset or count (see the note). What would close "
                       "the by-page figure: a lower count bound, which would cost exact totals (the admin shows "
                       "X-Pagination's total as a call's number of applications; 10,000 keeps it exact for every "
                       "German municipality). The ranking's remaining growth (1.35 to 1.58 in three idle runs) is "
                       "not profiled yet."))
