"""Issue 12, acceptance 6: the office manages organisations, people and API clients in the admin (German),
every page checked with axe-core for WCAG 2.1 AA; a client created there gets tokens, and revoking it
there ends them."""
from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import expect

from admin_browser_support import AxeChecker
from support import bearer, eventually

pytestmark = pytest.mark.browser


def test_the_office_registers_organisations_people_and_clients_and_revokes_a_client(platform, page):
    axe = AxeChecker()
    admin, identity = platform.url("admin"), platform.url("identity")
    run = uuid.uuid4().hex[:6]
    page.goto(admin + "/")
    page.get_by_label("Benutzername").fill(platform.staff["username"])
    page.get_by_label("Passwort").fill(platform.staff["password"])
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Zugänge").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Zugänge"
    axe.check(page)

    # a municipality without its AGS is refused, with the field named
    organisation = page.locator("form[action$='/access/organisations']")
    organisation.get_by_label("Art").select_option("municipality")
    organisation.get_by_label("Name").fill(f"Wassenberg {run}")
    organisation.get_by_role("button", name="Organisation registrieren").click()
    expect(page.locator(".field-error").first).to_be_visible(timeout=30_000)
    axe.check(page)
    organisation = page.locator("form[action$='/access/organisations']")
    organisation.get_by_label("Art").select_option("municipality")
    organisation.get_by_label("Name").fill(f"Wassenberg {run}")
    organisation.get_by_label("AGS").fill("05370040")
    organisation.get_by_role("button", name="Organisation registrieren").click()
    expect(page.get_by_role("rowheader", name=f"Wassenberg {run}")).to_be_visible(timeout=30_000)
    person = page.locator("form[action$='/access/people']")
    person.get_by_label("Organisation").select_option(label=f"Wassenberg {run}")
    person.get_by_label("Name").fill("Jana Beispiel")
    person.get_by_label("E-Mail-Adresse").fill(f"jana.{run}@example.org")
    person.get_by_role("button", name="Person registrieren").click()
    expect(page.get_by_text(f"jana.{run}@example.org")).to_be_visible(timeout=30_000)
    axe.check(page)

    client = page.locator("form[action$='/access/clients']")
    client.get_by_label("Name des Systems").fill(f"GIS {run}")
    client.get_by_label("Organisation (optional)").select_option(label=f"Wassenberg {run}")
    client.get_by_role("button", name="Client anlegen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "API-Client angelegt"
    axe.check(page)
    client_id = page.locator("dd code").nth(0).inner_text()
    secret = page.locator("dd code").nth(1).inner_text()
    token = requests.post(identity + "/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(client_id, secret), timeout=30)
    assert token.status_code == 200, token.text

    page.get_by_role("link", name="Zurück zu den Zugängen").click()
    assert secret not in page.content()  # shown once, never again
    row = page.get_by_role("row", name=f"GIS {run}")
    row.get_by_role("button", name="Widerrufen").click()
    expect(page.get_by_role("row", name=f"GIS {run}").get_by_text("widerrufen")).to_be_visible(timeout=30_000)
    axe.check(page)
    staff = bearer("staff", "staff:access-test")
    assert requests.get(f"{identity}/v1/clients/{client_id}", headers=staff, timeout=30).json()["status"] == "revoked"
    access_token = token.json()["access_token"]
    eventually(lambda: requests.get(platform.url("applications") + "/v1/calls", timeout=30,
                                    headers={"Authorization": f"Bearer {access_token}"}).status_code == 401,
               timeout=30, message="the revoked client's token is refused")
