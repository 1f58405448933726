"""Fixtures for the publishing tests (data in publishing_helpers.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.publishing.domain import (
    Member,
    Subscriber,
    publication_from_selection,
    publication_from_workshop,
    publish,
)

from . import publishing_helpers as h


@pytest.fixture
def selection_event() -> dict:
    return h.selection_event()


@pytest.fixture
def workshop_event() -> dict:
    return h.workshop_event()


@pytest.fixture
def selection_pub(selection_event):
    """Published long ago."""
    return publish(publication_from_selection(selection_event), h.NOW - timedelta(days=99))


@pytest.fixture
def workshop_pub(workshop_event):
    """Published recently: newer than the selection."""
    return publish(publication_from_workshop(workshop_event), h.NOW - timedelta(days=9))


@pytest.fixture
def draft_pub(workshop_event):
    return publication_from_workshop({**workshop_event, "workshop_id": "ws-wassenberg-2", "sequence": 2}, h.NOW)


@pytest.fixture
def members() -> list[Member]:
    return [
        Member(id="m-wassenberg", name="Stadt Wassenberg", kind="municipality", ags=h.WASSENBERG,
               email="erika.musterfrau@wassenberg.example", contact_name="Erika Musterfrau"),
        Member(id="m-arnsberg", name="Stadt Arnsberg", kind="municipality", ags=h.ARNSBERG,
               email="innenstadt@arnsberg.example"),
        Member(id="m-siegen", name="Stadt Siegen", kind="municipality", ags=h.SIEGEN,
               email="max.beispiel@siegen.example", contact_name="Max Beispiel"),
        Member(id="m-hamm", name="Stadt Hamm", kind="municipality", ags=h.HAMM,
               email="lena.probe@hamm.example", contact_name="Lena Probe"),
        Member(id="p-ihk", name="IHK NRW", kind="partner", email="kontakt@ihk-nrw.example", contact_name="Jonas Test"),
        # The same person as Wassenberg's contact, registered again with different capitalisation.
        Member(id="p-dup", name="Arbeitskreis Innenstadt", kind="partner",
               email="Erika.Musterfrau@Wassenberg.example"),
    ]


@pytest.fixture
def subscribers() -> list[Subscriber]:
    created = h.NOW - timedelta(days=30)
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
