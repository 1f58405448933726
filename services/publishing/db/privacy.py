"""Everything publishing holds about one address, for GDPR export and erasure."""
from __future__ import annotations

from datetime import datetime

from typing import Any

from sqlalchemy import Column, delete, select, update

from services.publishing.db.mapping import DELIVERIES, ENQUIRIES, MAILS, MEMBERS, NOTICES, SUBSCRIBERS
from services.publishing.db.tables import deliveries, enquiries, mails, members, notices, subscribers, suppressions
from shared.db import RowMapping
from shared.privacy import ERASED_NAME, email_digest, erased_email


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


class PrivacyRepository:
    """Everything this service holds about one address (GDPR), found by the SHA-256 of the address.

    The erasure request carries only the hash, so rows are matched by hashing their addresses; the tables
    involved are small (deliveries are the largest: one row per recipient and newsletter).
    """

    def __init__(self, session):
        self.session = session

    def _ids(self, table, column, digest: str) -> list:
        return [row.id for row in self.session.execute(select(table.c.id, column))
                if row[1] and email_digest(row[1]) == digest]

    def export(self, digest: str) -> list[dict]:
        """For `GET /v1/personal-data` (shared.privacy.privacy_blueprint)."""
        records = []
        for member in self._found(MEMBERS, members.c.email, digest):
            records.append({"kind": "member_contact", "member_id": member.id, "organisation": member.name,
                            "contact_name": member.contact_name, "email": member.email})
        for sub in self._found(SUBSCRIBERS, subscribers.c.email, digest):
            records.append({"kind": "subscription", "email": sub.email, "topics": list(sub.topics),
                            "status": sub.status, "language": sub.language, "created_at": _iso(sub.created_at),
                            "confirmed_at": _iso(sub.confirmed_at), "unsubscribed_at": _iso(sub.unsubscribed_at)})
        for row in self.session.execute(select(suppressions)):
            if email_digest(row.email_key) == digest:
                records.append({"kind": "unsubscribed_address", "created_at": _iso(row.created_at)})
        for enquiry in self._found(ENQUIRIES, enquiries.c.email, digest):
            records.append({"kind": "enquiry", "enquiry_id": enquiry.id, "name": enquiry.name, "email": enquiry.email,
                            "organisation": enquiry.organisation, "message": enquiry.message,
                            "created_at": _iso(enquiry.created_at)})
        for delivery in self._found(DELIVERIES, deliveries.c.email, digest):
            records.append({"kind": "newsletter_delivery", "newsletter_id": delivery.newsletter_id,
                            "email": delivery.email, "name": delivery.name, "status": delivery.status,
                            "sent_at": _iso(delivery.sent_at)})
        for mail in self._found(MAILS, mails.c.recipient, digest):
            records.append({"kind": "mail", "mail_kind": mail.kind, "recipient": mail.recipient,
                            "subject": mail.subject, "status": mail.status, "created_at": _iso(mail.created_at),
                            "sent_at": _iso(mail.sent_at)})
        for notice in self._found(NOTICES, notices.c.recipient_email, digest):
            records.append({"kind": "decision_notice", "notice_id": notice.id,
                            "municipality": notice.municipality_name, "recipient_name": notice.recipient_name,
                            "recipient_email": notice.recipient_email, "status": notice.status,
                            "sent_at": _iso(notice.sent_at)})
        return records

    def _found(self, mapping: RowMapping[Any], column: Column[Any], digest: str) -> list[Any]:
        """The domain objects of `mapping` whose address in `column` hashes to `digest`, by id."""
        table = mapping.table
        ids = self._ids(table, column, digest)
        if not ids:
            return []
        query = select(*(table.c[name] for name in mapping.fields)).where(table.c.id.in_(ids)).order_by(table.c.id)
        return [mapping.to_domain(row) for row in self.session.execute(query)]

    def erase(self, digest: str) -> int:
        """Anonymise what must stay countable (deliveries, mails, letters, enquiries, the member organisation),
        delete what exists only for this person (the subscription, the unsubscribe record). Returns the count."""
        erased = 0
        for member_id in self._ids(members, members.c.email, digest):
            self.session.execute(update(members).where(members.c.id == member_id).values(
                email=erased_email(member_id), contact_name=None))
            erased += 1
        for subscriber_id in self._ids(subscribers, subscribers.c.email, digest):
            self.session.execute(delete(subscribers).where(subscribers.c.id == subscriber_id))
            erased += 1
        for row in list(self.session.execute(select(suppressions.c.email_key))):
            if email_digest(row.email_key) == digest:
                self.session.execute(delete(suppressions).where(suppressions.c.email_key == row.email_key))
                erased += 1
        for enquiry_id in self._ids(enquiries, enquiries.c.email, digest):
            self.session.execute(update(enquiries).where(enquiries.c.id == enquiry_id).values(
                name=ERASED_NAME, email=erased_email(enquiry_id), organisation="", message=ERASED_NAME))
            erased += 1
        for delivery_id in self._ids(deliveries, deliveries.c.email, digest):
            placeholder = erased_email(f"{delivery_id:012d}")
            self.session.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(
                email=placeholder, email_key=placeholder, name=ERASED_NAME))
            self.session.execute(update(deliveries).where(deliveries.c.id == delivery_id,
                                                          deliveries.c.status == "pending").values(
                status="skipped", last_error="personal data erased before sending"))
            erased += 1
        for mail_id in self._ids(mails, mails.c.recipient, digest):
            self.session.execute(update(mails).where(mails.c.id == mail_id).values(
                recipient=erased_email(f"{mail_id:012d}"), message=""))
            self.session.execute(update(mails).where(mails.c.id == mail_id, mails.c.status == "pending").values(
                status="skipped", last_error="personal data erased before sending"))
            erased += 1
        for notice_id in self._ids(notices, notices.c.recipient_email, digest):
            self.session.execute(update(notices).where(notices.c.id == notice_id).values(
                recipient_email=erased_email(notice_id), recipient_name=ERASED_NAME))
            erased += 1
        return erased
