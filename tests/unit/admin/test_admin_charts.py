"""The admin's charts: inline SVG with a text alternative, built from what the services answer."""
from __future__ import annotations

import re

import pytest

from services.admin.app import create_app
from services.admin.charts import Bar, bar_chart
from services.admin.views import figures
from shared.config import ServiceSettings


@pytest.fixture(scope="module")
def german():
    app = create_app(ServiceSettings("admin", "sqlite://", "127.0.0.1:1", "development"))
    with app.test_request_context("/"):
        yield


def test_a_chart_is_an_image_with_title_and_description():
    chart = bar_chart("c1", "Bewerbungen", "Zwei Balken", [Bar("Kleinstadt", 2, "2"), Bar("Großstadt", 1, "1")],
                      columns=["Typ", "Anzahl"], rows=[["Kleinstadt", "2"], ["Großstadt", "1"]])
    svg = str(chart.svg)
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Bewerbungen</title>' in svg and '<desc id="c1-desc">Zwei Balken</desc>' in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"[^>]*fill="#1d4f91"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_labels_are_escaped_in_the_picture():
    chart = bar_chart("c2", "T", "D", [Bar("<script>alert(1)</script>", 1, "1 & mehr")], columns=[], rows=[])
    assert "<script>" not in str(chart.svg)
    assert "&amp; mehr" in str(chart.svg)


def test_a_chart_without_data_draws_nothing():
    chart = bar_chart("c3", "T", "D", [], columns=[], rows=[])
    assert chart.empty and str(chart.svg) == ""


def test_applications_are_counted_by_town_size_class_without_withdrawn_ones(german):
    applications = [{"size_class": "small", "status": "submitted"}, {"size_class": "large", "status": "submitted"},
                    {"size_class": "medium", "status": "submitted"}, {"size_class": "medium", "status": "submitted"},
                    {"size_class": "medium", "status": "withdrawn"}]
    chart = figures.applications_by_size_class("size", applications, "Smart City")
    assert chart.rows == [["Landgemeinde", "0", "0 %"], ["Kleinstadt", "1", "25 %"], ["Mittelstadt", "2", "50 %"],
                          ["Großstadt", "1", "25 %"]]
    assert "Bewerbungen auf „Smart City“ nach Stadt- und Gemeindetyp" in chart.description


def test_the_ranking_marks_the_chosen_candidates_in_words_not_only_in_colour(german):
    entries = [{"rank": 1, "application_id": "a", "name": "Siegen", "size_class": "large", "weighted_mean": 4.5,
                "reviews": 3, "spread": 0.5},
               {"rank": 2, "application_id": "b", "name": "Bocholt", "size_class": "medium", "weighted_mean": None,
                "reviews": 0, "spread": None}]
    chart = figures.ranking_chart("rank", entries, {"a"}, "ausgewählt")
    assert [b.text for b in chart.bars] == ["4,50 von 5 – ausgewählt", "noch keine Bewertung"]
    assert [b.emphasis for b in chart.bars] == [True, False]
    assert chart.rows[0][-1] == "ausgewählt" and chart.rows[1][-1] == "–"


def test_registrations_are_drawn_against_the_places(german):
    workshops = [
        {"municipality": {"name": "Siegen"}, "sequence": 1, "status": "scheduled",
         "places": {"capacity": 20, "confirmed": 12, "waitlisted": 3, "pending": 1}},
        {"municipality": {"name": "Arnsberg"}, "sequence": 1, "status": "planned",
         "places": {"capacity": None, "confirmed": 0, "waitlisted": 0, "pending": 0}},
        {"municipality": {"name": "Wassenberg"}, "sequence": 2, "status": "cancelled", "places": {}},
    ]
    chart = figures.registrations_chart("reg", workshops)
    assert [b.label for b in chart.bars] == ["Siegen · 1", "Arnsberg · 1"]
    assert chart.bars[0].capacity == 20
    assert chart.bars[0].text == "12 von 20 Plätzen + 3 auf der Warteliste"
    assert chart.bars[1].text == "noch kein Termin"
