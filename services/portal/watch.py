"""Mails about what happens to a guest's registration after the portal made it.

- `watch_registrations` (periodic, in the worker): the registrations made through the portal that are
  waiting (waiting list or approval) are read again with their manage code; when one became confirmed
  (a place was freed and it was promoted, or the host approved it), the guest gets one mail with the
  calendar file. The workshops service publishes no events per registration (they would carry personal
  data), so the portal asks for the registrations it knows.
- `workshop_handlers` (consumer of `vorort.workshops`): a scheduled workshop invites the portal's people of
  the invited municipalities (the not selected applicants of the call) and the host municipality's partners
  (partner accounts registered with its AGS), once per workshop and person; a
  rescheduled workshop mails every
  guest who is still registered through the portal, with a new calendar file. The mail's key names the
  event, and the consumer records the event in the same transaction, so each guest gets each mail once.
Each mail is written in its reader's language: a guest's is the one of the page they registered on
(`guest_registrations.language`), a person's their preference (`people.language`).
"""
from __future__ import annotations

import logging

from sqlalchemy import select, update

from services.portal import mail
from services.portal.clients import guest_token
from services.portal.db import guest_registrations, people
from shared.apiclient import ApiError, ServiceClient, ServiceUnavailable

log = logging.getLogger(__name__)

WAITING = ("waitlisted", "pending")
ACTIVE = ("confirmed", "waitlisted", "pending")


def _workshops() -> ServiceClient:
    return ServiceClient("workshops", guest_token())


def calendar_file(client: ServiceClient, workshop_id: str) -> mail.Attachment | None:
    try:
        return mail.Attachment("strategiewerkstatt.ics",
                               client.request("GET", f"/v1/workshops/{workshop_id}.ics", raw=True).text)
    except ApiError:
        return None


def manage_link(base_url: str, row) -> str:
    return f"{base_url}/workshops/{row.workshop_id}/registrations/{row.registration_id}?code={row.manage_code}"


def watch_registrations(ctx) -> int:
    client = _workshops()
    with ctx.engine.connect() as connection:
        waiting = list(connection.execute(select(guest_registrations).where(
            guest_registrations.c.status.in_(WAITING)).order_by(guest_registrations.c.created_at).limit(500)))
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
            with ctx.engine.begin() as connection:
                mail.queue(connection, key=f"registration:{row.registration_id}:{kind}", kind=f"registration_{kind}",
                           recipient=row.email, template=f"registration_{kind}", now=now, language=row.language,
                           attachment=calendar_file(client, row.workshop_id), registration=current,
                           workshop=workshop, link=manage_link(ctx.portal.base_url, row))
                connection.execute(update(guest_registrations).where(
                    guest_registrations.c.registration_id == row.registration_id).values(
                    status=current["status"], updated_at=now))
        else:
            _set_status(ctx, row, current["status"])
    return changed


def _set_status(ctx, row, status: str) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(update(guest_registrations).where(
            guest_registrations.c.registration_id == row.registration_id).values(status=status,
                                                                                 updated_at=ctx.clock()))


def workshop_handlers(ctx) -> dict:
    def notify(event, data, uow, template: str):
        connection = uow.session.connection()
        rows = list(connection.execute(select(guest_registrations).where(
            guest_registrations.c.workshop_id == data["workshop_id"], guest_registrations.c.status.in_(ACTIVE))))
        if not rows:
            return
        client = _workshops()
        workshop = client.get(f"/v1/workshops/{data['workshop_id']}")
        attachment = calendar_file(client, data["workshop_id"])
        for row in rows:
            mail.queue(connection, key=f"workshop:{event.id}:{row.registration_id}", kind=template,
                       recipient=row.email, template=template, now=ctx.clock(), language=row.language,
                       attachment=attachment,
                       registration={"name": row.name}, workshop=workshop, link=manage_link(ctx.portal.base_url, row))

    def invite(event, data, uow):
        """A scheduled workshop invites the people of the invited (not selected) municipalities, and the
        partners of the host municipality (partner accounts registered with its AGS)."""
        client = _workshops()
        workshop = client.get(f"/v1/workshops/{data['workshop_id']}")
        host = workshop["municipality"]["ags"]
        invited = set(workshop.get("invited_ags") or []) - {host}
        connection = uow.session.connection()
        guests = [(person, "workshop_invitation") for person in connection.execute(select(people).where(
            people.c.role == "municipality", people.c.ags.in_(sorted(invited)), people.c.active.is_(True)))]
        guests += [(person, "workshop_invitation_partner") for person in connection.execute(select(people).where(
            people.c.role == "partner", people.c.ags == host, people.c.active.is_(True)))]
        if not guests:
            return
        attachment = calendar_file(client, data["workshop_id"])
        link = f"{ctx.portal.base_url}/workshops/{data['workshop_id']}"
        for person, template in guests:
            mail.queue(connection, key=f"invitation:{data['workshop_id']}:{person.id}", kind=template,
                       recipient=person.email, template=template, now=ctx.clock(), language=person.language,
                       attachment=attachment,
                       registration={"name": person.name}, organisation=person.organisation, workshop=workshop,
                       link=link)

    return {
        "WorkshopScheduled": invite,
        "WorkshopRescheduled": lambda event, data, uow: notify(event, data, uow, "workshop_rescheduled"),
        # WorkshopCancelled: publishing's notices tell every registrant (a second mail from here would double it)
    }
