"""The partners' portal in Debian's Chromium, against the whole platform as real processes.

Sign-in links are read from the platform's test SMTP server. Every portal page the walk opens is checked
with axe-core (WCAG 2.1 A and AA) at 1280 px and at 360 px width, and kept as a screenshot at both widths
under var/test-artifacts/portal/ (git-ignored; the path is printed). Every request a portal page makes is
recorded: none may go to another host.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

from admin_browser_support import AxeChecker
from portal_support import mails_to, signin_link, text_of
from shared.config import REPO_ROOT
from support import bearer, eventually

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO_ROOT / "var" / "test-artifacts" / "portal"
WIDTHS = (1280, 360)
RUN = uuid.uuid4().hex[:6]


# --- the world the walk needs, set up through the public APIs ---------------------------------------
def staff() -> dict:
    """A fresh staff token for each call: tokens live minutes, the walk may take longer under load."""
    return bearer("staff", "test:portal-walk")


def api(platform, service: str, method: str, path: str, headers=None, **kwargs):
    response = requests.request(method, platform.url(service) + path, headers=headers or staff(), timeout=30,
                                **kwargs)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def known(platform, service: str, path: str):
    """What a service answers, or None while it does not know the thing yet (404)."""
    response = requests.get(platform.url(service) + path, headers=staff(), timeout=30)
    return None if response.status_code == 404 else api(platform, service, "GET", path)


def new_call(platform, title: str, places: int = 1) -> str:
    now = datetime.now(timezone.utc)
    call = api(platform, "applications", "POST", "/v1/calls", json={
        "title": title, "topic": f"Smart City {RUN}", "description": "Interessensbekundungen für „Netzwerk vor Ort“.",
        "opens_at": (now - timedelta(hours=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat(),
        "places": places, "workshops_per_place": 1})
    api(platform, "applications", "POST", f"/v1/calls/{call['id']}/open")
    return call["id"]


def apply(platform, call_id: str, ags: str, name: str, population: int) -> str:
    return api(platform, "applications", "POST", f"/v1/calls/{call_id}/applications",
               headers=bearer("municipality", f"municipality:{ags}", ags=ags), json={
                   "municipality": {"ags": ags, "name": name, "population": population},
                   "contact": {"name": f"Kim Beispiel ({name})", "email": f"kontakt-{RUN}@{ags}.example.org"},
                   "focus_areas": ["mobility"], "statement": f"{name} stärkt die Innenstadt digital."})["id"]


def add_person(platform, email: str, name: str, role: str, **extra) -> None:
    from services.portal.people import LocalPeople
    from shared.db import make_engine

    engine = make_engine(platform.env["PORTAL_DATABASE_URL"])
    LocalPeople(engine).add(email=email, name=name, role=role, now=datetime.now(timezone.utc), **extra)
    engine.dispose()


@pytest.fixture(scope="module")
def world(platform):
    people = {
        "wassenberg": f"jana.beispiel-{RUN}@wassenberg.example.org",
        "arnsberg": f"tom.muster-{RUN}@arnsberg.example.org",
        "bocholt": f"bea.beispiel-{RUN}@bocholt.example.org",
        "petra": f"petra.beispiel-{RUN}@mhkbg.example.org",
        "max": f"max.mustermann-{RUN}@staedtetag.example.org",
        "lena": f"lena.probe-{RUN}@tu-dortmund.example.org",
    }
    add_person(platform, people["wassenberg"], "Jana Beispiel", "municipality", ags="05370040",
               organisation="Stadt Wassenberg")
    add_person(platform, people["arnsberg"], "Tom Muster", "municipality", ags="05958004",
               organisation="Stadt Arnsberg")
    add_person(platform, people["bocholt"], "Bea Beispiel", "municipality", ags="05554008",
               organisation="Stadt Bocholt")
    members = {"petra": f"petra-{RUN}", "max": f"max-{RUN}", "lena": f"lena-{RUN}"}
    for key, name in (("petra", "Petra Beispiel"), ("max", "Max Mustermann"), ("lena", "Lena Probe")):
        add_person(platform, people[key], name, "steering", member_id=members[key])

    open_call = new_call(platform, f"Netzwerk vor Ort 2027 {RUN}")
    review_call = new_call(platform, f"Smart City Prüfung {RUN}")
    candidates = {name: apply(platform, review_call, ags, name, population)
                  for ags, name, population in (("05970040", "Siegen", 101_900), ("05554008", "Bocholt", 71_100),
                                                ("05962024", "Hemer", 34_000))}
    api(platform, "applications", "POST", f"/v1/calls/{review_call}/close")
    other_call = new_call(platform, f"Anderes Gremium {RUN}")
    apply(platform, other_call, "05566076", "Ochtrup", 19_800)
    api(platform, "applications", "POST", f"/v1/calls/{other_call}/close")
    eventually(lambda: len(known(platform, "selection", f"/v1/calls/{review_call}/candidates") or []) == 3,
               timeout=120, interval=0.5, message="candidates reach the selection")
    eventually(lambda: (known(platform, "selection", f"/v1/calls/{other_call}") or {}).get("status") == "closed",
               timeout=120, interval=0.5, message="the other call reaches the selection")
    member = lambda key, name: {"id": members[key], "name": name, "institution": "Beispielinstitut",  # noqa: E731
                                "email": people[key]}
    api(platform, "selection", "PUT", f"/v1/calls/{review_call}/panel",
        json={"members": [member("petra", "Petra Beispiel"), member("max", "Max Mustermann")]})
    api(platform, "selection", "PUT", f"/v1/calls/{other_call}/panel", json={"members": [member("lena", "Lena Probe")]})
    return {"people": people, "members": members, "open_call": open_call, "review_call": review_call,
            "other_call": other_call, "candidates": candidates}


# --- the browser (the `browser` fixture is tests/browser/conftest.py's) ------------------------------
class Visitor:
    """One person's browser: checks every portal page it lands on (axe at both widths, screenshots) and
    records every request the portal's pages make."""

    checked: list = []

    def __init__(self, browser, platform, who: str):
        self.portal = platform.url("portal")
        self.platform = platform
        self.who = who
        # The portal sends a strict Content-Security-Policy; bypassing it lets the test inject axe-core.
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, locale="de-DE")
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.requests: list[tuple[str, str]] = []
        # What a page loads (styles, scripts, images, fonts, frames, fetches); going to another page is not.
        self.page.on("request", lambda request: None if request.is_navigation_request() and request.frame == self.page.main_frame
                     else self.requests.append((self.page.url, request.url)))
        self.axe = AxeChecker()

    def goto(self, path: str):
        self.page.goto(self.portal + path)
        return self.page

    def check(self, name: str) -> None:
        page = self.page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            self.axe.check(page)
            page.screenshot(path=str(SCREENSHOTS / f"{self.who}-{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        Visitor.checked.append(page.url)

    def sign_in(self, email: str) -> None:
        before = len(mails_to(self.platform.smtp, email))
        self.goto("/signin")
        self.check("signin")
        self.page.get_by_label("E-Mail-Adresse").fill(email)
        self.page.get_by_role("button", name="Anmeldelink senden").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sehen Sie in Ihr Postfach")
        self.check("signin-sent")
        message = eventually(lambda: mails_to(self.platform.smtp, email)[before:], timeout=60, interval=0.3,
                             message=f"sign-in mail to {email}")[0]
        link = signin_link(message)
        assert link.startswith(self.portal + "/signin/")
        self.page.goto(link)
        self.check("signin-confirm")
        self.page.get_by_role("button", name="Jetzt anmelden").click()
        expect(self.page.locator("header")).to_contain_text("Angemeldet als")

    def foreign_requests(self) -> list[tuple[str, str]]:
        host = urlsplit(self.portal).netloc
        return [(at, url) for at, url in self.requests
                if urlsplit(at).netloc == host and urlsplit(url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(url).netloc != host]

    def close(self) -> None:
        foreign = self.foreign_requests()
        self.context.close()
        assert foreign == [], f"portal pages loaded from another host: {foreign}"


@pytest.fixture
def visitors(browser, platform):
    opened = []

    def open_visitor(who: str) -> Visitor:
        visitor = Visitor(browser, platform, who)
        opened.append(visitor)
        return visitor

    yield open_visitor
    for visitor in opened:
        visitor.close()
    print(f"\nportal screenshots: {SCREENSHOTS}")


# --- the walks --------------------------------------------------------------------------------------
def test_a_municipality_drafts_submits_edits_and_sees_its_application(world, visitors, platform):
    jana = visitors("municipality")
    jana.goto("/")
    assert jana.page.locator("html").get_attribute("lang") == "de"
    jana.check("home")
    jana.sign_in(world["people"]["wassenberg"])
    page = jana.page
    with page.expect_navigation():
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Aufrufe und Bewerbung").click()
    jana.check("calls")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Netzwerk vor Ort 2027 {RUN}").click()
    jana.check("call-new")
    with page.expect_navigation():
        page.get_by_role("link", name="Interessensbekundung beginnen").click()
    jana.check("form-new")
    page.get_by_label("Name der Kommune").fill("Stadt Wassenberg")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.locator(".messages")).to_contain_text("Entwurf gespeichert")
    jana.check("call-draft")

    page.get_by_role("link", name="Entwurf fortsetzen").click()
    assert page.get_by_label("Name der Kommune").input_value() == "Stadt Wassenberg"
    page.get_by_role("button", name="Interessensbekundung einreichen").click()  # incomplete: refused
    expect(page.locator(".notice-error").first).to_be_visible()
    jana.check("form-errors")
    page.get_by_label("Einwohnerzahl").fill("18500")
    page.get_by_label("Mobilität").check()
    page.get_by_label("Beteiligung").check()
    page.get_by_label("Interessensbekundung (Text)").fill("Smart-City-Strategie für eine lebendige Innenstadt.")
    page.get_by_label("Lokale Partner (freiwillig)").fill("Werbegemeinschaft Wassenberg\nGesamtschule Wassenberg")
    page.get_by_role("button", name="Interessensbekundung einreichen").click()
    expect(page.locator(".messages")).to_contain_text("eingereicht")
    expect(page.locator(".status").first).to_contain_text("eingereicht")
    jana.check("call-submitted")

    with page.expect_navigation():
        page.get_by_role("link", name="Bewerbung ändern").click()
    jana.check("form-edit")
    page.get_by_label("Interessensbekundung (Text)").fill("Smart-City-Strategie, ergänzt um Bürgerbeteiligung.")
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(page.locator(".messages")).to_contain_text("gespeichert")
    expect(page.get_by_role("main")).to_contain_text("ergänzt um Bürgerbeteiligung")

    # The API holds what the portal shows, under Wassenberg's AGS.
    apps = api(platform, "applications", "GET", f"/v1/calls/{world['open_call']}/applications")
    (mine,) = [a for a in apps if a["municipality"]["ags"] == "05370040"]
    assert mine["statement"] == "Smart-City-Strategie, ergänzt um Bürgerbeteiligung."
    assert mine["partners"] == ["Werbegemeinschaft Wassenberg", "Gesamtschule Wassenberg"]
    assert sorted(mine["focus_areas"]) == ["mobility", "participation"]
    received = eventually(lambda: mails_to(platform.smtp, world["people"]["wassenberg"])[1:], timeout=60,
                          message="the confirmation of the application")  # [0] is the sign-in link
    assert [m["Subject"] for m in received] == [f"Interessensbekundung eingegangen: Netzwerk vor Ort 2027 {RUN}"]

    # English on request, German again.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("main")).to_contain_text("Your application")
    jana.check("call-english")
    page.get_by_role("link", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_another_municipality_sees_and_changes_nothing_of_the_first(world, visitors, platform):
    tom = visitors("municipality-other")
    tom.sign_in(world["people"]["arnsberg"])
    tom.goto(f"/municipality/calls/{world['open_call']}")
    main = tom.page.get_by_role("main").inner_text()
    assert "Sie haben noch keine Bewerbung begonnen" in main
    assert "Wassenberg" not in main and "Bürgerbeteiligung" not in main
    tom.goto(f"/municipality/calls/{world['open_call']}/application")
    assert tom.page.get_by_label("Interessensbekundung (Text)").input_value() == ""
    assert tom.page.get_by_label("Name der Kommune").input_value() == "Stadt Arnsberg"  # its own organisation
    # Withdrawing "the application of this call" reaches only Arnsberg's own (it has none): Wassenberg's stays.
    token = tom.page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = tom.context.request.post(tom.portal + f"/municipality/calls/{world['open_call']}/withdraw",
                                      form={"csrf_token": token})
    assert answer.status == 400
    apps = api(platform, "applications", "GET", f"/v1/calls/{world['open_call']}/applications")
    assert [a["status"] for a in apps if a["municipality"]["ags"] == "05370040"] == ["submitted"]
    # steering pages are not for a municipality
    response = tom.page.goto(tom.portal + f"/review/{world['review_call']}")
    assert response.status == 403


def review(visitor, name: str, scores: int) -> None:
    page = visitor.page
    page.get_by_role("link", name=name, exact=True).click()
    for select in page.locator("select[name^=score_]").all():
        select.select_option(str(scores))
    page.get_by_label("Kommentar").fill(f"Überzeugende Bewerbung von {name}.")
    page.get_by_role("button", name="Begutachtung speichern").click()
    expect(page.locator(".messages")).to_contain_text("gespeichert")


def test_two_steering_members_review_blind_until_the_review_closes(world, visitors, platform):
    call_id = world["review_call"]
    petra, max_ = visitors("steering-petra"), visitors("steering-max")
    petra.sign_in(world["people"]["petra"])
    max_.sign_in(world["people"]["max"])

    petra.page.get_by_role("link", name="Begutachtung", exact=True).click()
    expect(petra.page.get_by_role("heading", level=1)).to_have_text("Ihre Begutachtungen")
    petra.check("calls")
    assert f"Anderes Gremium {RUN}" not in petra.page.get_by_role("main").inner_text()
    with petra.page.expect_navigation():
        petra.page.get_by_role("link", name=f"Smart City Prüfung {RUN}").click()
    petra.check("call")
    expect(petra.page.locator(".progress-text")).to_contain_text("0 von 3")

    # Petra declares a conflict for Siegen (and withdraws and declares it again: both work).
    with petra.page.expect_navigation():
        petra.page.get_by_role("link", name="Siegen", exact=True).click()
    petra.check("candidate")
    petra.page.get_by_label("Grund").fill("Ich berate die Stadt Siegen.")
    petra.page.get_by_role("button", name="Befangenheit erklären").click()
    expect(petra.page.locator(".messages")).to_contain_text("Befangenheit ist erfasst")
    petra.check("candidate-conflict")
    petra.page.get_by_role("button", name="Befangenheit zurücknehmen").click()
    expect(petra.page.locator(".messages")).to_contain_text("zurückgenommen")
    petra.page.get_by_label("Grund").fill("Ich berate die Stadt Siegen.")
    petra.page.get_by_role("button", name="Befangenheit erklären").click()
    expect(petra.page.get_by_role("button", name="Befangenheit zurücknehmen")).to_be_visible()
    assert petra.page.get_by_role("button", name="Begutachtung speichern").count() == 0
    petra.page.get_by_role("link", name=f"Zurück zu Smart City Prüfung {RUN}").click()
    expect(petra.page.locator(".progress-text")).to_contain_text("0 von 2")

    review(petra, "Bocholt", 4)
    review(petra, "Hemer", 3)
    petra.page.get_by_role("link", name="Bocholt", exact=True).click()  # an abstention replaces the scores
    petra.page.get_by_label("Ich enthalte mich").check()
    for select in petra.page.locator("select[name^=score_]").all():
        select.select_option("")
    petra.page.get_by_role("button", name="Begutachtung speichern").click()
    expect(petra.page.get_by_role("row", name=re.compile("Bocholt"))).to_contain_text("enthalten")
    petra.page.get_by_role("link", name="Bocholt", exact=True).click()
    petra.page.get_by_label("Ich enthalte mich").uncheck()
    for select in petra.page.locator("select[name^=score_]").all():
        select.select_option("4")
    petra.page.get_by_role("button", name="Begutachtung speichern").click()
    expect(petra.page.locator(".progress-text")).to_contain_text("2 von 2")

    max_.goto(f"/review/{call_id}")
    for name, score in (("Siegen", 5), ("Bocholt", 3), ("Hemer", 2)):
        review(max_, name, score)
    expect(max_.page.locator(".progress-text")).to_contain_text("3 von 3")

    # Blind: no ranking, no proposal, no other member's score while the review is open.
    for visitor in (petra, max_):
        visitor.goto(f"/review/{call_id}")
        main = visitor.page.get_by_role("main").inner_text()
        assert "verdeckt" in main and "Gewichteter Mittelwert" not in main and "Vorgeschlagen" not in main
    max_.check("call-blind")

    # The office records the decision: the review closes, the ranking and the proposal appear.
    proposal = api(platform, "selection", "GET", f"/v1/calls/{call_id}/proposal")
    api(platform, "selection", "POST", f"/v1/calls/{call_id}/decision", json={
        "selected": [e["application_id"] for e in proposal["selected"]], "rationale": "Wie vorgeschlagen.",
        "decided_at": datetime.now(timezone.utc).isoformat(),
        "present_member_ids": [world["members"]["petra"], world["members"]["max"]]})
    petra.goto(f"/review/{call_id}")
    main = petra.page.get_by_role("main").inner_text()
    assert "Gewichteter Mittelwert" in main and "Vorgeschlagen für die 1 Plätze" in main
    assert petra.page.get_by_role("table", name="Rangliste").get_by_role("row").count() == 4
    petra.check("call-closed")


def test_a_steering_member_sees_only_the_calls_of_its_panel(world, visitors):
    lena = visitors("steering-lena")
    lena.sign_in(world["people"]["lena"])
    lena.goto("/review")
    main = lena.page.get_by_role("main").inner_text()
    assert f"Anderes Gremium {RUN}" in main and f"Smart City Prüfung {RUN}" not in main
    assert lena.page.goto(lena.portal + f"/review/{world['review_call']}").status == 404
    siegen = world["candidates"]["Siegen"]
    assert lena.page.goto(lena.portal + f"/review/{world['review_call']}/{siegen}").status == 404
    assert lena.page.goto(lena.portal + f"/municipality/calls/{world['open_call']}").status == 403


def scheduled_workshop(platform, world) -> dict:
    """After the decision (previous test), the selected municipality's workshop is planned; schedule it with
    one place and open registration."""
    found = eventually(lambda: api(platform, "workshops", "GET", "/v1/workshops",
                                   params={"call_id": world["review_call"]}), timeout=120, interval=0.5,
                       message="the workshop planned from the decision")
    start = datetime.now(timezone.utc) + timedelta(days=21)
    return api(platform, "workshops", "PATCH", f"/v1/workshops/{found[0]['id']}", json={
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(),
        "venue": "Rathaus, Ratssaal", "capacity": 1, "agenda": "Begrüßung\nArbeitsgruppen\nErgebnisse",
        "registration_opens_at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()})


def register(visitor, workshop: dict, name: str, email: str) -> None:
    page = visitor.goto(f"/workshops/{workshop['id']}")
    page.get_by_label("Ihr Name").fill(name)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Organisation (freiwillig)").fill("Gesamtschule Beispielstadt")
    page.get_by_label("Sie nehmen teil als").select_option("school")
    page.get_by_label("Ich bin einverstanden").check()
    page.get_by_role("button", name="Teilnahme anmelden").click()


def test_a_waitlisted_guest_is_promoted_when_someone_cancels_through_the_personal_link(world, visitors, platform):
    workshop = scheduled_workshop(platform, world)
    anna, ben = visitors("guest-anna"), visitors("guest-ben")
    anna_mail, ben_mail = f"anna.schule-{RUN}@example.org", f"ben.verein-{RUN}@example.org"

    anna.goto("/workshops")
    anna.check("workshops")
    with anna.page.expect_navigation():
        anna.page.get_by_role("link", name=workshop["title"]).click()
    anna.check("workshop")
    expect(anna.page.get_by_role("main")).to_contain_text("Was gespeichert wird")  # the consent text
    anna.page.get_by_role("button", name="Teilnahme anmelden").click()  # empty: refused, nothing stored
    expect(anna.page.locator(".notice-error").first).to_be_visible()
    anna.check("workshop-errors")
    register(anna, workshop, "Anna Schule", anna_mail)
    expect(anna.page.locator(".status")).to_contain_text("bestätigt")
    anna.check("registration")

    register(ben, workshop, "Ben Verein", ben_mail)
    expect(ben.page.locator(".status")).to_contain_text("Warteliste")
    ben.check("registration-waitlisted")

    confirmed = eventually(lambda: mails_to(platform.smtp, anna_mail), timeout=60, message="Anna's confirmation")
    assert confirmed[0]["Subject"].startswith("Anmeldung bestätigt")
    assert any(part.get_content_type() == "text/calendar" for part in confirmed[0].iter_attachments())
    link = re.search(r"(http\S+/registrations/\S+)", text_of(confirmed[0])).group(1)
    anna.page.goto(link)  # the personal link from the mail, in a fresh page
    anna.page.get_by_role("button", name="Meine Anmeldung absagen").click()
    expect(anna.page.locator(".status")).to_contain_text("abgesagt")
    anna.check("registration-cancelled")
    calendar = requests.get(f"{platform.url('portal')}/workshops/{workshop['id']}/calendar.ics", timeout=30)
    assert calendar.headers["Content-Type"].startswith("text/calendar") and "BEGIN:VEVENT" in calendar.text

    promoted = eventually(lambda: [m for m in mails_to(platform.smtp, ben_mail)
                                   if m["Subject"].startswith("Ein Platz ist frei geworden")],
                          timeout=90, interval=0.5, message="Ben's promotion mail")
    ben.page.reload()
    expect(ben.page.locator(".status")).to_contain_text("bestätigt")
    assert any(part.get_content_type() == "text/calendar" for part in promoted[0].iter_attachments())
    assert sorted(m["Subject"].split(":")[0] for m in mails_to(platform.smtp, anna_mail)) == [
        "Abmeldung bestätigt", "Anmeldung bestätigt"]
    assert sorted(m["Subject"].split(":")[0] for m in mails_to(platform.smtp, ben_mail)) == [
        "Ein Platz ist frei geworden", "Warteliste"]
    for message in mails_to(platform.smtp, anna_mail) + mails_to(platform.smtp, ben_mail):
        assert message["Content-Language"] == "de" and text_of(message).startswith("Guten Tag")

    # The not selected municipality's person was invited when the workshop was scheduled, once.
    invitations = eventually(lambda: mails_to(platform.smtp, world["people"]["bocholt"]), timeout=60,
                             message="the invitation of the not selected municipality")
    assert [m["Subject"] for m in invitations] == [f"Einladung zur Strategiewerkstatt: {workshop['title']}"]

    # The workshop moves (the portal mails the new date with a calendar file), then is cancelled (publishing's
    # notice tells the registrants): the registered guest hears of both once; the guest who cancelled of neither.
    later = datetime.now(timezone.utc) + timedelta(days=28)
    api(platform, "workshops", "PATCH", f"/v1/workshops/{workshop['id']}", json={
        "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=4)).isoformat()})
    eventually(lambda: [m for m in mails_to(platform.smtp, ben_mail) if m["Subject"].startswith("Neuer Termin")],
               timeout=90, interval=0.5, message="the rescheduling mail")
    api(platform, "workshops", "POST", f"/v1/workshops/{workshop['id']}/cancel", json={"reason": "Hochwasser"})
    cancelled = eventually(lambda: [m for m in mails_to(platform.smtp, ben_mail)
                                    if m["Subject"].startswith("Abgesagt")], timeout=90, interval=0.5,
                           message="the cancellation mail")
    assert "nicht stattfindet" in text_of(cancelled[0])
    assert sorted(m["Subject"].split(":")[0] for m in mails_to(platform.smtp, ben_mail)) == [
        "Abgesagt", "Ein Platz ist frei geworden", "Neuer Termin", "Warteliste"]
    assert len(mails_to(platform.smtp, anna_mail)) == 2


def test_a_member_subscribes_confirms_and_unsubscribes(world, visitors, platform):
    mia = visitors("member")
    address = f"mia.mitglied-{RUN}@example.org"
    mia.goto("/newsletter")
    mia.check("newsletter")
    mia.page.get_by_label("E-Mail-Adresse").fill(address)
    mia.page.get_by_label(f"Smart City {RUN}").check()
    mia.page.get_by_role("button", name="Abonnieren").click()
    expect(mia.page.get_by_role("heading", level=1)).to_have_text("Fast geschafft")
    mia.check("newsletter-sent")
    message = eventually(lambda: mails_to(platform.smtp, address), timeout=90, message="confirmation mail")[0]
    confirm = re.search(r"(http\S+/v1/subscriptions/confirm\S+)", text_of(message)).group(1)
    mia.page.goto(confirm)
    assert "bestätigt" in mia.page.get_by_role("heading", level=1).inner_text()
    mia.page.get_by_role("link", name="abbestellen").click()
    mia.page.get_by_role("button").click()
    expect(mia.page.get_by_role("main")).to_contain_text(re.compile("abbestellt", re.IGNORECASE))
    subscribers = api(platform, "publishing", "GET", "/v1/subscriptions", params={"status": "unsubscribed"})
    assert address in [s["email"] for s in subscribers]


def test_the_contact_form_becomes_an_enquiry_and_the_honeypot_catches_robots(visitors, platform):
    guest = visitors("contact")
    guest.goto("/contact")
    guest.check("contact")
    address = f"frage-{RUN}@example.org"
    guest.page.get_by_label("Ihr Name").fill("Frieda Frage")
    guest.page.get_by_label("E-Mail-Adresse").fill(address)
    guest.page.get_by_label("Ihre Nachricht").fill("Wie kann unsere Stadt teilnehmen?")
    guest.page.get_by_role("button", name="Absenden").click()
    expect(guest.page.get_by_role("heading", level=1)).to_have_text("Vielen Dank")
    guest.check("contact-sent")
    robot = requests.Session()
    form = robot.get(platform.url("portal") + "/contact", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    robot.post(platform.url("portal") + "/contact", timeout=30, data={
        "csrf_token": token, "name": "Robot", "email": f"robot-{RUN}@example.org", "message": "Buy now",
        "website": "http://spam.example"})
    enquiries = [e["email"] for e in api(platform, "publishing", "GET", "/v1/enquiries", params={"page_size": 100})]
    assert address in enquiries and f"robot-{RUN}@example.org" not in enquiries
    office = eventually(lambda: [m for m in mails_to(platform.smtp, "info@innenstadt-nrw.de")
                                 if "Frieda Frage" in m["Subject"]], timeout=60, message="the office's mail")
    assert len(office) == 1 and "Wie kann unsere Stadt teilnehmen?" in text_of(office[0])


def test_a_municipality_registers_a_webhook_endpoint_and_reads_its_delivery_log(world, visitors, platform):
    """Issue 14's portal pages: Wassenberg's endpoint at a real receiver, its secret shown once, the delivery
    log with one delivery, its attempts, a replay with the same webhook-id; another town sees none of it."""
    from admin_browser_support import reload_until
    from webhooks_support import Receiver

    receiver = Receiver().start()
    try:
        jana = visitors("webhooks")
        jana.sign_in(world["people"]["wassenberg"])
        page = jana.page
        with page.expect_navigation():
            page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
        jana.check("webhooks")
        page.get_by_label("Adresse (URL) Ihres Empfängers").fill(receiver.url)
        page.get_by_label("ApplicationSubmitted", exact=True).check()
        page.get_by_label("Beschreibung (freiwillig)").fill("Fachverfahren der Stadt Wassenberg")
        page.get_by_role("button", name="Endpunkt registrieren").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Endpunkt registriert")
        receiver.secrets.append(page.locator("code").first.inner_text())
        jana.check("webhook-secret")
        with page.expect_navigation():
            page.get_by_role("link", name="Zum Endpunkt und seinem Zustellprotokoll").click()
        jana.check("webhook-endpoint-empty")

        # Wassenberg applies to another call through the API: the event reaches its endpoint, signed.
        apply(platform, new_call(platform, f"Webhook-Aufruf {RUN}"), "05370040", "Wassenberg", 18_500)
        # (the status filter offers "zugestellt" too: look in the log's table)
        reload_until(page, lambda p: p.locator("table .status", has_text="zugestellt").count() > 0, timeout=120,
                     message="the delivery in the portal's log")
        assert receiver.received and all(r.verified for r in receiver.received)
        jana.check("webhook-endpoint")
        with page.expect_navigation():
            page.get_by_role("link", name="ApplicationSubmitted").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Zustellung von ApplicationSubmitted")
        jana.check("webhook-delivery")
        page.get_by_role("button", name="Erneut senden").click()
        expect(page.locator(".messages")).to_contain_text("derselben webhook-id")
        eventually(lambda: len(receiver.received) >= 2, timeout=120, interval=0.5, message="the replay")
        assert len({r.webhook_id for r in receiver.received}) == 1
        page.get_by_label("Fehlgeschlagen seit").fill("2026-01-01T00:00")
        page.get_by_role("button", name="Fehlgeschlagene Zustellungen erneut senden").click()
        expect(page.locator(".messages")).to_contain_text("0 fehlgeschlagene Zustellungen")
        page.get_by_role("button", name="Anhalten").click()
        expect(page.locator(".messages")).to_contain_text("angehalten")
        page.get_by_role("button", name="Geheimnis erneuern").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Neues Geheimnis")
        jana.check("webhook-rotated")

        tom = visitors("webhooks-other")
        tom.sign_in(world["people"]["arnsberg"])
        tom.goto("/webhooks")
        expect(tom.page.get_by_role("main")).to_contain_text("Noch keine Endpunkte registriert")
        assert receiver.url not in tom.page.get_by_role("main").inner_text()
    finally:
        receiver.stop()


def test_every_page_of_the_walk_was_checked_at_both_widths():
    assert len(Visitor.checked) >= 25, Visitor.checked
    for name in ("home", "calls", "signin", "workshop"):
        assert list(SCREENSHOTS.glob(f"*-{name}-360.png")) and list(SCREENSHOTS.glob(f"*-{name}-1280.png"))
