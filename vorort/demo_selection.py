"""Demo data for the selection: the 2018 steering group reviews the candidates and chooses Wassenberg,
Arnsberg and Siegen, all through the selection service's public HTTP API.

The people are fictitious; the institutions are the seven of the 2018 steering group. Call it once the
call has closed: it waits until the selection service has seen the close and every candidate.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from collections.abc import Callable

import requests

SELECTED = ("Wassenberg", "Arnsberg", "Siegen")

PANEL = [
    {"id": "stg-ministerium", "name": "Dr. Henrike Beispiel", "role": "member",
     "institution": "Ministerium für Heimat, Kommunales, Bau und Gleichstellung NRW"},
    {"id": "stg-vorsitz", "name": "Markus Musterfeld", "role": "chair",
     "institution": "Netzwerk Innenstadt NRW (Vorsitz)"},
    {"id": "stg-staedtetag", "name": "Sabine Probst", "role": "member", "institution": "Städtetag NRW"},
    {"id": "stg-stgb", "name": "Jörg Platzhalter", "role": "member",
     "institution": "Städte- und Gemeindebund NRW"},
    {"id": "stg-handel", "name": "Claudia Exempel", "role": "member", "institution": "Handelsverband NRW"},
    {"id": "stg-ihk", "name": "Frank Fiktiv", "role": "member", "institution": "IHK NRW"},
    {"id": "stg-tu-dortmund", "name": "Prof. Dr. Lena Erfunden", "role": "member", "institution": "TU Dortmund"},
]

COMMENTS = {
    "Wassenberg": "Smart-City-Strategie, die die Innenstadt einschließt; innovative Mobilitätskonzepte; "
                  "lernt von den Bürgerinnen und Bürgern.",
    "Arnsberg": "Schon aktiv mit E-Government, Start-up-Innovationslabor und Teststrecke für autonomes Fahren; "
                "ganzheitlicher Ansatz mit der REGIONALE 2025.",
    "Siegen": "Digitalisierung als Gemeinschaftsinitiative und Querschnittsaufgabe der Verwaltung; Konzept mit "
              "Wirtschaft, Wissenschaft und Verwaltung, das gesellschaftliche Teilhabe ermöglicht.",
}
RATIONALE = ("Die Steuerungsgruppe wählt je eine Klein-, Mittel- und Großstadt mit überzeugenden "
             "Smart-City-Ansätzen: Wassenberg, Arnsberg und Siegen. Die übrigen Kommunen können an den "
             "Strategiewerkstätten in Wassenberg, Arnsberg und Siegen teilnehmen.")


def load_selection_demo(base_url: str, staff_headers: dict, steering_headers_for: Callable[[str], dict],
                        call_id: str, application_ids_by_name: dict, *, timeout_s: float = 120.0) -> None:
    """Set the 2018 panel, write its reviews and record the decision for Wassenberg, Arnsberg and Siegen.

    `steering_headers_for(member_id)` returns the headers of a steering token whose subject is that
    member id. Safe to call again: a call that already has a decision is left alone.
    """
    base = f"{base_url.rstrip('/')}/v1/calls/{call_id}"
    session = requests.Session()

    def call(method: str, path: str, headers: dict, **kwargs):
        response = session.request(method, base + path, headers=headers, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    if session.get(base + "/decision", headers=staff_headers, timeout=30).status_code == 200:
        return
    _wait_until_ready(session, base, staff_headers, set(application_ids_by_name.values()), timeout_s)

    members = [dict(member, email=f"{member['id']}@example.org") for member in PANEL]
    panel = call("PUT", "/panel", staff_headers, json={"members": members})
    criteria = [criterion["key"] for criterion in panel["criteria"]]

    # The IHK's representative sits on the board of the local chamber in Siegen (fictitious).
    siegen = application_ids_by_name.get("Siegen")
    if siegen:
        call("POST", f"/candidates/{siegen}/conflicts/stg-ihk", steering_headers_for("stg-ihk"),
             json={"reason": "Mitglied der Vollversammlung der IHK Siegen"})

    for position, (name, application_id) in enumerate(sorted(application_ids_by_name.items())):
        for index, member in enumerate(PANEL):
            if member["id"] == "stg-ihk" and application_id == siegen:
                continue
            if member["id"] == "stg-tu-dortmund" and name not in SELECTED and position % 4 == 1:
                body = {"abstain": True, "comment": "Enthaltung: Lehrforschungsprojekt mit der Kommune."}
            else:
                body = {"scores": review_scores(name, criteria, position + index), "comment": COMMENTS.get(name, "")}
            call("PUT", f"/candidates/{application_id}/reviews/{member['id']}", steering_headers_for(member["id"]),
                 json=body)

    chosen = [application_ids_by_name[name] for name in SELECTED if name in application_ids_by_name]
    proposal = call("GET", "/proposal", staff_headers)
    decision = {"selected": chosen, "rationale": RATIONALE, "decided_at": datetime.now(timezone.utc).isoformat(),
                "present_member_ids": [member["id"] for member in PANEL]}
    if {line["application_id"] for line in proposal["selected"]} != set(chosen):
        decision["deviation_reason"] = "Die Steuerungsgruppe folgt der Empfehlung der Geschäftsstelle."
    call("POST", "/decision", staff_headers, json=decision)


def review_scores(name: str, criteria: list[str], seed: int) -> dict:
    """4 to 5 for the three chosen towns, 2 to 3 for the others, varied so that the panel looks human."""
    low, high = (4, 5) if name in SELECTED else (2, 3)
    return {key: high if (seed + offset) % 3 else low for offset, key in enumerate(criteria)}


def _wait_until_ready(session, base: str, headers: dict, application_ids: set, timeout_s: float) -> None:
    """Poll until the selection has seen the call close and every candidate (it learns both from Kafka)."""
    deadline = time.monotonic() + timeout_s
    while True:
        call = session.get(base, headers=headers, timeout=30)
        if call.status_code == 200 and call.json()["status"] == "closed":
            seen, page = set(), 1
            while True:
                listing = session.get(f"{base}/candidates", headers=headers, timeout=30,
                                      params={"page": page, "page_size": 100})
                if listing.status_code != 200:
                    break
                seen |= {candidate["application_id"] for candidate in listing.json()}
                if len(listing.json()) < 100:
                    break
                page += 1
            if application_ids <= seen:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the selection did not see the closed call and its candidates within {timeout_s}s")
        time.sleep(0.5)
