"""Helpers for the admin's browser tests: the system Chromium, axe-core checks, polling pages, screenshots."""
from __future__ import annotations

import os
import time
from pathlib import Path

from shared.config import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_script() -> Path:
    import axe_playwright_python

    return Path(axe_playwright_python.__file__).parent / "axe.min.js"


def launch(playwright):
    return playwright.chromium.launch(executable_path=os.environ.get("VORORT_BROWSER", "/usr/bin/chromium"),
                                      args=CHROMIUM_ARGS)


def wait_for_browser(timeout: float = 600.0) -> str:
    """The system Chromium may still be being installed by apt: wait for it (with a deadline)."""
    path = os.environ.get("VORORT_BROWSER", "/usr/bin/chromium")
    deadline = time.monotonic() + timeout
    while not os.access(path, os.X_OK):
        if time.monotonic() > deadline:
            raise AssertionError(f"no browser at {path}")
        time.sleep(2)
    return path


class AxeChecker:
    """Runs axe-core (WCAG 2.1 A and AA) on a page and remembers every page it checked."""

    def __init__(self):
        self.source = axe_script().read_text()
        self.checked: list[str] = []

    def check(self, page) -> None:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=self.source)
        result = page.evaluate("""async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""", WCAG_AA)
        self.checked.append(page.url)
        assert result == [], f"axe found WCAG 2.1 AA violations on {page.url}:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in result)


def reload_until(page, predicate, timeout: float = 60.0, interval: float = 1.0, message: str = "page condition"):
    """Reload `page` until `predicate(page)` holds or the deadline passes (for events that need time)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout}s on {page.url}")
        time.sleep(interval)
        page.reload()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
