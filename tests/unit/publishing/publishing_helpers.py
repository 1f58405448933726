"""Constants and sample events for the publishing tests.

Events follow shared/events/catalogue (SelectionCompleted v1, WorkshopCompleted v1).
People are fictitious; the municipalities are real.
"""
from __future__ import annotations

from datetime import datetime, timezone

NOW = datetime(2018, 10, 1, 9, 0, tzinfo=timezone.utc)
SECRET = "test-secret-not-for-production"
SENDER = "geschaeftsstelle@innenstadt-nrw.example"
BASE_URL = "https://vorort.innenstadt-nrw.example"
UNSUBSCRIBE_URL = "https://vorort.innenstadt-nrw.example/unsubscribe?token=abc.def"

WASSENBERG, ARNSBERG, SIEGEN, HAMM = "05370040", "05958004", "05970040", "05915000"
CALL_ID = "c0a8e2f4-3b1d-4e5f-9a6b-7c8d9e0f1a2b"
WORKSHOP_ID = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"

_NOT_SELECTED = [  # eight applicants that were not selected (names only matter for "never published")
    ("05915000", "Hamm", "large"), ("05562024", "Recklinghausen", "large"), ("05754028", "Gütersloh", "large"),
    ("05382068", "Troisdorf", "medium"), ("05766020", "Detmold", "medium"), ("05974028", "Soest", "medium"),
    ("05166024", "Kempen", "medium"), ("05558012", "Coesfeld", "medium"),
]


def selection_event() -> dict:
    selected = [("app-wassenberg", WASSENBERG, "Wassenberg", "small"),
                ("app-arnsberg", ARNSBERG, "Arnsberg", "medium"),
                ("app-siegen", SIEGEN, "Siegen", "large")]
    ranking = [
        {"application_id": app, "ags": ags, "name": name, "size_class": size, "rank": rank, "score": 4.5 - rank / 10,
         "reviews": 7, "selected": True}
        for rank, (app, ags, name, size) in enumerate(selected, start=1)
    ] + [
        {"application_id": f"app-{name.lower()}", "ags": ags, "name": name, "size_class": size, "rank": rank,
         "score": 3.0, "reviews": 7, "selected": False}
        for rank, (ags, name, size) in enumerate(_NOT_SELECTED, start=4)
    ]
    return {
        "call_id": CALL_ID,
        "call_title": "Netzwerk vor Ort 2018",
        "topic": "Smart City",
        "places": 3,
        "selected": [app for app, *_ in selected],
        "ranking": ranking,
        "rationale": "Je eine Klein-, Mittel- und Großstadt mit tragfähigem Konzept.",
        "deviation_reason": "Interne Begründung, die nicht veröffentlicht wird.",
        "decided_at": "2018-06-15T12:00:00+00:00",
    }


def workshop_event() -> dict:
    return {
        "workshop_id": WORKSHOP_ID,
        "call_id": CALL_ID,
        "application_id": "app-wassenberg",
        "municipality": {"ags": WASSENBERG, "name": "Wassenberg"},
        "sequence": 1,
        "topic": "Smart City",
        "starts_at": "2018-09-12T08:00:00+00:00",
        "ends_at": "2018-09-12T14:00:00+00:00",
        "summary": "Verwaltung, Handel und Schulen haben Ideen für eine smarte Innenstadt gesammelt.",
        "solution_approaches": [
            {"title": "Mobilstationen am Roßtorplatz", "description": "E-Bikes und Carsharing an einem Ort.",
             "field_of_action": "mobility"},
            {"title": "Digitale Bürgerwerkstatt", "description": "Ideen der Bewohnerinnen und Bewohner online sammeln.",
             "field_of_action": "participation"},
        ],
        "documents": [{"title": "Protokoll", "url": "https://example.org/wassenberg-protokoll.pdf"}],
        "attendance": {"steering_partner": 5, "local_actor": 8, "school": 3, "university": 0, "business": 6,
                       "municipality": 0, "citizen": 0},
        "participant_organisations": ["Stadt Wassenberg", "IHK NRW", "Stadtwerke Wassenberg"],
        "completed_at": "2018-09-13T07:00:00+00:00",
    }
