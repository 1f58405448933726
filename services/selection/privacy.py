"""Personal data in the selection service (GDPR): the steering-group members' names and addresses.

Reviews, conflicts and the audit trail refer to members by id only, so erasing a member's name and
address keeps the decision traceable without the person.
"""
from __future__ import annotations

from services.selection.domain import PanelMember
from shared.privacy import ERASED_NAME, email_digest, erased_email, privacy_blueprint, privacy_consumer


def _matching(uow, digest: str) -> list[tuple[str, PanelMember]]:
    """(call id, member) of every panel seat of the person whose e-mail address has this digest."""
    return [(call_id, member) for call_id, member in uow.panels.members_of_every_call()
            if email_digest(member.email) == digest]


def export_personal_data(uow, digest: str) -> list[dict]:
    return [{"kind": "panel_member", "call_id": call_id, "member_id": member.id, "name": member.name,
             "institution": member.institution, "email": member.email, "role": member.role}
            for call_id, member in _matching(uow, digest)]


def erase_personal_data(uow, digest: str) -> int:
    seats = _matching(uow, digest)
    for call_id, member in seats:
        uow.panels.rename_member(call_id, member.id, name=ERASED_NAME, email=erased_email(f"{call_id}{member.id}"))
    return len(seats)


PRIVACY_CONSUMER = privacy_consumer("selection", erase_personal_data)
PRIVACY_BLUEPRINT = privacy_blueprint("selection", export_personal_data)
