"""The portal's consumers only turn events into commands; its bus runs them with the portal's settings and
API clients injected (no closures), in the consumer's unit of work, through its repositories."""
from __future__ import annotations

from datetime import datetime, timezone

from services.portal.consumers import consumers
from services.portal.handlers import COMMAND_HANDLERS, AwaitLetter
from services.portal.people import Person
from services.portal.repositories import GuestRegistration
from services.portal.settings import PortalSettings
from shared.apiclient import ApiError
from shared.bus import MessageBus
from shared.events.catalogue import make_event

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
SETTINGS = PortalSettings(base_url="http://portal.test", smtp_url="smtp://127.0.0.1:1", sender="Portal <p@example.org>",
                          office_email="office@example.org")
WASSENBERG, SIEGEN = "05370040", "05970040"


class FakeMails:
    def __init__(self):
        self.queued = {}

    def queue(self, **fields):
        if fields["key"] in self.queued:
            return False
        self.queued[fields["key"]] = fields
        return True


class FakePeople:
    def __init__(self, people):
        self.people = people

    def active(self, role, ags):
        return [p for p in self.people if p.role == role and p.ags in set(ags)]

    def mail_language(self, email):
        return next((p.language for p in self.people if p.email == email), "de")


class FakeLetters:
    def __init__(self):
        self.noted = {}

    def note(self, letter):
        return self.noted.setdefault((letter.application_id, letter.kind), letter) is letter


class FakeRegistrations:
    def __init__(self, registrations):
        self.registrations = registrations

    def active_for(self, workshop_id):
        return [r for r in self.registrations if r.workshop_id == workshop_id and r.status != "cancelled"]


class FakeUnitOfWork:
    def __init__(self, people=(), registrations=()):
        self.people, self.mails = FakePeople(list(people)), FakeMails()
        self.awaited_letters, self.guest_registrations = FakeLetters(), FakeRegistrations(list(registrations))


class FakeClient:
    def __init__(self, answers):
        self.answers = answers

    def get(self, path, **params):
        if path not in self.answers:
            raise ApiError("fake", 404, "not found")
        return self.answers[path]

    def request(self, method, path, raw=False, **kwargs):
        raise ApiError("workshops", 404, "no calendar")


class FakeClients:
    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def as_municipality(self, service, ags):
        self.asked.append(("municipality", service, ags))
        return FakeClient(self.answers)

    def as_guest(self, service):
        self.asked.append(("guest", service))
        return FakeClient(self.answers)


def run(event, uow, answers=None):
    clients = FakeClients(answers or {})
    bus = MessageBus(lambda: uow, COMMAND_HANDLERS, lambda: NOW, {"settings": SETTINGS, "clients": clients})
    handler = next(spec.handlers[event.type] for spec in consumers(bus) if event.type in spec.handlers)
    handler(event, event.data, uow)
    return clients


def person(pid, role, ags, language="de"):
    return Person(id=pid, email=f"{pid}@example.org", name=f"Person {pid}", role=role, ags=ags, language=language)


def test_a_decision_is_awaited_once_as_its_kind():
    event = make_event("ApplicationNotSelected", {
        "call_id": "call-1", "application_id": "app-1", "rank": 4, "workshops_per_place": 2, "may_attend_workshops": True,
        "municipality": {"ags": WASSENBERG, "name": "Wassenberg", "population": 18_500, "size_class": "small"},
        "decided_at": datetime(2018, 6, 14, 15, 0, tzinfo=timezone.utc)}, source="/services/selection")
    uow = FakeUnitOfWork()
    run(event, uow)
    run(event, uow)
    (letter,) = uow.awaited_letters.noted.values()
    assert (letter.kind, letter.ags, letter.noted_at) == ("not_selected", WASSENBERG, NOW)
    assert letter.decided_at == datetime(2018, 6, 14, 15, 0, tzinfo=timezone.utc)


def test_a_withdrawal_is_confirmed_to_the_contact_in_their_language_asking_as_the_municipality():
    event = make_event("ApplicationWithdrawn", {
        "call_id": "call-1", "application_id": "app-1", "ags": WASSENBERG,
        "withdrawn_at": datetime(2018, 5, 2, 10, 0, tzinfo=timezone.utc)}, source="/services/applications")
    uow = FakeUnitOfWork(people=[person("kim", "municipality", WASSENBERG, language="en")])
    answers = {"/v1/applications/app-1": {"contact": {"email": "kim@example.org", "name": "Kim"},
                                         "municipality": {"name": "Wassenberg"}},
               "/v1/calls/call-1": {"id": "call-1", "title": "Netzwerk vor Ort 2018"}}
    clients = run(event, uow, answers)
    mail = uow.mails.queued["application:app-1:withdrawn"]
    assert (mail["recipient"], mail["language"], mail["now"]) == ("kim@example.org", "en", NOW)
    assert mail["link"] == "http://portal.test/municipality/calls/call-1"
    assert clients.asked == [("municipality", "applications", WASSENBERG)]


def test_an_erased_application_is_confirmed_to_nobody():
    event = make_event("ApplicationWithdrawn", {
        "call_id": "call-1", "application_id": "gone", "ags": WASSENBERG,
        "withdrawn_at": datetime(2018, 5, 2, 10, 0, tzinfo=timezone.utc)}, source="/services/applications")
    uow = FakeUnitOfWork()
    run(event, uow)
    assert uow.mails.queued == {}


def test_a_scheduled_workshop_invites_the_invited_towns_people_and_the_hosts_partners():
    event = make_event("WorkshopScheduled", _workshop_data(), source="/services/workshops")
    uow = FakeUnitOfWork(people=[person("jana", "municipality", WASSENBERG), person("tom", "municipality", SIEGEN),
                                 person("host", "municipality", "05958004"), person("p", "partner", "05958004")])
    answers = {"/v1/workshops/w-1": {"id": "w-1", "municipality": {"ags": "05958004"},
                                     "invited_ags": [WASSENBERG, "05958004"]}}
    run(event, uow, answers)
    assert {key: mail["kind"] for key, mail in uow.mails.queued.items()} == {
        "invitation:w-1:jana": "workshop_invitation", "invitation:w-1:p": "workshop_invitation_partner"}


def test_a_rescheduled_workshop_tells_each_registered_guest_once_per_event():
    event = make_event("WorkshopRescheduled", _workshop_data(), source="/services/workshops")
    registration = GuestRegistration(registration_id="r-1", workshop_id="w-1", manage_code="c0de", email="g@example.org",
                                     name="Gast", status="confirmed", language="en")
    uow = FakeUnitOfWork(registrations=[registration])
    run(event, uow, {"/v1/workshops/w-1": {"id": "w-1"}})
    mail = uow.mails.queued[f"workshop:{event.id}:r-1"]
    assert (mail["language"], mail["kind"]) == ("en", "workshop_rescheduled")
    assert mail["link"] == "http://portal.test/workshops/w-1/registrations/r-1?code=c0de"


def test_every_portal_command_has_one_handler():
    assert AwaitLetter in COMMAND_HANDLERS and len(COMMAND_HANDLERS) == 4


def _workshop_data():
    from shared.events.catalogue import spec_for

    return dict(spec_for("WorkshopScheduled").example, workshop_id="w-1")
