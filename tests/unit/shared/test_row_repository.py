"""Immutable aggregates (frozen dataclasses) are stored through a RowMapping: reads give domain objects,
changed values are saved, converted fields round-trip, and columns the domain does not know stay the
repository's."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import Session

from shared.db import AS_TUPLE, RowMapping, RowRepository

metadata = MetaData()
notes = Table("notes", metadata, Column("id", String(10), primary_key=True), Column("title", String(50)),
              Column("tags", JSON), Column("parts", JSON), Column("rank", Integer), Column("written_by", String(50)))


@dataclass(frozen=True)
class Part:
    text: str


@dataclass(frozen=True, kw_only=True)
class Note:
    id: str
    title: str
    tags: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    rank: int = 0
    draft: bool = True  # no column: takes its default on every read

    def retitled(self, title: str) -> Note:
        return replace(self, title=title)


class NoteRepository(RowRepository[Note]):
    mapping = RowMapping(Note, notes, convert={
        "tags": AS_TUPLE,
        "parts": (lambda parts: [part.text for part in parts], lambda texts: tuple(Part(t) for t in texts))})


def session() -> Session:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return Session(engine)


def test_a_value_added_is_read_back_as_an_equal_domain_object():
    with session() as db:
        note = Note(id="n1", title="Workshop Gelsenkirchen", tags=("smart-city", "mobilität"),
                    parts=(Part("Befund"), Part("Empfehlung")), rank=2)
        NoteRepository(db).add(note, written_by="staff:erika")
        loaded = NoteRepository(db).get("n1")
        assert loaded == note and isinstance(loaded, Note)
        assert isinstance(loaded.tags, tuple) and loaded.parts[1] == Part("Empfehlung")


def test_converted_fields_are_stored_in_their_column_form_and_unknown_columns_stay_the_repositorys():
    with session() as db:
        NoteRepository(db).add(Note(id="n1", title="t", tags=("a",), parts=(Part("x"),)), written_by="staff:erika")
        row = db.execute(select(notes)).one()
        assert json.loads(json.dumps(row.tags)) == ["a"] and row.parts == ["x"]
        assert row.written_by == "staff:erika"


def test_a_changed_value_is_saved_under_its_key_and_other_rows_stay():
    with session() as db:
        repository = NoteRepository(db)
        repository.add(Note(id="n1", title="alt"))
        repository.add(Note(id="n2", title="andere"))
        repository.save(repository.get("n1").retitled("neu"), written_by="staff:max")
        assert repository.get("n1").title == "neu" and repository.get("n2").title == "andere"
        assert db.execute(select(notes.c.written_by).where(notes.c.id == "n1")).scalar_one() == "staff:max"


def test_a_missing_key_reads_as_none_and_a_page_counts_the_whole_query():
    with session() as db:
        repository = NoteRepository(db)
        for i in range(5):
            repository.add(Note(id=f"n{i}", title=f"t{i}", rank=i))
        assert repository.get("nope") is None
        items, total = repository.page(select(notes).where(notes.c.rank >= 1), notes.c.rank.desc(),
                                       offset=1, limit=2)
        assert total == 4 and [note.id for note in items] == ["n3", "n2"]
        assert all(note.draft for note in items)


votes = Table("votes", metadata, Column("call_id", String(10), primary_key=True),
              Column("member_id", String(10), primary_key=True), Column("value", Integer))


@dataclass(frozen=True, kw_only=True)
class Vote:
    call_id: str
    member_id: str
    value: int


class VoteRepository(RowRepository[Vote]):
    mapping = RowMapping(Vote, votes)
    key = ("call_id", "member_id")


def test_a_composite_key_gets_saves_and_removes_exactly_its_own_row():
    with session() as db:
        repository = VoteRepository(db)
        for call, member in (("c1", "m1"), ("c1", "m2"), ("c2", "m1")):
            repository.add(Vote(call_id=call, member_id=member, value=1))
        repository.save(Vote(call_id="c1", member_id="m2", value=5))
        assert repository.get(("c1", "m2")).value == 5
        assert repository.get(("c1", "m1")).value == 1 and repository.get(("c2", "m1")).value == 1
        repository.remove(("c1", "m1"))
        assert repository.get(("c1", "m1")) is None and repository.get(("c2", "m1")) is not None
