"""Browser tests keep a screenshot and the HTML of the page they failed on, under test-artifacts/."""
from __future__ import annotations

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.admin_call_failed = report.failed
