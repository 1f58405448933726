"""The publishing API over real PostgreSQL, with the worker's senders run in-process against a real SMTP
server: publications, members, segments, newsletters, templates, enquiries, bad input, authorization."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select

from publishing_support import (BASE_URL, SECRET, SENDER, STAFF, apply, mail_sink, published_draft, text_part,
                                workshop_completed)
from services.publishing.app import build_dispatcher, create_app
from services.publishing.db import metadata
from services.publishing.domain import publication_id
from services.publishing.mail import lint_message
from services.publishing.settings import PublishingSettings
from shared.events.catalogue import make_event, spec_for
from support import bearer, eventually, settings

pytestmark = pytest.mark.integration

MUNICIPALITY = bearer("municipality", "wassenberg", ags="05370040")
PARTNER = bearer("partner", "ihk-nrw")


@pytest.fixture
def sink():
    with mail_sink() as server:
        yield server


@pytest.fixture
def db_url(pg_database):
    return pg_database("publishing")


def make_app(db_url, sink, **overrides):
    options = PublishingSettings(**{**dict(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                           smtp_rate_per_second=0, smtp_retry_base_s=0.05), **overrides})
    return create_app(settings("publishing", db_url, "127.0.0.1:1"), options=options)


@pytest.fixture
def app(db_url, sink):
    return make_app(db_url, sink)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    return app.extensions["vorort"]


@pytest.fixture
def dispatcher(ctx):
    dispatcher = build_dispatcher(ctx, directory=object())
    yield dispatcher
    dispatcher.close()


def outbox(db_url) -> list[dict]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(metadata.tables["outbox"]).order_by(metadata.tables["outbox"].c.id)).all()
    engine.dispose()
    return [json.loads(row.payload) for row in rows]


def add_member(client, name, email, kind="partner", ags=None, contact_name=None):
    response = client.post("/v1/members", headers=STAFF, json={
        "name": name, "kind": kind, "ags": ags, "email": email, "contact_name": contact_name})
    assert response.status_code == 201, response.json
    return response.json


def newsletter(client, publication_ids, segment=None, **extra):
    response = client.post("/v1/newsletters", headers=STAFF, json={
        "subject": "Netzwerk vor Ort: neue Ergebnisse", "intro": "hier sind die neuesten Ergebnisse.",
        "publication_ids": publication_ids, "segment": segment or {"type": "all_members"}, **extra})
    assert response.status_code == 201, response.json
    return response.json


def send_and_drain(client, dispatcher, newsletter_id, timeout=30):
    response = client.post(f"/v1/newsletters/{newsletter_id}/send", headers=STAFF, json={})
    assert response.status_code == 202, response.json

    def finished():
        dispatcher.run_newsletters()
        return client.get(f"/v1/newsletters/{newsletter_id}", headers=STAFF).json["status"] in ("sent", "partly_failed", "failed")

    eventually(finished, timeout=timeout, message="newsletter sent")
    return client.get(f"/v1/newsletters/{newsletter_id}?recipients=true", headers=STAFF).json


# --- publications --------------------------------------------------------------------------------
def test_a_completed_workshop_becomes_a_draft_only_the_office_sees(client, ctx):
    event = workshop_completed()
    assert apply(ctx, event) == "applied"
    pid = publication_id("workshop_result", event.subject)
    assert client.get("/v1/publications").json == []
    assert client.get(f"/v1/publications/{pid}").status_code == 404
    drafts = client.get("/v1/publications", headers=STAFF).json
    assert [(p["id"], p["status"], p["kind"], p["source_id"]) for p in drafts] == [
        (pid, "draft", "workshop_result", event.subject)]
    assert drafts[0]["title"] == "Ergebnisse der 1. Strategiewerkstatt in Wassenberg"
    assert client.get(f"/v1/publications/{pid}", headers=PARTNER).status_code == 404


def test_the_same_workshop_event_redelivered_with_a_new_id_drafts_one_publication(client, ctx):
    event = workshop_completed()
    replay = make_event(event.type, event.data, source=event.source)  # same fact, new event id
    assert apply(ctx, event) == "applied" and apply(ctx, event) == "duplicate"
    assert apply(ctx, replay) == "applied"
    assert len(client.get("/v1/publications", headers=STAFF).json) == 1


def test_staff_edit_a_draft_then_publish_it_and_results_published_is_in_the_outbox(client, ctx, db_url):
    event = workshop_completed(name="Arnsberg", ags="05958004")
    apply(ctx, event)
    pid = publication_id("workshop_result", event.subject)
    edited = client.patch(f"/v1/publications/{pid}", headers=STAFF, json={
        "title": "Arnsberg: Ergebnisse der 1. Strategiewerkstatt",
        "body": [{"heading": "Rückblick", "text": "Gute Beteiligung.", "items": ["Mobilität"]}],
        "solution_approaches": [{"title": "Teststrecke erweitern", "field_of_action": "mobility"}]})
    assert edited.status_code == 200, edited.json
    assert edited.json["body"][0]["heading"] == "Rückblick"
    published = client.post(f"/v1/publications/{pid}/publish", headers=STAFF)
    assert published.status_code == 200
    assert published.json["status"] == "published" and published.json["published_at"]
    assert published.json["url"] == f"{BASE_URL}/results/{pid}"
    event_out = [e for e in outbox(db_url) if e["type"] == "ResultsPublished"]
    assert len(event_out) == 1 and event_out[0]["subject"] == pid
    assert event_out[0]["data"]["title"] == "Arnsberg: Ergebnisse der 1. Strategiewerkstatt"
    assert event_out[0]["data"]["url"] == f"{BASE_URL}/results/{pid}"
    assert [p["id"] for p in client.get("/v1/publications").json] == [pid]
    page = client.get(f"/results/{pid}")
    assert page.status_code == 200 and "Teststrecke erweitern" in page.get_data(as_text=True)
    assert 'lang="de"' in page.get_data(as_text=True)


def test_published_results_are_final(client, ctx, db_url):
    published = published_draft(client, ctx)
    stored, events = client.get(f"/v1/publications/{published['id']}").json, outbox(db_url)
    again = client.post(f"/v1/publications/{published['id']}/publish", headers=STAFF)
    assert again.status_code == 409 and "already been published" in again.json["message"]
    edit = client.patch(f"/v1/publications/{published['id']}", headers=STAFF, json={"summary": "Nachträglich"})
    assert edit.status_code == 409
    assert client.get(f"/v1/publications/{published['id']}").json == stored
    assert outbox(db_url) == events, "no second ResultsPublished"


def test_auto_publish_publishes_results_as_they_arrive(db_url, sink):
    app = make_app(db_url, sink, auto_publish=True)
    event = workshop_completed()
    apply(app.extensions["vorort"], event)
    public = app.test_client().get("/v1/publications").json
    assert [p["id"] for p in public] == [publication_id("workshop_result", event.subject)]
    assert [e["type"] for e in outbox(db_url)] == ["ResultsPublished"]


def test_a_selection_drafts_the_announcement_naming_only_the_selected(client, ctx):
    example = spec_for("SelectionCompleted").example
    call_id = str(uuid.uuid4())
    ranking = [dict(example["ranking"][0], application_id="app-w"),
               {"application_id": "app-h", "ags": "05915000", "name": "Hamm", "size_class": "large", "rank": 2,
                "score": 3.0, "reviews": 7, "selected": False}]
    apply(ctx, make_event("SelectionCompleted", dict(example, call_id=call_id, selected=["app-w"],
                                                     ranking=ranking), source="/services/selection"))
    drafts = client.get("/v1/publications?kind=selection_result", headers=STAFF).json
    assert drafts[0]["title"] == "Ausgewählte Kommunen: Wassenberg"
    assert "Hamm" not in json.dumps(drafts[0])


@pytest.mark.parametrize("body, field", [
    ({"title": "  "}, "title"),
    ({"status": "published"}, "status"),
    ({"body": 42}, "body"),
    ({"solution_approaches": [{"title": ""}]}, "solution_approaches"),
])
def test_bad_publication_edits_name_the_field(client, ctx, body, field):
    event = workshop_completed()
    apply(ctx, event)
    response = client.patch(f"/v1/publications/{publication_id('workshop_result', event.subject)}", headers=STAFF,
                            json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]


# --- members and segments ------------------------------------------------------------------------
def test_members_are_for_the_office_only(client):
    assert client.get("/v1/members").status_code == 401
    assert client.get("/v1/members", headers=MUNICIPALITY).status_code == 403
    assert client.post("/v1/members", headers=PARTNER, json={}).status_code == 403


def test_a_municipality_is_a_member_once_and_needs_its_ags(client):
    add_member(client, "Stadt Siegen", "max.beispiel@siegen.example", kind="municipality", ags="05970040")
    twice = client.post("/v1/members", headers=STAFF, json={
        "name": "Universitätsstadt Siegen", "kind": "municipality", "ags": "05970040", "email": "b@example.org"})
    assert twice.status_code == 409 and "ags" in twice.json["errors"]["json"]
    without = client.post("/v1/members", headers=STAFF, json={
        "name": "Stadt Hamm", "kind": "municipality", "email": "lena.probe@hamm.example"})
    assert without.status_code == 422 and "ags" in without.json["errors"]["json"]
    listing = client.get("/v1/members?kind=municipality", headers=STAFF)
    assert [m["name"] for m in listing.json] == ["Stadt Siegen"]
    assert json.loads(listing.headers["X-Pagination"])["total"] == 1


def test_segments_reach_the_selected_municipalities_and_the_workshops_organisations(client, ctx):
    wassenberg = add_member(client, "Stadt Wassenberg", "erika.musterfrau@wassenberg.example", "municipality",
                            "05370040", "Erika Musterfrau")
    add_member(client, "Stadt Hamm", "lena.probe@hamm.example", "municipality", "05915000")
    add_member(client, "IHK NRW", "jonas.test@ihk-nrw.example")
    call_id = str(uuid.uuid4())
    selected = dict(spec_for("ApplicationSelected").example, call_id=call_id, application_id=str(uuid.uuid4()))
    apply(ctx, make_event("ApplicationSelected", selected, source="/services/selection"))
    workshop = workshop_completed(organisations=["IHK NRW", "Stadtwerke Wassenberg"])
    apply(ctx, workshop)
    pub = published_draft(client, ctx)
    by_call = newsletter(client, [pub["id"]], {"type": "selected_municipalities", "call_id": call_id})
    recipients = client.get(f"/v1/newsletters/{by_call['id']}/recipients", headers=STAFF).json
    assert recipients["count"] == 1
    assert recipients["recipients"] == [{"email": wassenberg["email"], "name": "Erika Musterfrau"}]
    by_workshop = newsletter(client, [pub["id"]], {"type": "workshop_participants", "workshop_id": workshop.subject})
    emails = [r["email"] for r in client.get(f"/v1/newsletters/{by_workshop['id']}/recipients",
                                               headers=STAFF).json["recipients"]]
    assert emails == ["erika.musterfrau@wassenberg.example", "jonas.test@ihk-nrw.example"]  # host by AGS


# --- newsletters ---------------------------------------------------------------------------------
def test_preview_recipients_test_mail_and_sending_with_progress(client, ctx, dispatcher, sink, db_url):
    pub = published_draft(client, ctx)
    members = [add_member(client, name, email, contact_name=contact) for name, email, contact in [
        ("IHK NRW", "jonas.test@ihk-nrw.example", "Jonas Test"),
        ("Handelsverband NRW", "kontakt@hv-nrw.example", None),
        ("TU Dortmund", "mia.beispiel@tu-dortmund.example", "Mia Beispiel")]]
    created = newsletter(client, [pub["id"]])
    assert created["status"] == "draft" and created["progress"]["total"] == 3

    preview = client.get(f"/v1/newsletters/{created['id']}/preview", headers=STAFF)
    assert preview.status_code == 200
    assert preview.json["subject"] == "Netzwerk vor Ort: neue Ergebnisse"
    assert "Ergebnisse der 1. Strategiewerkstatt in Wassenberg" in preview.json["text"]
    assert '<html lang="de">' in preview.json["html"]
    assert preview.json["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = client.get(f"/v1/newsletters/{created['id']}/preview?format=html", headers=STAFF)
    assert html.mimetype == "text/html"

    recipients = client.get(f"/v1/newsletters/{created['id']}/recipients", headers=STAFF).json
    assert recipients["count"] == 3 and recipients["segment_label"] == "Alle Mitglieder"
    assert sorted(r["email"] for r in recipients["recipients"]) == sorted(m["email"] for m in members)

    test = client.post(f"/v1/newsletters/{created['id']}/test", headers=STAFF, json={"email": "pruefung@example.org"})
    assert test.status_code == 202
    eventually(lambda: dispatcher.run_mails() or sink.to("pruefung@example.org"), message="test mail")
    test_mail = sink.to("pruefung@example.org")[0]
    assert str(test_mail["Subject"]) == "[Test] Netzwerk vor Ort: neue Ergebnisse"
    assert lint_message(test_mail) == []

    sink.temporary_failures["kontakt@hv-nrw.example"] = 2  # 451 twice, then accepted
    sink.permanent_failures.add("mia.beispiel@tu-dortmund.example")
    done = send_and_drain(client, dispatcher, created["id"])
    assert {k: done["progress"][k] for k in ("total", "sent", "failed", "pending", "sending")} == {
        "total": 3, "sent": 2, "failed": 1, "pending": 0, "sending": 0}
    assert done["status"] == "partly_failed"
    per_recipient = {r["email"]: r for r in done["recipients"]}
    assert per_recipient["kontakt@hv-nrw.example"]["attempts"] == 3
    assert per_recipient["kontakt@hv-nrw.example"]["status"] == "sent"
    assert per_recipient["mia.beispiel@tu-dortmund.example"]["status"] == "failed"
    assert "550" in per_recipient["mia.beispiel@tu-dortmund.example"]["last_error"]

    delivered = sink.with_subject("Netzwerk vor Ort: neue Ergebnisse")
    assert sorted(str(m["To"]) for m in delivered) == [
        "Handelsverband NRW <kontakt@hv-nrw.example>", "Jonas Test <jonas.test@ihk-nrw.example>"]
    for message in delivered:
        assert lint_message(message) == []
        assert message["List-Unsubscribe"].startswith(f"<{BASE_URL}/v1/subscriptions/unsubscribe?token=")
        assert str(message["From"]) == SENDER
        assert text_part(message).startswith("Guten Tag ")
    sent_events = [e for e in outbox(db_url) if e["type"] == "NewsletterSent"]
    assert len(sent_events) == 1
    assert {k: sent_events[0]["data"][k] for k in ("total", "sent", "failed")} == {"total": 3, "sent": 2, "failed": 1}

    again = client.post(f"/v1/newsletters/{created['id']}/send", headers=STAFF, json={})
    assert again.status_code == 409 and "has been sent" in again.json["message"]


def test_a_newsletter_whose_every_delivery_failed_is_failed_not_sent(client, ctx, dispatcher, sink, db_url):
    pub = published_draft(client, ctx)
    for name, address in [("IHK NRW", "jonas.test@ihk-nrw.example"), ("TU Dortmund", "mia@tu-dortmund.example")]:
        add_member(client, name, address)
        sink.permanent_failures.add(address)
    created = newsletter(client, [pub["id"]])
    done = send_and_drain(client, dispatcher, created["id"])
    assert done["status"] == "failed"
    assert {k: done["progress"][k] for k in ("total", "sent", "failed")} == {"total": 2, "sent": 0, "failed": 2}
    listed = client.get("/v1/newsletters?status=failed", headers=STAFF).json
    assert [n["id"] for n in listed] == [created["id"]]
    assert client.get("/v1/newsletters?status=sent", headers=STAFF).json == []

def test_a_newsletter_planned_for_later_waits_for_its_time(client, ctx, dispatcher, sink):
    pub = published_draft(client, ctx)
    add_member(client, "IHK NRW", "jonas.test@ihk-nrw.example")
    created = newsletter(client, [pub["id"]])
    later = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    scheduled = client.post(f"/v1/newsletters/{created['id']}/send", headers=STAFF, json={"send_at": later})
    assert scheduled.status_code == 202 and scheduled.json["status"] == "scheduled"
    dispatcher.run_newsletters()
    assert client.get(f"/v1/newsletters/{created['id']}", headers=STAFF).json["status"] == "scheduled"
    assert sink.messages == []


BAD_NEWSLETTERS = {
    "unknown segment": ({"segment": {"type": "alle"}}, "segment", "Unknown segment type 'alle'"),
    "segment without its call": ({"segment": {"type": "selected_municipalities"}}, "segment", "requires 'call_id'"),
    "segment with a typo": ({"segment": {"type": "all_members", "callid": "x"}}, "segment", "Unknown field"),
    "empty subject": ({"subject": "   "}, "subject", "must not be empty"),
    "missing subject": ({"subject": None}, "subject", "Field may not be null"),
    "no results": ({"publication_ids": []}, "publication_ids", "at least one"),
    "unknown result": ({"publication_ids": ["nope"]}, "publication_ids", "Unknown publication", 404),
    "send_at in the past": ({"send_at": "2018-06-15T12:00:00+02:00"}, "send_at", "must be in the future"),
    "send_at without zone": ({"send_at": "2030-06-15T12:00:00"}, "send_at", "time zone"),
    "unknown field": ({"colour": "blue"}, "colour", "Unknown field"),
}


@pytest.mark.parametrize("case", sorted(BAD_NEWSLETTERS))
def test_bad_newsletters_are_refused_naming_the_problem(client, ctx, case):
    pub = published_draft(client, ctx)
    changes, field, words, *status = BAD_NEWSLETTERS[case]
    body = {"subject": "Ergebnisse", "intro": "", "publication_ids": [pub["id"]], "segment": {"type": "all_members"}}
    body.update(changes)
    response = client.post("/v1/newsletters", headers=STAFF, json=body)
    assert response.status_code == (status or [422])[0], response.json  # an unknown result: 404
    assert field in response.json["errors"]["json"]
    assert words.lower() in json.dumps(response.json["errors"]["json"][field], ensure_ascii=False).lower()


def test_a_draft_cannot_go_into_a_newsletter(client, ctx):
    event = workshop_completed()
    apply(ctx, event)
    response = client.post("/v1/newsletters", headers=STAFF, json={
        "subject": "Ergebnisse", "publication_ids": [publication_id("workshop_result", event.subject)],
        "segment": {"type": "all_members"}})
    assert response.status_code == 409 and "has not been published" in response.json["message"]


def test_sending_is_refused_for_an_empty_audience_or_a_past_time(client, ctx):
    pub = published_draft(client, ctx)
    created = newsletter(client, [pub["id"]], {"type": "subscribers", "topic": "Smart City"})
    empty = client.post(f"/v1/newsletters/{created['id']}/send", headers=STAFF, json={})
    assert empty.status_code == 422 and "no recipients" in empty.json["errors"]["json"]["segment"][0]
    add_member(client, "IHK NRW", "jonas.test@ihk-nrw.example")
    members = newsletter(client, [pub["id"]])
    past = client.post(f"/v1/newsletters/{members['id']}/send", headers=STAFF,
                       json={"send_at": "2020-01-01T00:00:00+00:00"})
    assert past.status_code == 422 and "future" in past.json["errors"]["json"]["send_at"][0]
    assert client.post("/v1/newsletters/unknown/send", headers=STAFF, json={}).status_code == 404


def test_no_input_produces_a_server_error(client, ctx):
    pub = published_draft(client, ctx)
    created = newsletter(client, [pub["id"]])
    probes = [
        ("post", "/v1/newsletters", {"data": "{not json", "content_type": "application/json"}),
        ("post", "/v1/newsletters", {"json": []}),
        ("post", "/v1/newsletters", {"json": {"subject": 5, "publication_ids": "x", "segment": []}}),
        ("post", "/v1/newsletters", {"json": {"subject": "x\ny", "publication_ids": [pub["id"]],
                                              "segment": {"type": None}}}),
        ("post", f"/v1/newsletters/{created['id']}/send", {"json": {"send_at": "tomorrow"}}),
        ("post", f"/v1/newsletters/{created['id']}/test", {"json": {"email": "kein-at"}}),
        ("get", f"/v1/newsletters/{created['id']}?recipients=vielleicht", {}),
        ("patch", f"/v1/publications/{pub['id']}", {"json": {"body": [{"heading": 1}]}}),
        ("post", "/v1/members", {"json": {"name": "x" * 500, "kind": "alien", "email": "@"}}),
        ("post", "/v1/subscriptions", {"json": {"email": "a@example.org", "topics": "Smart City"}}),
        ("post", "/v1/enquiries", {"json": {"name": "", "email": "x", "message": "y" * 6000}}),
        ("put", "/v1/notice-templates/selected", {"json": {"subject": "$x", "body": "${"}}),
        ("put", "/v1/notice-templates/maybe", {"json": {"subject": "a", "body": "b"}}),
        ("get", "/v1/subscriptions/confirm?token=%00%FF", {}),
        ("get", "/v1/publications?page_size=1000", {}),
        ("get", "/results/%3Cscript%3E", {}),
    ]
    for method, path, kwargs in probes:
        response = getattr(client, method)(path, headers=STAFF, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.get_data()[:300])


# --- templates and enquiries ---------------------------------------------------------------------
def test_staff_edit_the_letter_templates_and_unknown_placeholders_are_refused(client):
    default = client.get("/v1/notice-templates/not_selected", headers=STAFF)
    assert default.json["is_default"] is True and "$workshop_places" in default.json["body"]
    bad = client.put("/v1/notice-templates/not_selected", headers=STAFF,
                     json={"subject": "Ihre Bewerbung", "body": "Hallo $buergermeister"})
    assert bad.status_code == 422 and "$buergermeister" in bad.json["errors"]["json"]["body"][0]
    good = client.put("/v1/notice-templates/not_selected", headers=STAFF,
                      json={"subject": "Ihre Interessensbekundung ($call_title)",
                            "body": "$salutation\n\nleider nicht. Kommen Sie $workshop_places vorbei.\n\n$sender"})
    assert good.status_code == 200 and good.json["is_default"] is False
    assert good.json["updated_by"] == "staff:staff:barbara"
    assert client.get("/v1/notice-templates/maybe", headers=STAFF).status_code == 404
    assert client.put("/v1/notice-templates/selected", headers=MUNICIPALITY,
                      json={"subject": "a", "body": "b"}).status_code == 403


def test_an_enquiry_is_acknowledged_by_mail_and_listed_for_the_office(client, dispatcher, sink):
    response = client.post("/v1/enquiries", json={
        "name": "Jonas Test", "email": "jonas.test@example.org", "organisation": "Stadt Hamm",
        "message": "Ich möchte gerne weitere Informationen zum Netzwerk vor Ort erhalten."})
    assert response.status_code == 201
    eventually(lambda: dispatcher.run_mails() or sink.to("jonas.test@example.org"), message="acknowledgement")
    ack = sink.to("jonas.test@example.org")[0]
    assert str(ack["Subject"]) == "Ihre Anfrage an das Netzwerk Innenstadt NRW"
    assert text_part(ack).startswith("Guten Tag Jonas Test,")
    assert lint_message(ack) == []
    assert client.get("/v1/enquiries").status_code == 401
    listed = client.get("/v1/enquiries", headers=STAFF).json
    assert [(e["name"], e["organisation"]) for e in listed] == [("Jonas Test", "Stadt Hamm")]


def test_the_results_page_and_feeds_need_no_token_and_only_show_published_results(client, ctx):
    published = published_draft(client, ctx, name="Siegen", ags="05970040")
    draft_event = workshop_completed(name="Arnsberg", ags="05958004")
    apply(ctx, draft_event)
    page = client.get("/results").get_data(as_text=True)
    assert "Ergebnisse der 1. Strategiewerkstatt in Siegen" in page
    assert "Arnsberg" not in page
    assert f'href="{BASE_URL}/results/{published["id"]}"' in page
    draft_id = publication_id("workshop_result", draft_event.subject)
    assert client.get(f"/results/{draft_id}").status_code == 404
    assert draft_id not in client.get("/feeds/results.atom").get_data(as_text=True)
    assert client.get("/feeds/results.json").mimetype == "application/feed+json"


PUBLIC_VIEWS = {
    "publications.Publications get", "publications.PublicationItem get", "subscriptions.Subscriptions post",
    "subscriptions.ConfirmSubscription get", "subscriptions.UnsubscribeLink get",
    "subscriptions.UnsubscribeLink post", "enquiries.Enquiries post", "results.ResultsPage get",
    "results.ResultPage get", "results.AtomFeed get", "results.JsonFeed get",
}
# Views a role besides the office may call, each checking ownership itself: a municipality reads only the
# decision letters of its own AGS (tests/integration/test_portal_* and the decision-letter tests prove it).
SHARED_VIEWS = {"notices.DecisionLetter get": ("municipality", "staff")}


def test_every_view_needs_the_staff_role_except_the_deliberately_public_ones(app):
    public, guarded = set(), set()
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            handler = getattr(view_class, method, None)
            if handler is None:
                continue
            if getattr(handler, "_vorort_public", False):
                public.add(f"{endpoint} {method}")
            else:
                expected = SHARED_VIEWS.get(f"{endpoint} {method}", ("staff",))
                assert getattr(handler, "_vorort_roles", None) == expected, f"{endpoint} {method} has no role check"
                guarded.add(endpoint)
    assert public == PUBLIC_VIEWS
    document = app.test_client().get("/openapi.json").json
    assert document["paths"]["/feeds/results.atom"]["get"]["security"] == []
    assert document["paths"]["/v1/subscriptions"]["post"]["security"] == []
    assert "security" not in document["paths"]["/v1/newsletters"]["post"]  # the default: a bearer token
