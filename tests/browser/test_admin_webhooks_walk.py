"""The office's webhooks pages in a real browser: the endpoint list, an endpoint with its delivery log,
pausing and resuming, a replay; every page checked with axe-core for WCAG 2.1 AA."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from admin_browser_support import AxeChecker, reload_until
from shared.events.catalogue import topic_for
from shared.kafka import make_producer
from support import bearer
from webhooks_support import Receiver, flow_2018

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    # The admin sends a strict Content-Security-Policy; bypassing it lets the test inject axe-core.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_staff_follow_a_partners_webhook_deliveries_and_pause_the_endpoint(platform, kafka_bootstrap, page):
    axe = AxeChecker()
    receiver = Receiver().start()
    try:
        answer = requests.post(f"{platform.url('webhooks')}/v1/endpoints", headers=bearer("partner", "uni-siegen"),
                               timeout=30, json={"url": receiver.url, "event_types": ["CallOpened"],
                                                 "contact_email": "it@uni-siegen.example",
                                                 "description": "Veranstaltungskalender der Universität"})
        assert answer.status_code == 201, answer.text
        event = flow_2018()[0]
        producer = make_producer(kafka_bootstrap, "test-admin-webhooks-walk")
        producer.send(topic_for(event.type), key=event.key(), value=event.value(), headers=event.headers()).get(30)
        producer.close()

        page.goto(platform.url("admin") + "/")
        page.get_by_label("Benutzername").fill(platform.staff["username"])
        page.get_by_label("Passwort").fill(platform.staff["password"])
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible(timeout=30_000)
        axe.check(page)
        page.get_by_role("link", name=receiver.url).first.click()
        # (the status filter offers "zugestellt" too: look in the log's table)
        reload_until(page, lambda p: p.locator("table .status", has_text="zugestellt").count() > 0,
                     message="the delivery in the log")
        axe.check(page)
        page.get_by_role("button", name="Anhalten").click()
        expect(page.locator(".message").first).to_contain_text("angehalten", timeout=30_000)
        axe.check(page)
        page.get_by_role("button", name="Fortsetzen").click()
        expect(page.locator(".message").first).to_contain_text("wieder aktiv", timeout=30_000)
        page.get_by_role("button", name="Erneut senden", exact=True).first.click()
        expect(page.locator(".message").first).to_contain_text("derselben webhook-id", timeout=30_000)
        axe.check(page)
    finally:
        receiver.stop()
    assert len(axe.checked) == 4
