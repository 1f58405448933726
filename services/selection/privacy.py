"""Personal data in the selection service (GDPR): the steering-group members' names and addresses.

Reviews, conflicts and the audit trail refer to members by id only, so erasing a member's name and
address keeps the decision traceable without the person.
"""
from __future__ import annotations

from sqlalchemy import select, update

from services.selection.db import panel_members
from shared.privacy import ERASED_NAME, email_digest, erased_email, privacy_blueprint, privacy_consumer


def _matching(uow, digest: str):
    rows = uow.session.execute(select(panel_members)).mappings().all()
    return [row for row in rows if email_digest(row["email"]) == digest]


def export_personal_data(uow, digest: str) -> list[dict]:
    return [{"kind": "panel_member", "call_id": row["call_id"], "member_id": row["member_id"], "name": row["name"],
             "institution": row["institution"], "email": row["email"], "role": row["role"]}
            for row in _matching(uow, digest)]


def erase_personal_data(uow, digest: str) -> int:
    rows = _matching(uow, digest)
    for row in rows:
        uow.session.execute(update(panel_members).where(
            panel_members.c.call_id == row["call_id"], panel_members.c.member_id == row["member_id"]).values(
            name=ERASED_NAME, email=erased_email(f"{row['call_id']}{row['member_id']}")))
    return len(rows)


PRIVACY_CONSUMER = privacy_consumer("selection", erase_personal_data)
PRIVACY_BLUEPRINT = privacy_blueprint("selection", export_personal_data)
