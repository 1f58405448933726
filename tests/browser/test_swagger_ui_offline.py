"""Issue 10, item 4: every API service's Swagger UI (`/docs`) comes from the service itself.

The browser records every request the page makes and refuses any to another host, as a machine without
network would; the UI must still render the service's operations. A CDN-hosted Swagger UI fails both
ways: the foreign request is recorded, and the page stays blank.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from support import api_services

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("service", api_services())
def test_swagger_ui_renders_offline_and_asks_no_other_host(platform, browser, service):
    base = platform.url(service)
    own_host = urlsplit(base).netloc
    requested, refused = [], []
    context = browser.new_context()

    def only_own_host(route):
        if urlsplit(route.request.url).netloc == own_host or route.request.url.startswith("data:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_own_host)
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{base}/docs", wait_until="networkidle", timeout=60_000)
        title = page.locator(".swagger-ui .info .title")
        title.wait_for(timeout=30_000)
        operations = page.locator(".swagger-ui .opblock")
        operations.first.wait_for(timeout=30_000)
        assert title.inner_text().startswith("Netzwerk vor Ort"), title.inner_text()
        assert operations.count() >= 3, operations.count()
    finally:
        context.close()
    foreign = [url for url in requested if urlsplit(url).netloc not in (own_host, "")]
    assert foreign == [] and refused == [], f"/docs of {service} asked other hosts: {foreign + refused}"
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in requested), requested
