"""Browser tests: the system Chromium (one per module); a failed page is kept as a screenshot and HTML under
test-artifacts/."""
from __future__ import annotations

import pytest

from admin_browser_support import ARTIFACTS, launch, screenshot, wait_for_browser


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


@pytest.fixture
def page(browser, request):
    """A German admin page; the admin's strict Content-Security-Policy is bypassed so that the tests can
    inject axe-core. A failed test keeps its page as a screenshot and HTML under test-artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    if getattr(request.node, "admin_call_failed", False):
        screenshot(page, f"failed-{request.node.name}.png")
        (ARTIFACTS / f"failed-{request.node.name}.html").write_text(page.content())
    context.close()
