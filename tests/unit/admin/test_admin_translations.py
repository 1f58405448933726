"""The German catalogues of the web front ends (admin, portal) are complete and their compiled .mo match
the .po (German is the default)."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import pytest

from shared.config import REPO_ROOT

FRONT_ENDS = ["admin", "portal"]


def translations(service: str) -> Path:
    return REPO_ROOT / "services" / service / "translations"


def catalogue(service: str):
    with open(translations(service) / "de/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("service", FRONT_ENDS)
def test_every_message_has_a_german_translation(service):
    with open(translations(service) / "messages.pot", "rb") as handle:
        template = read_po(handle)
    german = catalogue(service)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = german.get(message.id)
        strings = translated.string if translated is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)) or translated.fuzzy:
            missing.append(message.id)
    assert missing == []


def _key(value):
    return tuple(value) if isinstance(value, list) else value


@pytest.mark.parametrize("service", FRONT_ENDS)
def test_the_compiled_catalogue_is_up_to_date(service):
    compiled = BytesIO()
    write_mo(compiled, catalogue(service))
    compiled.seek(0)
    expected = {_key(m.id): _key(m.string) for m in read_mo(compiled) if m.id}
    with open(translations(service) / "de/LC_MESSAGES/messages.mo", "rb") as handle:
        shipped = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    assert shipped == expected
