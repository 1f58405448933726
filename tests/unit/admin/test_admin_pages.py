"""Pure parts of the admin's pages: a call's stage, the proposal's reasoning in German, safe redirects."""
from __future__ import annotations

import pytest

from services.admin.app import create_app
from services.admin.views.common import safe_next
from services.admin.views.dashboard import call_stage
from services.admin.views.selection import explain, slug
from shared.config import ServiceSettings


@pytest.fixture(scope="module")
def german():
    app = create_app(ServiceSettings("admin", "sqlite://", "127.0.0.1:1", "development"))
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize("call, selection, workshops, published, stage", [
    ({"status": "draft"}, None, [], 0, "draft"),
    ({"status": "open"}, None, [], 0, "open"),
    ({"status": "closed"}, {"decided": False}, [], 0, "review"),
    ({"status": "closed"}, None, [], 0, "review"),
    ({"status": "closed"}, {"decided": True}, [{"status": "planned"}], 0, "decided"),
    ({"status": "closed"}, {"decided": True}, [{"status": "planned"}, {"status": "scheduled"}], 0, "workshops"),
    ({"status": "closed"}, {"decided": True}, [{"status": "completed"}], 1, "published"),
])
def test_a_call_stage_follows_from_what_the_services_know(call, selection, workshops, published, stage):
    assert call_stage(call, selection, workshops, published) == stage


def test_the_proposal_is_explained_in_german(german):
    names = {"w": "Wassenberg (#4)", "b": "Bocholt (#3)"}
    reasoning = [
        {"kind": "preferred", "selected": "w", "over": "b",
         "because": "balance rule requires at least 1 small town", "text": "..."},
        {"kind": "unscored", "application_ids": ["b"], "text": "..."},
        {"kind": "relaxed", "size_class": "rural", "required": 1, "applied": 0, "reason": "no_scored_candidates",
         "text": "..."},
        {"kind": "class_summary", "size_class": "small", "selected": 1, "scored": 1, "minimum": 1, "maximum": None,
         "text": "..."},
        {"kind": "something_new", "text": "A reason the admin does not know yet."},
    ]
    assert explain(reasoning, names) == [
        "Wassenberg (#4) wird anstelle der höher platzierten Kommune Bocholt (#3) vorgeschlagen, wegen der "
        "Ausgewogenheitsregel (mindestens 1 × Kleinstadt).",
        "Nicht berücksichtigt, weil ohne gezählte Bewertung: Bocholt (#3).",
        "Das Minimum für Landgemeinde wurde von 1 auf 0 gesenkt: keine Bewerberkommune dieses Typs hat eine "
        "gezählte Bewertung.",
        "Kleinstadt: 1 vorgeschlagen von 1 mit Bewertungen. Ausgewogenheitsregel: mindestens 1.",
        "A reason the admin does not know yet.",
    ]


@pytest.mark.parametrize("target", ["https://evil.example.org/", "//evil.example.org/x", "javascript:alert(1)",
                                    "/\\evil.example.org", "calls"])
def test_redirects_after_login_stay_on_the_admin(target):
    assert safe_next(target, "/") == "/"


def test_local_redirects_are_kept():
    assert safe_next("/calls?status=open", "/") == "/calls?status=open"


def test_member_ids_are_derived_from_names():
    assert slug("Dr. Petra Großmann-Öztürk") == "dr-petra-grossmann-ozturk"


def test_a_newsletter_whose_deliveries_failed_is_labelled_so_in_german(german):
    from services.admin.views.publishing import NEWSLETTER_STATUSES
    from services.publishing.domain import NEWSLETTER_STATUSES as KNOWN_TO_PUBLISHING

    assert set(NEWSLETTER_STATUSES) == set(KNOWN_TO_PUBLISHING)
    assert str(NEWSLETTER_STATUSES["sent"]) == "versendet"
    assert str(NEWSLETTER_STATUSES["partly_failed"]) == "versendet, einige Zustellungen fehlgeschlagen"
    assert str(NEWSLETTER_STATUSES["failed"]) == "fehlgeschlagen: keine Zustellung erfolgreich"
