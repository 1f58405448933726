"""Demo data for the workshops service, loaded through its public HTTP API only.

The selection's events plan two workshops in each selected municipality (Wassenberg, Arnsberg and
Siegen in the 2018 demo). This loader waits for them, then plays the office and the participants:

- the first round took place in the past weeks: the office schedules it, enters the participants
  from the sign-in sheets (late entries are the office's privilege), checks most of them in and
  records the results in German, one solution approach per field of action;
- the second round lies ahead: the office schedules it and people register themselves with their
  own tokens: partners, the steering group, the host municipality (also for interested citizens)
  and the municipalities that were not selected. Siegen's second workshop needs the office's
  approval; Wassenberg's is small enough to have a waitlist.

Every person is fictitious. Running it again is harmless: what exists already is left alone.
"""
from __future__ import annotations

import re
import time
import unicodedata
from datetime import datetime, timedelta
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

import requests

BERLIN = ZoneInfo("Europe/Berlin")
TIMEOUT_S = 15
WAIT_FOR_WORKSHOPS_S = 120.0

VENUES = {
    "Wassenberg": ("Burg Wassenberg, Rittersaal", "Rathaus Wassenberg, Ratssaal"),
    "Arnsberg": ("Kulturzentrum Berliner Platz, Arnsberg", "Innovationslabor Arnsberg, Neheim"),
    "Siegen": ("Universität Siegen, Campus Unteres Schloss", "Rathaus Siegen, Ratssaal"),
}
UNIVERSITIES = {"Wassenberg": "Hochschule Niederrhein", "Arnsberg": "Fachhochschule Südwestfalen",
                "Siegen": "Universität Siegen"}

AGENDA = ("10:00 Begrüßung durch die Bürgermeisterin bzw. den Bürgermeister\n"
          "10:30 Impuls der Geschäftsstelle: Smart City und Innenstadt\n"
          "11:15 Arbeitsgruppen nach Handlungsfeldern\n"
          "13:00 Mittagspause\n"
          "14:00 Lösungsansätze im Plenum\n"
          "15:30 Verabredungen und Ausblick")

