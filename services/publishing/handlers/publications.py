"""Use cases of publications: drafted from events, edited, published."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from services.publishing import domain
from services.publishing.handlers.common import NOTICE_NAMESPACE, _event
from services.publishing.handlers.notices import notice_template
from services.publishing.settings import PublishingSettings
from shared.errors import NotFound

if TYPE_CHECKING:
    from services.publishing.handlers.commands import EditPublication, PublishPublication, RecordDecision, RecordDecisionAmendment, RecordSelection, RecordWorkshopCancellation, RecordWorkshopResults


# --- publications --------------------------------------------------------------------------------
def _draft(uow, pub: domain.Publication, now: datetime, settings: PublishingSettings) -> None:
    """Store a new draft; a redelivered event finds its publication by id and leaves staff edits alone."""
    if uow.publications.get(pub.id) is not None:
        return
    uow.publications.add(pub, updated_at=now)
    if settings.auto_publish:
        _publish(uow, pub, now, "auto-publish", settings)


def _publish(uow, pub: domain.Publication, now: datetime, actor: str, settings: PublishingSettings):
    published = domain.publish(pub, now)
    uow.publications.save(published, updated_at=now, published_by=actor)
    uow.emit(_event("ResultsPublished", domain.results_published_payload(published, settings.base_url)))
    return published


def record_selection(command: RecordSelection, uow, clock, settings: PublishingSettings) -> None:
    data = command.data
    pub = domain.publication_from_selection(data)
    uow.audience.record_call(data["call_id"], data["call_title"], data["topic"],
                             [line["name"] for line in data["ranking"] if line["selected"]], data["decided_at"])
    for line in data["ranking"]:
        uow.audience.record_decision(data["call_id"], line["application_id"], line["ags"], line["name"],
                                     line["selected"], data["decided_at"])
    _draft(uow, pub, clock(), settings)


def record_decision(command: RecordDecision, uow, clock, settings: PublishingSettings) -> None:
    data = command.data
    municipality = data["municipality"]
    kind = "selected" if command.selected else "not_selected"
    uow.audience.record_decision(data["call_id"], data["application_id"], municipality["ags"],
                                 municipality["name"], command.selected, data["decided_at"])
    uow.notices.add_if_new(domain.Notice(
        id=str(uuid.uuid5(NOTICE_NAMESPACE, f"{kind}:{data['application_id']}")), kind=kind,
        call_id=data["call_id"], application_id=data["application_id"], ags=municipality["ags"],
        municipality_name=municipality["name"], may_attend_workshops=data.get("may_attend_workshops"),
        status="pending_review", created_at=clock(), decided_at=data["decided_at"]))


def record_workshop_cancellation(command: RecordWorkshopCancellation, uow, clock, settings) -> None:
    data = command.data
    if not data.get("registration_ids"):
        return
    municipality = data.get("municipality") or {}
    template = notice_template(uow, "workshop_cancelled")
    call = uow.audience.call(data["call_id"])
    label = domain.workshop_label(data.get("sequence"), municipality.get("name"), data.get("starts_at"))
    now = clock()
    for registration_id in data["registration_ids"]:
        uow.notices.add_if_new(domain.Notice(
            id=str(uuid.uuid5(NOTICE_NAMESPACE, f"workshop_cancelled:{registration_id}")), kind="workshop_cancelled",
            call_id=data["call_id"], application_id=data.get("application_id") or "",
            ags=municipality.get("ags") or "", municipality_name=municipality.get("name") or "",
            status="approved", created_at=now, decided_at=data["cancelled_at"], reviewed_at=now,
            reviewed_by="automatic: workshop cancelled", subject_template=template["subject"],
            body_template=template["body"], call_title=call.title if call else "", workshop_places=(),
            next_lookup_at=now, workshop_id=data["workshop_id"], registration_id=registration_id, workshop=label))


def record_decision_amendment(command: RecordDecisionAmendment, uow, clock, settings) -> None:
    """The selection as it now stands: letters name the new workshop places, the vacated municipality's
    selection letter is not sent if it has not gone out yet, and the members get a draft announcement."""
    data = command.data
    now = clock()
    uow.audience.record_decision(data["call_id"], data["vacated_application_id"], data["vacated"]["ags"],
                                 data["vacated"]["name"], False, data["decided_at"])
    call = uow.audience.call(data["call_id"])
    if call is not None:
        uow.audience.record_call(data["call_id"], call.title, call.topic, data["selected_municipalities"],
                                 call.decided_at)
    letter = uow.notices.get(str(uuid.uuid5(NOTICE_NAMESPACE, f"selected:{data['vacated_application_id']}")),
                             for_update=True)
    if letter is not None and letter.status in ("pending_review", "approved"):
        uow.notices.update(letter.id, status="discarded", reviewed_at=now,
                           reviewed_by="automatic: withdrew after the decision")
    _draft(uow, domain.publication_from_amendment(data), now, settings)


def record_workshop_results(command: RecordWorkshopResults, uow, clock, settings: PublishingSettings) -> None:
    data = command.data
    pub = domain.publication_from_workshop(data)
    # The host municipality took part too; members are matched by AGS as well as by name.
    organisations = list(dict.fromkeys([*data.get("participant_organisations", []), data["municipality"]["ags"]]))
    uow.audience.record_workshop(data["workshop_id"], data["call_id"], organisations, data["completed_at"])
    _draft(uow, pub, clock(), settings)


def _publication(uow, publication_id: str, *, for_update: bool = False) -> domain.Publication:
    pub = uow.publications.get(publication_id, for_update=for_update)
    if pub is None:
        raise NotFound(f"No publication {publication_id}.")
    return pub


def edit_publication(command: EditPublication, uow, clock, settings) -> domain.Publication:
    edited = domain.edit(_publication(uow, command.publication_id, for_update=True), command.changes)
    uow.publications.save(edited, updated_at=clock())
    uow.commit()
    return edited


def publish_publication(command: PublishPublication, uow, clock, settings) -> domain.Publication:
    published = _publish(uow, _publication(uow, command.publication_id, for_update=True), clock(), command.actor,
                         settings)
    uow.commit()
    return published
