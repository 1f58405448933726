"""Integration events -> commands: what the workshops learn from the selection (topic vorort.selection)
and the erasure requests they answer (topic vorort.privacy).

Handlers have the consumer loop's signature `handler(event, data, uow)`; `data` is already validated
against the catalogue. The loop provides idempotency (processed messages), retries and the dead-letter
topic; the commands are upserts on top of that, so even a replay without the record changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable

from services.workshops import handlers
from shared.bus import system_clock
from shared.consumer import PermanentError
from shared.errors import DomainError

GROUP_PREFIX = "workshops"
GROUP_ID = f"{GROUP_PREFIX}.selection"
PRIVACY_GROUP_ID = f"{GROUP_PREFIX}.privacy"


def _runner(clock: Callable):
    def run(command, uow):
        try:
            return handlers.EVENT_HANDLERS[type(command)](command, uow, clock)
        except DomainError as error:  # the event breaks a rule: retrying cannot help, dead-letter it
            raise PermanentError(error.message) from error
    return run


def selection_handlers(clock: Callable = system_clock) -> dict:
    run = _runner(clock)

    def application_selected(event, data, uow):
        municipality = data["municipality"]
        run(handlers.PlanSeries(
            call_id=data["call_id"], application_id=data["application_id"], ags=municipality["ags"],
            name=municipality["name"], workshops_per_place=data["workshops_per_place"],
            population=municipality.get("population"), size_class=municipality.get("size_class")), uow)

    def application_not_selected(event, data, uow):
        municipality = data["municipality"]
        run(handlers.RecordInvitation(
            call_id=data["call_id"], application_id=data["application_id"], ags=municipality["ags"],
            name=municipality["name"], may_attend=data["may_attend_workshops"]), uow)

    def selection_completed(event, data, uow):
        run(handlers.RecordSelection(call_id=data["call_id"], title=data["call_title"], topic=data["topic"],
                                     decided_at=data["decided_at"]), uow)

    def place_vacated(event, data, uow):
        run(handlers.CancelSeries(call_id=data["call_id"], application_id=data["application_id"],
                                  reason=handlers.VACATED_REASON), uow)

    return {
        "ApplicationSelected": application_selected,
        "ApplicationNotSelected": application_not_selected,
        "SelectionCompleted": selection_completed,
        "PlaceVacated": place_vacated,
    }


def privacy_handlers(clock: Callable = system_clock) -> dict:
    """GDPR: erase what this service holds about one address, and report the count (PersonalDataErased)."""
    run = _runner(clock)

    def erasure_requested(event, data, uow):
        run(handlers.ErasePersonalData(request_id=data["request_id"], email_sha256=data["email_sha256"],
                                       requested_by=data["requested_by"]), uow)

    return {"PersonalDataErasureRequested": erasure_requested}