RESULTS = {
    "Wassenberg": {
        "summary": "Die Kleinstadt will ihre Smart-City-Strategie von der Innenstadt aus denken: kurze Wege, "
                   "vernetzte Mobilität und eine Bürgerschaft, die mitgestaltet.",
        "solution_approaches": [
            ("Mobilstation am Roßtorplatz", "Leihräder, E-Carsharing und Bushaltestelle an einem Ort bündeln.",
             "mobility"),
            ("Online-Terminvergabe im Bürgerbüro", "Termine und Anträge digital, Beratung weiter vor Ort.",
             "e-government"),
            ("Digitales Schaufenster der Altstadt", "Händlerinnen und Händler zeigen ihr Angebot gemeinsam "
             "online, mit Abholung im Laden.", "retail"),
            ("Ideenkarte „Wassenberg mitgestalten“", "Bürgerinnen und Bürger verorten Vorschläge auf einer "
             "Karte; die Verwaltung antwortet öffentlich.", "participation"),
        ],
    },
    "Arnsberg": {
        "summary": "Arnsberg verbindet E-Government, Gründungsförderung und die Teststrecke für autonomes "
                   "Fahren zu einem Gesamtansatz für die Innenstädte, abgestimmt mit der REGIONALE 2025.",
        "solution_approaches": [
            ("Shuttle-Verbindung Bahnhof – Neheimer Markt", "Die Teststrecke für autonomes Fahren bis in die "
             "Fußgängerzone verlängern.", "mobility"),
            ("Digitales Rathaus", "Die zwanzig häufigsten Verwaltungsleistungen vollständig online.",
             "e-government"),
            ("Lieferdienst der Händlergemeinschaft", "Ein gemeinsamer Lastenrad-Lieferdienst für den "
             "Einzelhandel am Markt.", "retail"),
            ("Offenes Innovationslabor", "Das Start-up-Labor öffnet einmal im Monat für Bürgerinnen, "
             "Bürger und Schulen.", "participation"),
        ],
    },
    "Siegen": {
        "summary": "Siegen versteht Digitalisierung als Querschnittsaufgabe der Verwaltung und als "
                   "Gemeinschaftsinitiative von Wirtschaft, Wissenschaft und Stadtgesellschaft.",
        "solution_approaches": [
            ("Parkleitsystem mit Echtzeitdaten", "Freie Plätze in Parkhäusern und am Straßenrand live "
             "anzeigen, um Suchverkehr zu vermeiden.", "mobility"),
            ("Open-Data-Portal der Stadt", "Verwaltungsdaten offen bereitstellen, gemeinsam mit der "
             "Universität Siegen.", "e-government"),
            ("Lokaler Online-Marktplatz", "Der Siegener Einzelhandel bündelt sein Sortiment auf einer "
             "Plattform.", "retail"),
            ("Beteiligungsplattform mit der Hochschule", "Digitale Bürgerbeteiligung, wissenschaftlich "
             "begleitet, auch für die REGIONALE 2025.", "participation"),
        ],
    },
}
GENERIC_RESULTS = {
    "summary": "Die Strategiewerkstatt hat Lösungsansätze für eine smarte Innenstadt erarbeitet.",
    "solution_approaches": [
        ("Mobilstation in der Innenstadt", "Sharing-Angebote an einem Ort bündeln.", "mobility"),
        ("Digitale Verwaltungsleistungen", "Die häufigsten Anträge online anbieten.", "e-government"),
        ("Gemeinsames digitales Schaufenster", "Der Handel präsentiert sich gemeinsam online.", "retail"),
        ("Online-Bürgerbeteiligung", "Vorschläge sammeln und öffentlich beantworten.", "participation"),
    ],
}


def load_workshops_demo(base_url: str, staff_headers: dict, token_for: Callable, call_id: str, selected: dict,
                        not_selected_ags: list, clock_now) -> None:
    """Schedule, fill and (first round) complete the workshops of `call_id` through the HTTP API.

    `selected` has one entry per selected municipality: name -> application id (as `vorort demo` passes
    it), AGS -> name, or name -> AGS; each series is found by whichever of these it carries.
    `not_selected_ags` lists the AGS of the municipalities that were not selected (or (ags, name)
    pairs); `token_for(role, subject, ags)` returns the headers for a principal; `clock_now` is the
    current time (a datetime or a function returning one).
    """
    api = _Api(base_url, staff_headers, token_for)
    now = clock_now() if callable(clock_now) else clock_now
    hosts = _identifiers(selected)
    guests = [_ags_and_name(item) for item in not_selected_ags]
    series = _wait_for_series(api, call_id, hosts)
    for index, (first, second) in enumerate(series):
        town, ags = first["municipality"]["name"], first["municipality"]["ags"]
        _schedule(api, first, _berlin_day(now, -21 + 7 * index), venue=_venue(town, 0), capacity=40)
        _schedule(api, second, _berlin_day(now, 21 + 7 * index), venue=_venue(town, 1),
                  capacity=8 if index == 0 else 30, requires_approval=index == 2,
                  closes=_berlin_day(now, 19 + 7 * index, "18:00"))
        _first_round(api, first, town, ags, guests)
        _second_round(api, second, town, ags, guests)


