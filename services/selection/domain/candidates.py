"""Town size classes and the candidates (the applications as selection sees them)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.municipalities import AGS_RE, SIZE_CLASSES, size_class_for
from shared.errors import InvalidInput

# --------------------------------------------------------------------------------------------------------------
# Town size classes (BBSR, by population)
# --------------------------------------------------------------------------------------------------------------


_SIZE_CLASS_NOUNS = {
    "rural": ("rural municipality", "rural municipalities"),
    "small": ("small town", "small towns"),
    "medium": ("medium-sized town", "medium-sized towns"),
    "large": ("big city", "big cities"),
}


def _towns(size_class: str, count: int) -> str:
    """'1 small town', '2 small towns': used in reasoning sentences."""
    singular, plural = _SIZE_CLASS_NOUNS[size_class]
    return f"{count} {singular if count == 1 else plural}"


def _is_whole_number(value: object) -> bool:
    # bool is an int subclass; True must not pass as a score or a count.
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------------------------

CANDIDATE_STATUSES = ("submitted", "withdrawn")


@dataclass(frozen=True)
class Candidate:
    """An application to a call, seen from the selection: who applied and how big the municipality is.

    `size_class` is derived from `population` when left out. If it is given, it must match, so that the
    balance rule cannot be tricked by a stale class. The population may be unknown (None; the events
    carry it as optional) when the size class is given. `submitted_at` is optional and is used only to
    break ties in the ranking. The content the panel reads (`focus_areas`, `statement`, `partners`) and when
    it was current (`state_at`; `withdrawn_at` once withdrawn) come with the application's events.
    """

    application_id: str
    call_id: str
    ags: str
    name: str
    population: int | None
    size_class: str | None = None
    status: str = "submitted"
    submitted_at: datetime | None = None
    focus_areas: tuple[str, ...] = ()
    statement: str = ""
    partners: tuple[str, ...] = ()
    state_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.application_id:
            raise InvalidInput("an application id is required", "application_id")
        if not isinstance(self.ags, str) or not AGS_RE.fullmatch(self.ags):
            raise InvalidInput("the AGS (Amtlicher Gemeindeschlüssel) has 8 digits", "ags")
        if self.population is None:
            if self.size_class not in SIZE_CLASSES:
                raise InvalidInput(
                    f"without a population, the size class must be one of {', '.join(SIZE_CLASSES)}", "size_class"
                )
            derived = self.size_class
        elif not _is_whole_number(self.population) or self.population < 0:
            raise InvalidInput("population must be a whole number of at least 0", "population")
        else:
            derived = size_class_for(self.population)
        if self.size_class is None:
            object.__setattr__(self, "size_class", derived)
        elif self.size_class != derived:
            raise InvalidInput(
                f"a population of {self.population:,} makes a {derived} municipality, not {self.size_class}",
                "size_class",
            )
        if self.status not in CANDIDATE_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(CANDIDATE_STATUSES)}", "status")

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"


@dataclass(frozen=True)
class Tombstone:
    """A withdrawal seen before (or without) its submission: no candidate yet, only that it is withdrawn, so
    that a submission arriving later fills in the content and never revives it."""

    application_id: str
    call_id: str
    ags: str
    withdrawn_at: datetime | None
    status: str = "withdrawn"


def _candidates_by_id(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """All candidates by id, refusing duplicates and a mix of calls: both would be a caller's bug."""
    by_id: dict[str, Candidate] = {}
    call_ids = set()
    for index, candidate in enumerate(candidates):
        if candidate.application_id in by_id:
            raise InvalidInput(
                f"application {candidate.application_id!r} appears twice", f"candidates[{index}].application_id"
            )
        by_id[candidate.application_id] = candidate
        call_ids.add(candidate.call_id)
    if len(call_ids) > 1:
        raise InvalidInput("candidates of different calls cannot be ranked together", "candidates")
    return by_id
