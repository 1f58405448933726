"""A staff member carries a call from creation to published results, clicking through the admin UI.

Only what other roles do goes through the APIs directly: three municipalities apply with their own
tokens and the steering group's members write their reviews with theirs. Every page of the walk is
checked with axe-core for WCAG 2.1 AA; the dashboard and the ranking are kept as screenshots under
test-artifacts/.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from admin_browser_support import AxeChecker, reload_until, screenshot
from support import bearer

pytestmark = pytest.mark.browser

BERLIN = ZoneInfo("Europe/Berlin")
OTHER_APPLICANTS = [  # (AGS, name, population); Wassenberg is recorded by the office through the UI
    ("05958004", "Arnsberg", 74_200),
    ("05970040", "Siegen", 101_900),
    ("05554008", "Bocholt", 71_100),
]
# Mean score per municipality: Bocholt ranks above Wassenberg, but the balance rule wants a small town.
TARGET_SCORES = {"Siegen": 5, "Arnsberg": 4, "Bocholt": 4, "Wassenberg": 3}
PANEL = [("Petra Beispiel", "Ministerium für Heimat, Kommunales, Bau und Gleichstellung NRW"),
         ("Max Mustermann", "Städtetag NRW"),
         ("Lena Probe", "TU Dortmund")]


def wall(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def submit_application(platform, call_id: str, ags: str, name: str, population: int) -> None:
    response = requests.post(
        f"{platform.url('applications')}/v1/calls/{call_id}/applications",
        headers=bearer("municipality", f"municipality:{ags}", ags=ags), timeout=10,
        json={"municipality": {"ags": ags, "name": name, "population": population},
              "contact": {"name": f"Kim Beispiel ({name})", "email": f"smart-city@{name.lower()}.example.org"},
              "focus_areas": ["mobility", "participation"],
              "statement": f"{name} möchte seine Innenstadt mit digitalen Angeboten stärken."})
    assert response.status_code == 201, response.text


def write_reviews(platform, call_id: str) -> None:
    staff = bearer("staff", "test:reviews")
    base = f"{platform.url('selection')}/v1/calls/{call_id}"
    panel = requests.get(f"{base}/panel", headers=staff, timeout=10).json()
    candidates = requests.get(f"{base}/candidates", headers=staff, timeout=10).json()
    assert len(candidates) == 4
    for member in panel["members"]:
        for candidate in candidates:
            score = TARGET_SCORES[candidate["municipality"]["name"]]
            response = requests.put(
                f"{base}/candidates/{candidate['application_id']}/reviews/{member['id']}",
                headers=bearer("steering", member["id"]), timeout=10,
                json={"scores": {c["key"]: score for c in panel["criteria"]}, "comment": "Überzeugendes Konzept."})
            assert response.status_code in (200, 201), response.text


def flash_text(page) -> str:
    return " ".join(page.locator(".message").all_inner_texts())


def expect_flash(page, text: str) -> None:
    """A flash message with `text` appears: waits for the page the click led to (reading the messages at once
    could read the page before it, or none: seen in CI under load)."""
    expect(page.locator(".message", has_text=text).first).to_be_visible(timeout=30_000)


def dead_letter(bootstrap: str, run: str) -> str:
    """A message as the consumer loop dead-letters it, on a topic of its own."""
    from kafka import KafkaProducer

    from shared.kafka import ensure_topics

    original, dead = f"admin-walk-{run}.events", f"admin-walk-{run}.dlq"
    ensure_topics(bootstrap, [original, dead], partitions=1)
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","))
    producer.send(dead, key=b"w-1", value=b'{"specversion": "1.0", "id": "e-1", "type": "WorkshopCompleted"}',
                  headers=[("ce_id", b"e-1"), ("ce_type", b"WorkshopCompleted"),
                           ("dlq_original_topic", original.encode()), ("dlq_original_partition", b"0"),
                           ("dlq_original_offset", b"7"), ("dlq_consumer_group", b"admin-walk"),
                           ("dlq_error", b"handler refused: workshop unknown")]).get(timeout=30)
    producer.close()
    return dead


def test_staff_carry_a_call_from_creation_to_published_results(platform, kafka_bootstrap, page):
    axe = AxeChecker()
    admin = platform.url("admin")
    run = uuid.uuid4().hex[:6]
    title = f"Smart City vor Ort {run}"

    # --- log in (German by default), and the language switch -------------------------------
    page.goto(admin + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    axe.check(page)
    page.get_by_label("Benutzername").fill(platform.staff["username"])
    page.get_by_label("Passwort").fill(platform.staff["password"])
    page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Übersicht"
    axe.check(page)
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Overview"
    assert page.locator("html").get_attribute("lang") == "en"
    axe.check(page)
    page.get_by_role("link", name="Deutsch").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Übersicht"

    # --- create and open a call --------------------------------------------------------------
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Aufrufe und Bewerbungen").click()
    axe.check(page)
    page.get_by_role("link", name="Neuer Aufruf").click()
    axe.check(page)
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Thema").fill("Smart City")
    page.get_by_label("Beschreibung").fill("Interessensbekundungen für das Format „Netzwerk vor Ort“.")
    page.get_by_label("Plätze").fill("3")
    page.get_by_label("Werkstätten je ausgewählter Kommune").fill("1")
    page.get_by_role("button", name="Aufruf anlegen").click()
    expect_flash(page, "als Entwurf angelegt")
    call_id = page.url.rstrip("/").rsplit("/", 1)[1]
    axe.check(page)
    page.get_by_role("button", name="Aufruf öffnen").click()
    expect_flash(page, "Der Aufruf ist offen")
    # --- the office records one application on behalf of Wassenberg; three apply themselves ----
    page.get_by_role("link", name="Bewerbung im Auftrag einer Kommune erfassen").click()
    axe.check(page)
    page.get_by_label("Kommune", exact=True).fill("Wassenberg")
    page.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("05370040")
    page.get_by_label("Einwohnerzahl").fill("18500")
    page.get_by_label("Name der Ansprechperson").fill("Jonas Beispiel")
    page.get_by_label("E-Mail der Ansprechperson").fill("jonas.beispiel@wassenberg.example.org")
    page.get_by_label("Interessensbekundung").fill("Smart-City-Strategie mit Innenstadt und Mobilität.")
    page.get_by_label("Schwerpunkte (einer pro Zeile)").fill("Mobilität\nBeteiligung")
    page.get_by_role("button", name="Bewerbung erfassen").click()
    expect_flash(page, "Die Bewerbung von Wassenberg ist erfasst")
    axe.check(page)
    for ags, name, population in OTHER_APPLICANTS:
        submit_application(platform, call_id, ags, name, population)

    page.get_by_role("navigation", name="Sie sind hier").get_by_role("link", name=title).click()
    expect(page.get_by_text("4 Bewerbungen")).to_be_visible(timeout=30_000)
    axe.check(page)
    page.get_by_role("button", name="Aufruf jetzt schließen").click()
    expect_flash(page, "Der Aufruf ist geschlossen")
    # --- selection: steering group, review progress, ranking, decision ------------------------
    page.locator(".actions").get_by_role("link", name="Auswahl").click()
    reload_until(page, lambda p: p.locator("#candidate-count").count() and
                 p.locator("#candidate-count").inner_text() == "4", message="the selection knows the 4 candidates")
    axe.check(page)
    page.get_by_role("navigation", name="Auswahl").get_by_role("link", name="Steuerungsgruppe und Kriterien").click()
    axe.check(page)
    for n, (name, institution) in enumerate(PANEL, start=1):
        page.get_by_label(f"Mitglied {n}: Name").fill(name)
        page.get_by_label(f"Mitglied {n}: Institution").fill(institution)
        page.get_by_label(f"Mitglied {n}: E-Mail").fill(name.lower().replace(" ", ".") + "@example.org")
    page.get_by_label("Mitglied 1: Rolle").select_option("chair")
    page.get_by_role("button", name="Steuerungsgruppe speichern").click()
    expect_flash(page, "mit 3 Mitgliedern gespeichert")
    assert page.get_by_role("row", name=re.compile("Petra Beispiel")).locator("td.num").inner_text() == "0 / 4"

    write_reviews(platform, call_id)
    page.reload()
    for name, _ in PANEL:
        assert page.get_by_role("row", name=re.compile(name)).locator("td.num").inner_text() == "4 / 4"
    axe.check(page)

    page.get_by_role("navigation", name="Auswahl").get_by_role("link", name="Rangfolge und Vorschlag").click()
    ranking_rows = page.locator("table[aria-labelledby=ranking-heading] tbody tr")
    assert [ranking_rows.nth(i).locator("th").inner_text().split()[0] for i in range(4)] == \
        ["Siegen", "Arnsberg", "Bocholt", "Wassenberg"]
    reasoning = page.locator(".reasoning").inner_text()
    assert "Wassenberg" in reasoning and "Ausgewogenheitsregel" in reasoning
    page.locator("#chart-ranking-caption").scroll_into_view_if_needed()
    screenshot(page, "admin-ranking.png")
    axe.check(page)

    page.get_by_role("link", name="Zur Entscheidung").click()
    axe.check(page)
    for name in ("Siegen", "Arnsberg", "Wassenberg"):
        assert page.get_by_label(re.compile(f"^{name} – vorgeschlagen")).is_checked()
    assert not page.get_by_label(re.compile("^Bocholt")).is_checked()
    page.get_by_label("Begründung", exact=True).fill(
        "Je eine Kleinstadt, eine Mittelstadt und eine Großstadt, wie vorgeschlagen.")
    page.get_by_role("button", name="Entscheidung erfassen").click()
    expect_flash(page, "Die Entscheidung ist erfasst")
    expect(page.get_by_text("Sie ist endgültig")).to_be_visible(timeout=30_000)
    axe.check(page)

    # --- workshops: schedule, register (with waiting list), check in, enter results ---------
    page.get_by_role("link", name="Strategiewerkstätten dieses Aufrufs").click()
    reload_until(page, lambda p: p.get_by_role("link", name=re.compile("Siegen")).count() == 1,
                 message="the workshops of the selected municipalities are planned")
    axe.check(page)
    page.get_by_role("link", name=re.compile("Siegen")).click()
    axe.check(page)
    page.get_by_role("link", name="Termin festlegen").click()
    axe.check(page)
    yesterday = datetime.now(BERLIN) - timedelta(days=1)
    page.get_by_label("Beginn").fill(wall(yesterday.replace(hour=10, minute=0)))
    page.get_by_label("Ende").fill(wall(yesterday.replace(hour=16, minute=0)))
    page.get_by_label("Ort").fill("Rathaus Siegen, Markt 2")
    page.get_by_label("Plätze").fill("1")
    page.get_by_label("Anmeldungen brauchen die Freigabe der Geschäftsstelle").check()
    page.get_by_role("button", name="Speichern").click()
    expect_flash(page, "Der Termin der Werkstatt ist gespeichert")
    axe.check(page)

    register = page.get_by_role("region", name="Person anmelden")
    for person in ("Clara Beispiel", "David Muster"):
        register.get_by_label("Name").fill(person)
        register.get_by_label("E-Mail").fill(person.lower().replace(" ", ".") + "@example.org")
        register.get_by_label("Organisation").fill("Universität Siegen")
        register.get_by_label("Art der Teilnahme").select_option("university")
        register.get_by_label(re.compile("willigt in die Verarbeitung")).check()
        register.get_by_role("button", name="Anmelden").click()
        expect_flash(page, f"{person} ist angemeldet")
        message = flash_text(page)
        assert "(wartet auf Freigabe)" in message
        if person == "Clara Beispiel":
            code = re.search(r"Anmeldecode für den Einlass: (\S+)", message).group(1)
    axe.check(page)
    page.get_by_role("button", name="Freigeben – Clara Beispiel").click()
    expect_flash(page, "Die Anmeldung ist freigegeben")
    page.get_by_role("button", name="Freigeben – David Muster").click()
    expect_flash(page, "die Werkstatt ist voll, deshalb steht die Person auf der Warteliste (Platz 1)")
    expect(page.get_by_role("row", name=re.compile("David Muster")).get_by_text("Warteliste")).to_be_visible(timeout=30_000)
    page.get_by_label("Anmeldecode").fill(code)
    page.get_by_role("button", name="Einlassen").click()
    expect_flash(page, "Eingelassen: Clara Beispiel")
    expect(page.get_by_text("1 von 1 bestätigten Teilnehmenden eingelassen")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Ergebnisse erfassen").click()
    axe.check(page)
    page.get_by_label("Zusammenfassung der Ergebnisse").fill(
        "Verwaltung, Wirtschaft und Hochschule entwickeln gemeinsame digitale Angebote für die Innenstadt.")
    first = page.get_by_role("group", name="Lösungsansatz 1")
    first.get_by_label("Titel").fill("Digitale Innenstadtplattform")
    first.get_by_label("Handlungsfeld").select_option("retail")
    first.get_by_label("Beschreibung").fill("Händler, Kultur und Verwaltung auf einer Plattform.")
    page.get_by_role("button", name="Ergebnisse erfassen und Werkstatt abschließen").click()
    expect_flash(page, "Die Ergebnisse sind erfasst")
    assert page.locator(".facts .status").first.inner_text() == "abgeschlossen"
    axe.check(page)

    # --- publishing: review and publish the drafts, decision notices, newsletter ----------
    reload_until(page, lambda p: p.get_by_role("link", name="Veröffentlichung der Ergebnisse").count() == 1,
                 message="the workshop's results are drafted for publication")
    page.get_by_role("link", name="Veröffentlichung der Ergebnisse").click()
    workshop_publication = page.url
    axe.check(page)
    page.get_by_label("Zusammenfassung").fill("Die erste Strategiewerkstatt in Siegen hat stattgefunden.")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect_flash(page, "Der Entwurf ist gespeichert")
    page.get_by_role("button", name="An alle Mitglieder veröffentlichen").click()
    expect_flash(page, "Veröffentlicht:")
    expect(page.get_by_text("Die erste Strategiewerkstatt in Siegen hat stattgefunden.")).to_be_visible(timeout=30_000)
    axe.check(page)

    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Aufrufe und Bewerbungen").click()
    page.get_by_role("link", name=title).click()
    page.locator(".actions").get_by_role("link", name="Auswahl").click()
    page.get_by_role("navigation", name="Auswahl").get_by_role("link", name="Entscheidung").click()
    reload_until(page, lambda p: p.get_by_role("link", name="Veröffentlichung der Auswahl").count() == 1,
                 message="the selection is drafted for publication")
    page.get_by_role("link", name="Veröffentlichung der Auswahl").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ausgewählte Kommunen")
    page.get_by_role("button", name="An alle Mitglieder veröffentlichen").click()
    expect_flash(page, "Veröffentlicht:")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Aufrufe und Bewerbungen").click()
    page.get_by_role("link", name=title).click()
    page.locator(".actions").get_by_role("link", name="Auswahl").click()
    page.get_by_role("navigation", name="Auswahl").get_by_role("link", name="Entscheidung").click()
    page.get_by_role("link", name="Bescheide zur Prüfung").click()
    reload_until(page, lambda p: p.get_by_role("button", name=re.compile("Freigeben und senden")).count() == 4,
                 message="the four decision notices are prepared")
    axe.check(page)
    page.get_by_role("button", name="Freigeben und senden – Wassenberg").click()
    expect_flash(page, "Der Bescheid an Wassenberg ist freigegeben")
    assert page.get_by_role("button", name=re.compile("Freigeben und senden")).count() == 3

    page.get_by_role("navigation", name="Veröffentlichung").get_by_role("link", name="Veröffentlichungen").click()
    axe.check(page)
    page.get_by_role("navigation", name="Veröffentlichung").get_by_role("link", name="Mitglieder").click()
    page.get_by_label("Name").fill(f"Beispielverband Innenstadt {run}")
    page.get_by_label("Art").select_option("partner")
    page.get_by_label("E-Mail-Adresse für Ergebnisse und Newsletter").fill(f"innenstadt-{run}@verband.example.org")
    page.get_by_role("button", name="Mitglied aufnehmen").click()
    expect_flash(page, "ist jetzt Mitglied")
    axe.check(page)

    page.goto(workshop_publication)
    page.get_by_role("link", name="Per Newsletter versenden").click()
    axe.check(page)
    page.get_by_label("Betreff").fill(f"Ergebnisse aus Siegen {run}")
    page.get_by_label("Einleitung").fill("Liebe Mitglieder, hier sind die ersten Ergebnisse.")
    page.get_by_role("button", name="Newsletter entwerfen").click()
    expect_flash(page, "Der Newsletter ist entworfen")
    axe.check(page)
    page.get_by_label("Test senden an").fill("erika.musterfrau@example.org")
    page.get_by_role("button", name="Test senden").click()
    expect_flash(page, "Eine Test-E-Mail an erika.musterfrau@example.org ist unterwegs")
    page.get_by_role("button", name=re.compile("^Jetzt an")).click()
    expect_flash(page, "Der Newsletter wird versendet")
    axe.check(page)
    reload_until(page, lambda p: p.locator("#newsletter-status").inner_text() == "versendet", timeout=90,
                 message="the newsletter is sent")
    axe.check(page)

    # --- operations and the dashboard -----------------------------------------------------
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Betrieb").click()
    health = page.locator("table[aria-labelledby=health-heading] tbody")
    expect(health.get_by_role("row").first).to_be_visible(timeout=30_000)  # the page is there: count on it
    assert health.get_by_text("nicht erreichbar").count() == 0
    axe.check(page)
    dead = dead_letter(kafka_bootstrap, run)
    page.reload()
    page.get_by_role("link", name=dead).click()
    expect(page.get_by_text("handler refused: workshop unknown")).to_be_visible(timeout=30_000)
    axe.check(page)
    page.get_by_role("button", name=re.compile("^Erneut an admin-walk-")).click()
    expect_flash(page, "Die Nachricht wurde erneut an")
    expect(page.get_by_text("von erika.musterfrau")).to_be_visible(timeout=30_000)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Übersicht").click()
    if page.get_by_label("Diagramme zeigen für").count():  # only offered when there are several calls
        page.get_by_label("Diagramme zeigen für").select_option(label=title)
        page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("heading", name=f"Diagramme zu „{title}“")).to_be_visible(timeout=30_000)
    row = page.get_by_role("row", name=re.compile(re.escape(title)))
    assert row.locator("[aria-current=step]").inner_text() == "Ergebnisse veröffentlicht"
    expect(page.locator("#chart-size-classes-caption")).to_be_visible(timeout=30_000)
    expect(page.locator("#chart-registrations-caption")).to_be_visible(timeout=30_000)
    screenshot(page, "admin-dashboard.png")
    axe.check(page)

    assert len(axe.checked) >= 30
    assert any("[Test]" in m["data"].decode(errors="replace") for m in platform.smtp.messages)
