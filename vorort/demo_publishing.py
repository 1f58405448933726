"""Demo data for the publishing service, loaded through its public HTTP API (never into its database).

`load_publishing_demo(base_url, staff_headers)`:
1. registers the members of the network: real NRW municipalities (the 11 applicants of 2018 and further
   member towns) and the steering group's institutions as partners, with fictitious contact persons at
   example.org addresses;
2. waits until the worker has turned the completed workshops into draft publications, and publishes them
   (and the announcement of the selection, if it is there);
3. creates one newsletter to all members with those results and sends it;
4. `newsletter_outcome` then reads back from the API how the sending went (sent and failed counts), so that
   the demo's summary says what happened, not what was hoped for.
It can run again: existing members, published results and the newsletter are recognised and kept.
"""
from __future__ import annotations

import time

import requests

from vorort.demo_case import APPLICANTS

NEWSLETTER_SUBJECT = "Netzwerk vor Ort: Ergebnisse der ersten Strategiewerkstätten"
NEWSLETTER_INTRO = (
    "die ersten Strategiewerkstätten von „Netzwerk vor Ort“ sind abgeschlossen. In Wassenberg, Arnsberg und Siegen "
    "haben Verwaltung, Partner der Initiative, Akteure vor Ort, Schulen, Hochschulen und Wirtschaft gemeinsam "
    "Lösungsansätze für die Smart City entwickelt.\n\n"
    "Wie angekündigt stellen wir die Ergebnisse allen Mitgliedern des Netzwerks zur Verfügung. Die Kommunen, die "
    "dieses Mal nicht ausgewählt wurden, sind herzlich zu den zweiten Werkstätten eingeladen.")

# Further member towns of the network (real NRW municipalities with their AGS).
FURTHER_MUNICIPALITIES = [
    ("05111000", "Düsseldorf"), ("05113000", "Essen"), ("05315000", "Köln"), ("05913000", "Dortmund"),
    ("05515000", "Münster"), ("05711000", "Bielefeld"), ("05314000", "Bonn"), ("05124000", "Wuppertal"),
    ("05911000", "Bochum"), ("05915000", "Hamm"), ("05334002", "Aachen"), ("05122000", "Solingen"),
]

# The steering group's institutions, as named in the announcement.
PARTNERS = [
    "Ministerium für Heimat, Kommunales, Bau und Gleichstellung des Landes NRW",
    "Vorsitz Netzwerk Innenstadt NRW",
    "Städtetag NRW",
    "Städte- und Gemeindebund NRW",
    "Handelsverband NRW",
    "IHK NRW",
    "TU Dortmund",
]

# Fictitious people only.
FIRST_NAMES = ["Erika", "Max", "Lena", "Jonas", "Mia", "Paul", "Hanna", "Felix", "Clara", "Tim", "Sophie", "Ben",
               "Lea", "Noah", "Emma", "Luis", "Marie", "Finn", "Ida", "Jan"]
LAST_NAMES = ["Musterfrau", "Mustermann", "Probe", "Test", "Beispiel", "Muster", "Platzhalter", "Exempel"]


def _slug(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-", ",": "", ".": ""})
    return name.lower().translate(table).replace("--", "-")


def _person(number: int) -> str:
    return f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[(number * 3) % len(LAST_NAMES)]}"


def demo_members() -> list[dict]:
    members: list[dict] = []
    municipalities = [(ags, name) for ags, name, _population in APPLICANTS] + FURTHER_MUNICIPALITIES
    for number, (ags, name) in enumerate(municipalities):
        members.append({"name": f"Stadt {name}", "kind": "municipality", "ags": ags, "contact_name": _person(number),
                        "email": f"innenstadt.{_slug(name)}@example.org"})
    for number, name in enumerate(PARTNERS, start=len(municipalities)):
        members.append({"name": name, "kind": "partner", "ags": None, "contact_name": _person(number),
                        "email": f"netzwerk-vor-ort.{_slug(name)[:40].strip('-')}@example.org"})
    return members


def _check(response: requests.Response) -> requests.Response:
    if response.status_code >= 400:
        raise requests.HTTPError(f"{response.request.method} {response.url}: {response.status_code} "
                                 f"{response.text[:500]}", response=response)
    return response


