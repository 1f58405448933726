"""Publishing's tables."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, func, text

from shared.db import BigId, UtcDateTime, new_metadata, privacy_erasures_table, revoked_access_table

metadata = new_metadata()

publications = Table(
    "publications", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("source_id", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("summary", Text, nullable=False),
    Column("body", JSON, nullable=False),
    Column("solution_approaches", JSON, nullable=False),
    Column("topic", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("published_by", String(200), nullable=True),
    Index("ix_publications_status_published", "status", "published_at"),
)

members = Table(
    "members", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("ags", String(8), nullable=True),
    Column("email", String(254), nullable=False),
    Column("contact_name", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)
# One member per organisation name and per municipality.
Index("uq_members_name", func.lower(members.c.name), unique=True)
Index("uq_members_ags", members.c.ags, unique=True, postgresql_where=text("ags IS NOT NULL"),
      sqlite_where=text("ags IS NOT NULL"))

subscribers = Table(
    "subscribers", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("topics", JSON, nullable=False),
    Column("pending_topics", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("unsubscribed_at", UtcDateTime(), nullable=True),
    Column("language", String(5), nullable=False, default="de", server_default="de"),  # of their mails
)

suppressions = Table(
    "suppressions", metadata,  # addresses that unsubscribed: members and subscribers alike
    Column("email_key", String(254), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

calls = Table(
    "calls", metadata,  # what SelectionCompleted told us about a decided call
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("selected_names", JSON, nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)

decisions = Table(
    "decisions", metadata,  # ApplicationSelected / NotSelected per call: the segment "selected municipalities"
    Column("call_id", String(36), primary_key=True),
    Column("application_id", String(36), primary_key=True),
    Column("ags", String(8), nullable=False),
    Column("municipality_name", String(200), nullable=False),
    Column("selected", Boolean, nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)

workshop_participants = Table(
    "workshop_participants", metadata,  # from WorkshopCompleted: organisations, never persons
    Column("workshop_id", String(36), primary_key=True),
    Column("call_id", String(36), nullable=False),
    Column("organisations", JSON, nullable=False),
    Column("completed_at", UtcDateTime(), nullable=False),
)

newsletters = Table(
    "newsletters", metadata,
    Column("id", String(36), primary_key=True),
    Column("subject", String(200), nullable=False),
    Column("intro", Text, nullable=False),
    Column("publication_ids", JSON, nullable=False),
    Column("segment", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("send_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Index("ix_newsletters_status_send_at", "status", "send_at"),
)


def _claim_columns() -> list[Column]:
    """The columns of a sending queue (see delivery.py): status, claim and retry bookkeeping."""
    return [
        Column("status", String(20), nullable=False),  # pending | sending | sent | failed | skipped
        Column("attempts", Integer, nullable=False, default=0),
        Column("claimed_by", BigInteger, nullable=True),
        Column("claimed_at", UtcDateTime(), nullable=True),
        Column("next_attempt_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        Column("message_id", String(300), nullable=True),
        Column("last_error", Text, nullable=True),
    ]


deliveries = Table(
    "deliveries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("newsletter_id", String(36), ForeignKey("newsletters.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("language", String(5), nullable=False, default="de", server_default="de"),  # the subscriber's
    *_claim_columns(),
    Index("uq_deliveries_newsletter_email", "newsletter_id", "email_key", unique=True),
    Index("ix_deliveries_queue", "newsletter_id", "status", "next_attempt_at", "id"),
)

mails = Table(
    "mails", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(30), nullable=False),  # confirmation | enquiry_ack | notice | newsletter_test
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message", Text, nullable=False),  # the whole MIME message, rendered when queued
    Column("notice_id", String(36), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    *_claim_columns(),
    Index("ix_mails_queue", "status", "next_attempt_at", "id"),
)

notices = Table(
    "notices", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),  # selected | not_selected | workshop_cancelled
    Column("call_id", String(36), nullable=False),
    Column("application_id", String(36), nullable=False),
    Column("ags", String(8), nullable=False),
    Column("municipality_name", String(200), nullable=False),
    Column("may_attend_workshops", Boolean, nullable=True),
    # pending_review -> approved (queued for contact lookup) -> queued (mail written) -> sent | failed;
    # or pending_review -> discarded.
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("reviewed_at", UtcDateTime(), nullable=True),
    Column("reviewed_by", String(200), nullable=True),
    Column("subject_template", Text, nullable=True),  # frozen at approval
    Column("body_template", Text, nullable=True),
    Column("call_title", String(200), nullable=True),
    Column("workshop_places", JSON, nullable=True),
    Column("recipient_email", String(254), nullable=True),  # filled in when the mail is written
    Column("recipient_name", String(200), nullable=True),
    Column("lookup_attempts", Integer, nullable=False, default=0),
    Column("next_lookup_at", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("mail_id", BigInteger, nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    # workshop_cancelled: the registration whose person is written to (looked up in the workshops service)
    Column("workshop_id", String(36), nullable=True),
    Column("registration_id", String(36), nullable=True),
    Column("workshop", String(300), nullable=True),
    Index("ix_notices_status", "status", "created_at"),
)

notice_templates = Table(
    "notice_templates", metadata,
    Column("kind", String(20), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

enquiries = Table(
    "enquiries", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_enquiries_created", "created_at"),
)


privacy_erasures = privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)
