"""The 2018 case as demo data, loaded through the public APIs (never into databases directly).

`vorort demo` waits for the platform, loads the case once (it recognises an earlier load by the call's
title), prints the staff login, and then stays idle: honcho stops every process when one exits.

The 2018 facts: the call "Smart City", 11 applicants, 7 institutions in the steering group, 3 selected:
Wassenberg (small town), Arnsberg (medium town), Siegen (big city). The announcement names only the
three; the other eight applicants here are real NRW municipalities chosen for illustration, and every
person is fictitious.
"""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta, timezone

import click
import requests

from shared.auth import service_token
from shared.config import service_url, var_dir
from vorort.demo_case import APPLICANTS, CALL_TITLE, FOCUS, SELECTED, STATEMENTS
from vorort.demo_identity import DemoIdentities
from vorort.platform import existing_services

IDENTITIES: DemoIdentities | None = None


def identities() -> DemoIdentities:
    global IDENTITIES
    if IDENTITIES is None:
        IDENTITIES = DemoIdentities()
    return IDENTITIES


def headers(role: str, subject: str, ags: str | None = None) -> dict:
    """A principal's headers: its own API client at identity (registered on first use), its own token."""
    return identities().headers(role, subject, ags)


def staff_headers() -> dict:
    """The demo loader's own token (client `demo`, role staff)."""
    return {"Authorization": "Bearer " + service_token("demo")}


def register_organisations() -> None:
    """The 2018 case's organisations and the steering group's members, in identity."""
    from vorort.demo_selection import PANEL

    for ags, name, _ in APPLICANTS:
        identities().organisation("municipality", name, ags)
    for member in PANEL:
        organisation = identities().organisation("steering_institution", member["institution"])
        identities().person(organisation, member["name"], f"{member['id']}@steuerungsgruppe.example.org",
                            member["id"])


def wait_for_platform(services, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(services)
    while pending:
        for name in list(pending):
            try:
                if requests.get(f"{service_url(name)}/readyz", timeout=2).status_code == 200:
                    pending.remove(name)
            except requests.RequestException:
                pass
        if pending:
            if time.monotonic() > deadline:
                raise click.ClickException(f"services not ready: {', '.join(pending)}")
            time.sleep(1)


def existing_call() -> dict | None:
    response = requests.get(f"{service_url('applications')}/v1/calls?page_size=100", headers=staff_headers(),
                            timeout=10)
    response.raise_for_status()
    return next((c for c in response.json() if c["title"] == CALL_TITLE), None)


def load_applications() -> tuple[str, dict]:
    base = service_url("applications")
    now = datetime.now(timezone.utc)
    call = requests.post(f"{base}/v1/calls", headers=staff_headers(), timeout=10, json={
        "title": CALL_TITLE, "topic": "Smart City", "places": 3, "workshops_per_place": 2,
        "description": "Aufruf zur Einreichung von Interessensbekundungen für das neue Veranstaltungsformat "
                       "„Netzwerk vor Ort“ zum Thema Smart City.",
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=60)).isoformat()})
    call.raise_for_status()
    call_id = call.json()["id"]
    requests.post(f"{base}/v1/calls/{call_id}/open", headers=staff_headers(), timeout=10).raise_for_status()
    ids = {}
    for number, (ags, name, population) in enumerate(APPLICANTS):
        response = requests.post(
            f"{base}/v1/calls/{call_id}/applications", timeout=10,
            headers={**headers("municipality", f"municipality:{ags}", ags), "Idempotency-Key": f"demo-{ags}"},
            json={"municipality": {"ags": ags, "name": name, "population": population},
                  "contact": {"name": f"Kontaktperson {number + 1}",
                              "email": f"smartcity.{name.lower().replace(' ', '-').replace('ü', 'ue')}@example.org"},
                  "focus_areas": FOCUS.get(name, ["retail", "participation"]),
                  "statement": STATEMENTS.get(name, f"{name} möchte die Innenstadt mit digitalen Angeboten "
                                                    f"stärken und Erfahrungen im Netzwerk teilen."),
                  "partners": ["Stadtwerke", "Werbegemeinschaft"]})
        response.raise_for_status()
        ids[name] = response.json()["id"]
    requests.post(f"{base}/v1/calls/{call_id}/close", headers=staff_headers(), timeout=10).raise_for_status()
    return call_id, ids


def register_demo_webhook() -> None:
    """An endpoint of the office at the local receiver (`vorort webhooks receive`), before any event."""
    from vorort.webhook_receiver import DEFAULT_PORT, secret_path

    url = f"http://127.0.0.1:{DEFAULT_PORT}/hooks"
    base = service_url("webhooks")
    listed = requests.get(f"{base}/v1/endpoints?page_size=100", headers=staff_headers(), timeout=10)
    listed.raise_for_status()
    if any(e["url"] == url for e in listed.json()) and secret_path().exists():
        return
    types = requests.get(f"{base}/v1/event-types", headers=staff_headers(), timeout=10)
    types.raise_for_status()
    response = requests.post(f"{base}/v1/endpoints", headers=staff_headers(), timeout=30, json={
        "url": url, "event_types": [t["type"] for t in types.json()], "contact_email": "webhooks@example.org",
        "description": "Demo: lokaler Empfänger (vorort webhooks receive)"})
    response.raise_for_status()
    secret_path().write_text(response.json()["secret"] + "\n")
    click.echo(f"demo: webhook endpoint registered at {url}; the receiver logs every verified delivery")