# --- the steps -----------------------------------------------------------------------------------
def _wait_for_series(api: _Api, call_id: str, hosts: list[set[str]]) -> list[tuple[dict, dict]]:
    """The selection's events reach this service through Kafka: wait until every series is planned.
    Returns (first, second) workshop per selected municipality, in the order given."""
    deadline = time.monotonic() + WAIT_FOR_WORKSHOPS_S
    missing: list = hosts
    while time.monotonic() < deadline:
        listing = api.get("/v1/workshops", params={"call_id": call_id, "page_size": 100})
        series, missing = [], []
        for identifiers in hosts:
            mine = {w["sequence"]: w for w in listing if identifiers & {
                w["municipality"]["ags"], w["municipality"]["name"].casefold(), w["application_id"].casefold()}}
            if {1, 2} <= set(mine):
                series.append((mine[1], mine[2]))
            else:
                missing.append(identifiers)
        if not missing:
            return series
        time.sleep(0.5)
    names = ", ".join("/".join(sorted(identifiers)) for identifiers in missing)
    raise TimeoutError(f"the workshops of {names} for call {call_id} were not planned within "
                       f"{WAIT_FOR_WORKSHOPS_S:.0f}s: is the workshops worker running?")


def _schedule(api, workshop, day: str, *, venue: str, capacity: int, requires_approval: bool = False,
              closes: str | None = None) -> None:
    if workshop["status"] != "planned":
        return  # scheduled by an earlier run
    body = {"starts_at": f"{day}T10:00", "ends_at": f"{day}T16:00", "venue": venue, "capacity": capacity,
            "agenda": AGENDA, "requires_approval": requires_approval}
    if closes:
        body["registration_closes_at"] = closes
    workshop.update(api.patch(f"/v1/workshops/{workshop['id']}", json=body))


def _first_round(api, workshop, town: str, host_ags: str, guests) -> None:
    """It took place: the office enters the sign-in sheet, checks people in and records the results."""
    if workshop["status"] == "completed":
        return
    people = _people(town, host_ags, guests, round_no=1)
    codes = []
    for person in people:
        answer = api.register(workshop["id"], person["body"], api.staff)
        if answer is not None:
            codes.append(answer["manage_code"])
    for code in codes[:-2]:  # the last two did not come
        api.post(f"/v1/workshops/{workshop['id']}/check-in", json={"code": code}, tolerate=(409,))
    results = RESULTS.get(town, GENERIC_RESULTS)
    api.post(f"/v1/workshops/{workshop['id']}/complete", json={
        "summary": results["summary"],
        "solution_approaches": [{"title": t, "description": d, "field_of_action": f}
                                for t, d, f in results["solution_approaches"]],
        "documents": [
            {"title": f"Protokoll der 1. Strategiewerkstatt in {town}",
             "url": f"https://example.org/netzwerk-vor-ort/{_slug(town)}/protokoll-1.pdf"},
            {"title": "Fotodokumentation", "url": f"https://example.org/netzwerk-vor-ort/{_slug(town)}/fotos-1"},
        ]}, tolerate=(409,))


def _second_round(api, workshop, town: str, host_ags: str, guests) -> None:
    """It lies ahead: people register themselves; the office decides where approval is needed."""
    if workshop["status"] != "scheduled":
        return
    pending = []
    for person in _people(town, host_ags, guests, round_no=2):
        headers = api.headers_for(*person["principal"])
        # A not selected municipality that may not attend is refused (403): leave it out.
        answer = api.register(workshop["id"], person["body"], headers, guest=person["guest"])
        if answer is not None and answer["status"] == "pending":
            pending.append(answer["id"])
    for registration_id in pending[:-1]:  # the office approves all but the last, which it turns down
        api.post(f"/v1/workshops/{workshop['id']}/registrations/{registration_id}/approve", tolerate=(409,))
    for registration_id in pending[-1:]:
        api.post(f"/v1/workshops/{workshop['id']}/registrations/{registration_id}/reject", tolerate=(409,))


