"""The overview's figures per call: received, withdrawn and decided, not only what is still `submitted`."""
from __future__ import annotations

import re

import pytest
import requests

from admin_support import AdminSession, staff_session
from programme_support import STAFF, decided_call

pytestmark = pytest.mark.integration


@pytest.fixture
def staff_admin(platform) -> AdminSession:
    return staff_session(platform)


def _row(page: str, title: str) -> list[str]:
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(title)}</a>.*?</tr>", page, re.S)
    assert row, f"no row for {title}"
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]


def test_a_decided_call_shows_what_it_received_what_was_withdrawn_and_what_was_decided(platform, staff_admin):
    programme = decided_call(platform.urls, withdraw_before_decision=("Bad Berleburg",))
    title = requests.get(f"{platform.url('applications')}/v1/calls/{programme.call_id}", headers=STAFF,
                         timeout=30).json()["title"]

    cells = _row(staff_admin.get("/").text, title)
    # stage, received, withdrawn, decided, places, ...
    assert cells[1:4] == ["6", "1", "3 ausgewählt, 2 nicht ausgewählt"]
