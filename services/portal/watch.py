"""Mails about what happens to a guest's registration after the portal made it.

`watch_registrations` (periodic, in the worker): the registrations made through the portal that are waiting
(waiting list or approval) are read again with their manage code; when one became confirmed (a place was
freed and it was promoted, or the host approved it), the guest gets one mail with the calendar file (key
`registration:<id>:<promoted|confirmed>`), in the language of the page they registered on. The workshops
service publishes no events per registration (they would carry personal data), so the portal asks for the
registrations it knows. What the workshops' events cause (invitations, rescheduling) is consumers.py's and
handlers.py's.
"""
from __future__ import annotations

import logging

from services.portal.clients import PortalClients
from services.portal.handlers import calendar_file, manage_link
from services.portal.repositories import GuestRegistration
from shared.apiclient import ApiError, ServiceUnavailable

log = logging.getLogger(__name__)


def watch_registrations(ctx) -> int:
    client = PortalClients().as_guest("workshops")
    with ctx.uow_factory() as uow:
        waiting = uow.guest_registrations.waiting()
    changed = 0
    for row in waiting:
        try:
            current = client.get(f"/v1/workshops/{row.workshop_id}/registrations/{row.registration_id}",
                                 code=row.manage_code)
        except ApiError as error:
            if error.status == 404:  # erased, or the workshop's data purged: nothing more to tell
                _set_status(ctx, row, "gone")
            continue
        except ServiceUnavailable:
            return changed
        if current["status"] == row.status:
            continue
        changed += 1
        if current["status"] == "confirmed":
            workshop = client.get(f"/v1/workshops/{row.workshop_id}")
            kind = "promoted" if row.status == "waitlisted" else "confirmed"
            now = ctx.clock()
            with ctx.uow_factory() as uow:
                uow.mails.queue(key=f"registration:{row.registration_id}:{kind}", kind=f"registration_{kind}",
                                recipient=row.email, template=f"registration_{kind}", now=now, language=row.language,
                                attachment=calendar_file(client, row.workshop_id), registration=current,
                                workshop=workshop, link=manage_link(ctx.portal.base_url, row))
                uow.guest_registrations.set_status(row.registration_id, current["status"], now)
                uow.commit()
        else:
            _set_status(ctx, row, current["status"])
    return changed


def _set_status(ctx, row: GuestRegistration, status: str) -> None:
    with ctx.uow_factory() as uow:
        uow.guest_registrations.set_status(row.registration_id, status, ctx.clock())
        uow.commit()
