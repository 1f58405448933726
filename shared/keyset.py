"""Keyset pagination for long lists: `?after=<cursor>` continues a list after the last item a client saw.

A list ordered by (a time, a unique key) can be read page after page by position instead of by offset: the
database starts at the cursor in the list's index and reads `page_size` rows, however far into the list the
page lies, and nothing is counted. Every page of such a list (by `page` or by `after`) names the cursor of
the next one in the `X-Next-After` header, absent on the last page. A cursor is `<microseconds since the
epoch>.<key>` of the last item of the page; any text of that form is a position, so a made-up cursor gives
the items after it, never an error. In keyset mode X-Pagination says `{"page_size": n, "keyset": true}`:
there is no total and no page number.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from marshmallow import ValidationError, fields
from sqlalchemy import Select, bindparam, tuple_

NEXT_HEADER = "X-Next-After"
CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9A-Za-z-]{1,64}$"
CURSOR_RE = re.compile(CURSOR_PATTERN)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)
HEADERS_DOC = {NEXT_HEADER: {
    "description": "The cursor of the next page (pass it as `after`); absent on the last page.",
    "schema": {"type": "string", "pattern": CURSOR_PATTERN}}}


@dataclass(frozen=True)
class Position:
    moment: datetime
    key: str


def cursor(moment: datetime, key: str) -> str:
    return f"{(moment - EPOCH) // MICROSECOND}.{key}"


def position(text: str) -> Position:
    micros, _, key = text.partition(".")
    return Position(EPOCH + int(micros) * MICROSECOND, key)


class Cursor(fields.Field[Position]):
    """The `after` query parameter: a position in a list, read as a `Position`."""

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={"type": "string", "pattern": CURSOR_PATTERN,
            "description": "Continue after this position (the X-Next-After header of the previous page) "
                           "instead of by page number: as fast far into a long list as at its start, without a "
                           "total. With after, page is not used."}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Position:
        if not isinstance(value, str) or not CURSOR_RE.match(value):
            raise ValidationError("Not a position of a list: pass the X-Next-After header of the previous page.")
        return position(value)


class Keyset(int):
    """The item count a keyset page reports to X-Pagination (shared.web.app.ServiceBlueprint): none."""


@dataclass
class Page:
    rows: list[Any]
    item_count: int  # exact, a lower bound (shared.db.AtLeast), or Keyset() when read by position
    next_after: str | None

    def headers(self) -> dict[str, str]:
        return {NEXT_HEADER: self.next_after} if self.next_after else {}


def read_page(run: Callable[[Select[Any]], Iterable[Any]], query: Select[Any], order: tuple[Any, Any],
              key: Callable[[Any], tuple[datetime | None, str]], *, after: Position | None, offset: int, limit: int,
              count: Callable[[Select[Any], int], int]) -> Page:
    """One page of `query` in `order` (a time column, then a unique key column, both ascending). `run(query)`
    executes (session.scalars for entities, session.execute for rows), `key(row)` gives a row's (time, key),
    `count(query, reach)` counts for the offset mode."""
    time_column, key_column = order
    ordered = query.order_by(time_column, key_column)
    if after is not None:
        start = tuple_(time_column, key_column) > tuple_(bindparam(None, after.moment, type_=time_column.type),
                                                         bindparam(None, after.key, type_=key_column.type))
        rows = list(run(ordered.where(start).limit(limit + 1)))
        more, rows = len(rows) > limit, rows[:limit]
        total: int = Keyset(0)
    else:
        total = count(query, offset + limit)
        rows = list(run(ordered.offset(offset).limit(limit)))
        more = offset + len(rows) < total
    moment, last_key = key(rows[-1]) if more and rows else (None, "")
    # A row without its time (a projection that has not seen it yet) has no position: no cursor then.
    return Page(rows, total, cursor(moment, last_key) if moment is not None else None)
