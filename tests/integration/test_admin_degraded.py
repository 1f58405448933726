"""When a service is down, the admin shows a German notice instead of failing with a 500."""
from __future__ import annotations

import pytest

from admin_support import csrf_token
from services.admin.accounts import add_staff
from services.admin.app import create_app
from services.admin.db import StaffStore
from shared.db import make_engine
from support import settings
from vorort.broker import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def offline_admin(pg_database, kafka_bootstrap, monkeypatch):
    """An admin whose four services all point at ports where nobody listens."""
    for service in ("applications", "selection", "workshops", "publishing"):
        monkeypatch.setenv(f"{service.upper()}_URL", f"http://127.0.0.1:{free_port()}")
    url = pg_database("admin")
    add_staff(StaffStore(make_engine(url)), "gerda.beispiel", "ein-langes-passwort")
    app = create_app(settings("admin", url, kafka_bootstrap))
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "gerda.beispiel", "password": "ein-langes-passwort",
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


def test_a_page_of_a_service_that_is_down_says_so_in_german(offline_admin):
    response = offline_admin.get("/calls")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Dienst nicht erreichbar" in page
    assert "Der Dienst „Bewerbungen“ ist gerade nicht erreichbar" in page


def test_the_overview_still_opens_and_names_the_services_that_are_down(offline_admin):
    response = offline_admin.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Der Dienst „Bewerbungen“ ist gerade nicht erreichbar" in page
    assert "Der Dienst „Veröffentlichung“ ist gerade nicht erreichbar" in page
    assert "Noch keine Aufrufe" not in page  # unknown is not the same as none


def test_the_operations_page_marks_the_services_that_are_down(offline_admin):
    response = offline_admin.get("/operations")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("status-unavailable") >= 4


def test_opening_a_form_of_a_service_that_is_down_gives_a_notice(offline_admin):
    form = offline_admin.get("/workshops/w-1/schedule")
    assert form.status_code == 503
    assert "Der Dienst „Strategiewerkstätten“ ist gerade nicht erreichbar" in form.get_data(as_text=True)
