"""Shared test data for the publishing domain. People are fictitious; the municipalities are real."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.publishing.domain import (
    Member,
    Subscriber,
    publication_from_selection,
    publication_from_workshop,
    publish,
)

NOW = datetime(2018, 10, 1, 9, 0, tzinfo=timezone.utc)
SECRET = "test-secret-not-for-production"
SENDER = "geschaeftsstelle@innenstadt-nrw.example"
BASE_URL = "https://vorort.innenstadt-nrw.example"

WASSENBERG, ARNSBERG, SIEGEN, HAMM = "05370040", "05958004", "05970040", "05915000"


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def selection_event() -> dict:
    return {
        "call_id": "call-smart-city-2018",
        "call_title": "Netzwerk vor Ort: Smart City",
        "topic": "Smart City",
        "places": 3,
        "applications_count": 11,
        "selected": [
            {"ags": WASSENBERG, "name": "Wassenberg", "size_class": "small_town", "population": 18500,
             "rationale": "Smart-City-Strategie unter Einbeziehung der Innenstadt, innovative Mobilitätskonzepte"},
            {"ags": ARNSBERG, "name": "Arnsberg", "size_class": "medium_town", "population": 74200},
            {"ags": SIEGEN, "name": "Siegen", "size_class": "big_city"},
        ],
        "ranking_summary": "Je eine Kleinstadt, Mittelstadt und Großstadt wurden ausgewählt.",
    }


@pytest.fixture
def workshop_event() -> dict:
    return {
        "workshop_id": "ws-wassenberg-1",
        "call_id": "call-smart-city-2018",
        "municipality_name": "Wassenberg",
        "sequence": 1,
        "starts_at": "2018-09-12T10:00:00+02:00",
        "topic": "Smart City",
        "summary": "Verwaltung, Handel und Schulen haben Ideen für eine smarte Innenstadt gesammelt.",
        "solution_approaches": [
            {"title": "Mobilstationen am Roßtorplatz", "description": "E-Bikes und Carsharing an einem Ort.",
             "field_of_action": "mobility"},
            {"title": "Digitale Bürgerwerkstatt", "description": "Ideen der Bewohnerinnen und Bewohner online sammeln.",
             "field_of_action": "participation"},
        ],
        "documents": [{"title": "Protokoll", "url": "https://example.org/wassenberg-protokoll.pdf"}],
        "attendance": {"administration": 8, "steering_group": 5, "school": 3, "business": 6},
    }


@pytest.fixture
def selection_pub(selection_event):
    return publish(publication_from_selection(selection_event, NOW - timedelta(days=100)), NOW - timedelta(days=99))


@pytest.fixture
def workshop_pub(workshop_event):
    return publish(publication_from_workshop(workshop_event, NOW - timedelta(days=10)), NOW - timedelta(days=9))


@pytest.fixture
def draft_pub(workshop_event):
    return publication_from_workshop({**workshop_event, "workshop_id": "ws-wassenberg-2", "sequence": 2}, NOW)


@pytest.fixture
def members() -> list[Member]:
    return [
        Member(id="m-wassenberg", name="Stadt Wassenberg", kind="municipality", ags=WASSENBERG,
               email="erika.musterfrau@wassenberg.example", contact_name="Erika Musterfrau"),
        Member(id="m-arnsberg", name="Stadt Arnsberg", kind="municipality", ags=ARNSBERG,
               email="innenstadt@arnsberg.example"),
        Member(id="m-siegen", name="Stadt Siegen", kind="municipality", ags=SIEGEN,
               email="max.beispiel@siegen.example", contact_name="Max Beispiel"),
        Member(id="m-hamm", name="Stadt Hamm", kind="municipality", ags=HAMM,
               email="lena.probe@hamm.example", contact_name="Lena Probe"),
        Member(id="p-ihk", name="IHK NRW", kind="partner", email="kontakt@ihk-nrw.example", contact_name="Jonas Test"),
        # The same person as Wassenberg's contact, registered again with different capitalisation.
        Member(id="p-dup", name="Arbeitskreis Innenstadt", kind="partner",
               email="Erika.Musterfrau@Wassenberg.example"),
    ]


@pytest.fixture
def subscribers() -> list[Subscriber]:
    created = NOW - timedelta(days=30)
    return [
        Subscriber(id="s1", email="confirmed@example.org", topics=("Smart City",), status="confirmed",
                   created_at=created, confirmed_at=created),
        Subscriber(id="s2", email="pending@example.org", topics=("Smart City",), status="pending", created_at=created),
        Subscriber(id="s3", email="gone@example.org", topics=("Smart City",), status="unsubscribed",
                   created_at=created, confirmed_at=created, unsubscribed_at=created),
        Subscriber(id="s4", email="other-topic@example.org", topics=("Handel",), status="confirmed",
                   created_at=created, confirmed_at=created),
        Subscriber(id="s5", email="CONFIRMED@example.org", topics=("smart city",), status="confirmed",
                   created_at=created, confirmed_at=created),
    ]