def _people(town: str, host_ags: str, guests, *, round_no: int) -> list[dict]:
    """Fictitious participants of every type, with the principal who registers them."""
    t = _slug(town)
    entries = [
        (("steering", f"demo:steering:ihk-{t}", None), "Dr. Petra Beispiel", "IHK NRW", "steering_partner"),
        (("steering", f"demo:steering:hv-{t}", None), "Klaus Mustermann", "Handelsverband NRW", "steering_partner"),
        (("partner", f"demo:partner:wg-{t}", None), "Sabine Musterfrau", f"Werbegemeinschaft {town}", "local_actor"),
        (("partner", f"demo:partner:verein-{t}", None), "Ali Exempel", f"Heimatverein {town}", "local_actor"),
        (("partner", f"demo:partner:schule-{t}", None), "Jonas Beispielmann", f"Städtisches Gymnasium {town}",
         "school"),
        (("partner", f"demo:partner:hs-{t}", None), "Prof. Dr. Anna Exempel", UNIVERSITIES.get(town, "Hochschule"),
         "university"),
        (("partner", f"demo:partner:sw-{t}", None), "Murat Beispiel", f"Stadtwerke {town}", "business"),
        (("municipality", f"demo:municipality:{host_ags}", host_ags), "Lena Musterfrau", f"Stadt {town}",
         "municipality"),
        (("municipality", f"demo:municipality:{host_ags}", host_ags), "Paul Bürger", "", "citizen"),
    ]
    for number, (ags, name) in enumerate(guests[:3] if round_no == 1 else guests[-3:], start=1):
        entries.append((("municipality", f"demo:municipality:{ags}", ags), f"Eva Exempel-{number}", name,
                        "municipality"))
    return [{"principal": principal, "guest": principal[2] not in (None, host_ags),
             "body": {"name": name, "email": f"{_slug(name)}.{t}.r{round_no}@example.org",
                      "organisation": organisation, "participant_type": kind, "consent": True}}
            for principal, name, organisation, kind in entries]


# --- helpers -------------------------------------------------------------------------------------
class _Api:
    def __init__(self, base_url: str, staff_headers: dict, token_for: Callable):
        self.base_url = base_url.rstrip("/")
        self.staff = dict(staff_headers)
        self.token_for = token_for
        self.session = requests.Session()

    def headers_for(self, role: str, subject: str, ags: str | None) -> dict:
        headers = self.token_for(role, subject, ags)
        return {"Authorization": f"Bearer {headers}"} if isinstance(headers, str) else dict(headers)

    def _call(self, method: str, path: str, *, headers=None, tolerate: Iterable[int] = (), **kwargs):
        response = self.session.request(method, self.base_url + path, headers=headers or self.staff,
                                        timeout=TIMEOUT_S, **kwargs)
        if response.status_code in tuple(tolerate):
            return None
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self._call("PATCH", path, **kwargs)

    def register(self, workshop_id: str, body: dict, headers: dict, *, guest: bool = False):
        """A registration, or None if this person is registered already (an earlier run) or, as a
        guest, was refused."""
        return self.post(f"/v1/workshops/{workshop_id}/registrations", json=body, headers=headers,
                         tolerate=(409, 403) if guest else (409,))


def _identifiers(selected: dict) -> list[set[str]]:
    """What identifies each selected municipality's series: AGS, name (case-folded) or application id."""
    hosts = []
    for key, value in selected.items():
        values = [key] + (list(value.values()) if isinstance(value, dict) else [value])
        hosts.append({v.casefold() for v in values if isinstance(v, str) and v})
    return hosts


def _ags_and_name(item) -> tuple[str, str]:
    if isinstance(item, dict):
        return item["ags"], item.get("name") or f"Kommune {item['ags']}"
    if isinstance(item, (tuple, list)):
        return item[0], item[1]
    return item, f"Kommune {item}"


def _berlin_day(now: datetime, days: int, clock_time: str | None = None) -> str:
    day = (now.astimezone(BERLIN) + timedelta(days=days)).date().isoformat()
    return f"{day}T{clock_time}" if clock_time else day


def _venue(town: str, index: int) -> str:
    return VENUES.get(town, (f"Rathaus {town}", f"Bürgerhaus {town}"))[index]


def _slug(text: str) -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