def _all(session, url: str, headers: dict) -> list[dict]:
    items, page = [], 1
    while True:
        batch = _check(session.get(url, headers=headers, params={"page": page, "page_size": 100}, timeout=10)).json()
        items += batch
        if len(batch) < 100:
            return items
        page += 1


def wait_for_workshop_results(session, base_url: str, headers: dict, timeout: float = 180.0,
                              settle: float = 5.0) -> None:
    """Until draft results of completed workshops exist (or were published by an earlier run) and their number
    has stopped growing for `settle` seconds: the worker drafts them as the workshops' events arrive."""
    deadline = time.monotonic() + timeout
    seen, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        publications = _all(session, f"{base_url}/v1/publications", headers)
        count = sum(1 for p in publications if p["kind"] == "workshop_result")
        if count != seen:
            seen, stable_since = count, time.monotonic()
        elif count and time.monotonic() - stable_since >= settle:
            return
        time.sleep(1.0)
    if seen <= 0:
        raise RuntimeError("no results of completed workshops arrived; is the publishing worker running?")


def existing_newsletter_id(base_url: str, staff_headers: dict, session=None) -> str | None:
    """The demo newsletter of an earlier run, if there is one."""
    existing = _all(session or requests.Session(), f"{base_url.rstrip('/')}/v1/newsletters", staff_headers)
    return next((n["id"] for n in existing if n["subject"] == NEWSLETTER_SUBJECT), None)


def load_publishing_demo(base_url: str, staff_headers: dict) -> str:
    """Load the members, publish the results, send the newsletter; returns the newsletter's id."""
    base_url = base_url.rstrip("/")
    session = requests.Session()

    for member in demo_members():
        response = session.post(f"{base_url}/v1/members", headers=staff_headers, json=member, timeout=10)
        if response.status_code != 409:  # 409: registered by an earlier run
            _check(response)

    wait_for_workshop_results(session, base_url, staff_headers)
    for draft in _all(session, f"{base_url}/v1/publications?status=draft", staff_headers):
        response = session.post(f"{base_url}/v1/publications/{draft['id']}/publish", headers=staff_headers,
                                timeout=10)
        if response.status_code != 409:  # 409: published meanwhile (auto-publish, or a second run)
            _check(response)

    earlier = existing_newsletter_id(base_url, staff_headers, session)
    if earlier is not None:
        return earlier
    published = _all(session, f"{base_url}/v1/publications", staff_headers)
    results = [p["id"] for p in published if p["status"] == "published" and p["kind"] == "workshop_result"]
    results += [p["id"] for p in published if p["status"] == "published" and p["kind"] == "selection_result"]
    newsletter = _check(session.post(f"{base_url}/v1/newsletters", headers=staff_headers, timeout=10, json={
        "subject": NEWSLETTER_SUBJECT, "intro": NEWSLETTER_INTRO, "publication_ids": results[:50],
        "segment": {"type": "all_members"}})).json()
    _check(session.post(f"{base_url}/v1/newsletters/{newsletter['id']}/send", headers=staff_headers, json={},
                        timeout=10))
    return newsletter["id"]


FINISHED = ("sent", "partly_failed", "failed")


def newsletter_outcome(base_url: str, staff_headers: dict, newsletter_id: str, timeout: float = 300.0) -> dict:
    """Wait until the newsletter's sending has finished (or `timeout`), then return its status and counts
    as the publishing API reports them: {"status", "total", "sent", "failed", "skipped", "pending"}."""
    deadline = time.monotonic() + timeout
    while True:
        newsletter = _check(requests.get(f"{base_url.rstrip('/')}/v1/newsletters/{newsletter_id}",
                                         headers=staff_headers, timeout=10)).json()
        if newsletter["status"] in FINISHED or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    progress = newsletter.get("progress") or {}
    counts = {key: int(progress.get(key, 0)) for key in ("total", "sent", "failed", "skipped")}
    counts["pending"] = int(progress.get("pending", 0)) + int(progress.get("sending", 0))
    return {"status": newsletter["status"], **counts}


def describe_outcome(outcome: dict) -> str:
    """One line for the demo's summary, from the counts the API reported."""
    text = f"{outcome['sent']} of {outcome['total']} sent, {outcome['failed']} failed"
    if outcome["skipped"]:
        text += f", {outcome['skipped']} skipped"
    if outcome["status"] not in FINISHED:
        return f"{text}, {outcome['pending']} still waiting (status {outcome['status']})"
    return f"{text} (status {outcome['status']})"
