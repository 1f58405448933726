"""Browser tests: the system Chromium (one per module); a failed page is kept as a screenshot and HTML under
test-artifacts/."""
from __future__ import annotations

import pytest

from admin_browser_support import launch, wait_for_browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.admin_call_failed = report.failed


@pytest.fixture(scope="module")
def browser():
    """The system Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    wait_for_browser()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