def load(services) -> str | None:
    """Load the case through the APIs; returns the demo newsletter's id (None without publishing)."""
    if existing_call() is not None:
        click.echo("demo: the 2018 case is already loaded")
        if "publishing" not in services:
            return None
        from vorort.demo_publishing import existing_newsletter_id

        return existing_newsletter_id(service_url("publishing"), staff_headers())
    if "identity" in services:
        register_organisations()
        click.echo("demo: organisations and the steering group registered in identity")
    if "webhooks" in services:
        register_demo_webhook()
    call_id, ids = load_applications()
    click.echo(f"demo: call {call_id} with {len(ids)} applications, closed for review")
    if "selection" in services:
        from vorort.demo_selection import load_selection_demo

        load_selection_demo(service_url("selection"), staff_headers(),
                            lambda member_id: headers("steering", member_id), call_id, ids)
        click.echo("demo: steering group reviewed and decided (Wassenberg, Arnsberg, Siegen)")
    if "workshops" in services:
        from vorort.demo_workshops import load_workshops_demo

        selected = {name: ids[name] for name in SELECTED}
        not_selected = [ags for ags, name, _ in APPLICANTS if name not in SELECTED]
        load_workshops_demo(service_url("workshops"), staff_headers(),
                            lambda role, subject, ags=None: headers(role, subject, ags), call_id, selected,
                            not_selected, datetime.now(timezone.utc))
        click.echo("demo: six workshops scheduled, registrations taken, first round completed")
    if "publishing" in services:
        from vorort.demo_publishing import load_publishing_demo

        newsletter_id = load_publishing_demo(service_url("publishing"), staff_headers())
        click.echo("demo: results published, newsletter handed to the publishing worker for sending")
        return newsletter_id
    return None


def ensure_staff_login() -> tuple[str, str]:
    """The demo's staff account for the admin UI; the password is kept in var/ for the next start."""
    path = var_dir() / "demo-login.txt"
    if path.exists():
        username, password = path.read_text().split("\n", 1)
        return username, password.strip()
    username, password = "geschaeftsstelle", secrets.token_urlsafe(12)
    from services.admin.accounts import create_staff_account  # the admin service's own command logic

    create_staff_account(username, password)
    path.write_text(f"{username}\n{password}\n")
    return username, password


@click.command("demo")
@click.option("--stay/--exit", default=True, help="Stay idle after loading (for honcho).")
def demo_command(stay):
    """Load the 2018 Smart City case through the public APIs and print the staff login."""
    services = [s for s in existing_services() if s not in ("admin", "portal")]
    wait_for_platform(services + [s for s in ("admin", "portal") if s in existing_services()])
    try:
        newsletter_id = load(services)
        outcome = None
        if newsletter_id:
            from vorort.demo_publishing import newsletter_outcome

            outcome = newsletter_outcome(service_url("publishing"), staff_headers(), newsletter_id)
    except requests.HTTPError as error:
        raise click.ClickException(f"demo load failed: {error} {error.response.text[:500]}") from error
    lines = ["", "=" * 72, "Netzwerk vor Ort is running with the 2018 case:"]
    if "admin" in existing_services():
        username, password = ensure_staff_login()
        lines += [f"  Admin (staff UI):  {service_url('admin')}",
                  f"  Login:             {username} / {password}"]
    if "portal" in existing_services():
        from vorort.demo_portal import load_portal_demo

        try:
            lines += load_portal_demo(existing_call()["id"], staff_headers())
        except Exception as error:  # noqa: BLE001 - the rest of the demo stands without the portal's people
            click.echo(f"demo: the portal's people were not loaded: {error}", err=True)
    for name in services:
        lines.append(f"  {name + ' API:':18} {service_url(name)}/docs")
    if "publishing" in services:
        lines.append(f"  Public results:    {service_url('publishing')}/results")
    if "identity" in services:
        lines += [f"  Tokens:            {service_url('identity')}/oauth/token (client credentials)",
                  "                     new client: .venv/bin/vorort clients add --name N --role R [--ags AGS]",
                  "                     for development: .venv/bin/vorort token --role staff"]
    if outcome is not None:
        from vorort.demo_publishing import describe_outcome

        lines.append(f"  Demo newsletter:   {describe_outcome(outcome)}")
        if outcome["failed"] or outcome["status"] != "sent":
            lines.append("                     (see the newsletter in the admin, and the mail process's output)")
        lines.append("  Mails (dev sink):  var/mail/new/ (one file per message)")
    lines += ["  Ctrl-C stops everything.", "=" * 72, ""]
    click.echo("\n".join(lines))
    while stay:
        time.sleep(3600)
