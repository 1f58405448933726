"""Lists count their items only up to a bound; past it X-Pagination says the total is a lower bound."""
from __future__ import annotations

import json

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from shared.db import AtLeast, bounded_count
from shared.web import ServiceBlueprint

items = Table("items", MetaData(), Column("id", Integer, primary_key=True))


def session_with(n: int) -> Session:
    engine = create_engine("sqlite://")
    items.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(items), [{"id": i} for i in range(n)])
    return Session(engine)


def test_a_count_within_the_bound_is_exact():
    with session_with(30) as session:
        total = bounded_count(session, select(items), bound=30)
        assert total == 30 and not isinstance(total, AtLeast)


def test_a_count_past_the_bound_stops_and_says_it_is_a_lower_bound():
    with session_with(30) as session:
        total = bounded_count(session, select(items), bound=10)
        assert isinstance(total, AtLeast) and total == 11


def test_a_count_reaches_at_least_the_end_of_the_requested_page():
    with session_with(30) as session:
        assert bounded_count(session, select(items), reach=25, bound=10) == AtLeast(26)
        assert not isinstance(bounded_count(session, select(items), reach=30, bound=10), AtLeast)


def test_pagination_header_for_a_bounded_count_has_a_next_page_and_no_last_page():
    metadata = ServiceBlueprint._make_pagination_metadata(3, 20, AtLeast(10_001))
    assert metadata == {"total": 10_001, "total_is_lower_bound": True, "first_page": 1, "page": 3,
                        "previous_page": 2, "next_page": 4}
    json.dumps(metadata)
    exact = ServiceBlueprint._make_pagination_metadata(3, 20, 45)
    assert exact["last_page"] == 3 and "next_page" not in exact and "total_is_lower_bound" not in exact
