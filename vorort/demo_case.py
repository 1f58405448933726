"""The 2018 case's facts, as the demo loaders share them (vorort/demo.py and its parts import them from here).

The call "Smart City", 11 applicants, 3 selected: Wassenberg (small town), Arnsberg (medium town), Siegen
(big city). The other eight applicants are real NRW municipalities chosen for illustration.
"""
from __future__ import annotations

CALL_TITLE = "Netzwerk vor Ort: Smart City (Fallbeispiel 2018)"

# (AGS, name, population): populations as in the announcement where given, else approximate.
APPLICANTS = [
    ("05370040", "Wassenberg", 18_500),
    ("05958004", "Arnsberg", 74_200),
    ("05970040", "Siegen", 102_000),
    ("05766044", "Lemgo", 41_000),
    ("05558016", "Dülmen", 46_500),
    ("05374012", "Gummersbach", 51_000),
    ("05554008", "Bocholt", 71_000),
    ("05974040", "Soest", 47_500),
    ("05966024", "Olpe", 24_700),
    ("05762020", "Bad Driburg", 19_000),
    ("05754028", "Harsewinkel", 25_000),
]
SELECTED = ("Wassenberg", "Arnsberg", "Siegen")
FOCUS = {
    "Wassenberg": ["mobility", "participation", "city_centre"],
    "Arnsberg": ["e_government", "innovation_lab", "autonomous_driving"],
    "Siegen": ["digital_administration", "participation", "economy"],
}
STATEMENTS = {
    "Wassenberg": "Eine Smart-City-Strategie, die die Innenstadt einschließt, mit innovativen "
                  "Mobilitätskonzepten; wir wollen von unseren Bürgerinnen und Bürgern lernen.",
    "Arnsberg": "Bereits aktiv mit E-Government, einem Start-up-Innovationslabor und einer Teststrecke für "
                "autonomes Fahren; ein ganzheitlicher Ansatz, der die REGIONALE 2025 einbezieht.",
    "Siegen": "Digitalisierung als gemeinsame Initiative und Querschnittsaufgabe der Verwaltung; ein Konzept "
              "mit Wirtschaft, Wissenschaft und Verwaltung, das gesellschaftliche Teilhabe ermöglicht; "
              "Kooperation mit der REGIONALE 2025.",
}
