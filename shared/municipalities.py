"""The municipality vocabulary of the event contract, defined once: the AGS and the BBSR town size classes.

Events carry a municipality as `{"ags", "name", "population", "size_class"}` (shared.events.catalogue);
every service that reads or checks one of these uses the definitions here.
- AGS (Amtlicher Gemeindeschlüssel): exactly eight digits.
- Size classes (BBSR, by population, lower bound inclusive): rural < 5,000 <= small < 20,000 <= medium
  < 100,000 <= large. Every population from 0 up has a class; whether 0 is an acceptable population is the
  input rule of the service that takes it (applications asks for a positive one).
"""
from __future__ import annotations

import re

AGS_PATTERN = r"^\d{8}$"
AGS_RE = re.compile(AGS_PATTERN)

SIZE_CLASSES = ("rural", "small", "medium", "large")
SIZE_CLASS_BOUNDS = (  # lower bound inclusive, largest first
    ("large", 100_000),
    ("medium", 20_000),
    ("small", 5_000),
    ("rural", 0),
)


def is_ags(value: object) -> bool:
    return isinstance(value, str) and AGS_RE.fullmatch(value) is not None


def size_class_for(population: int) -> str:
    """The BBSR class of a municipality with this population (0 or more)."""
    if population < 0:
        raise ValueError(f"a population is 0 or more, not {population}")
    for name, lower in SIZE_CLASS_BOUNDS:
        if population >= lower:
            return name
    raise AssertionError("unreachable: the smallest bound is 0")
