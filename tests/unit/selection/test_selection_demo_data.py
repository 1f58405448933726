"""The demo's reviews lead, by the domain's own rules, to the towns of 2018: Wassenberg, Arnsberg, Siegen."""
from selection_support import TOWNS_2018
from services.selection.domain import (Candidate, ConflictOfInterest, Panel, PanelMember, Review, default_criteria,
                                       propose, rank, smart_city_rule)
from vorort.demo_selection import PANEL, review_scores


def test_demo_reviews_propose_wassenberg_arnsberg_and_siegen():
    panel = Panel([PanelMember(m["id"], m["name"], m["institution"], f"{m['id']}@example.org", m["role"])
                   for m in PANEL], default_criteria())
    keys = [c.key for c in panel.criteria]
    candidates = [Candidate(name, "nvo-2018", ags, name, population) for name, ags, population in TOWNS_2018]
    reviews = [Review(m["id"], name, review_scores(name, keys, position + index))
               for position, name in enumerate(sorted(c.name for c in candidates))
               for index, m in enumerate(PANEL)]
    conflicts = [ConflictOfInterest("stg-ihk", "Siegen", "Mitglied der Vollversammlung der IHK Siegen")]
    ranking = rank(candidates, panel, reviews, conflicts)
    assert {e.name for e in ranking[:3]} == {"Wassenberg", "Arnsberg", "Siegen"}
    assert set(propose(ranking, 3, smart_city_rule()).selected) == {"Wassenberg", "Arnsberg", "Siegen"}


def test_the_panel_is_the_steering_group_of_2018():
    institutions = [m["institution"] for m in PANEL]
    assert len(institutions) == 7
    assert institutions[0] == "Ministerium für Heimat, Kommunales, Bau und Gleichstellung NRW"
    assert {"Städtetag NRW", "Städte- und Gemeindebund NRW", "Handelsverband NRW", "IHK NRW",
            "TU Dortmund"} <= set(institutions)
    assert [m["role"] for m in PANEL].count("chair") == 1
