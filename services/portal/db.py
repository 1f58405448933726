"""The portal's own small database. Everything else it shows belongs to the API services.

- `people`: who may sign in (email, role, AGS or panel member id, the language their mails are written in)
  until the identity service lands; `services/portal/people.py` is the only reader, so that it can switch to
  identity's people API.
- `signin_links`: one-time sign-in links, stored as the SHA-256 of the token (never the token itself).
- `throttle_hits`: sign-in requests and contact-form posts per key (address or IP digest) and time.
- `mails`: every mail the portal sends, keyed so that the same mail is queued once (exactly once in
  effect); the worker sends them and marks them sent.
- `application_drafts` / `submitted_applications`: a municipality's draft per call, and the application
  id the applications API gave it on submission (the API has no drafts and no "mine" list).
- `guest_registrations`: the workshop registrations made through the portal, with their manage code, the
  last status the portal told the guest about (the worker mails changes such as a promotion) and the page
  language at registration (every later mail about it is written in it).
- `awaited_letters`: the decisions (selected / not selected) whose decision letter the office has yet to
  send; the worker asks publishing until the letter is sent, then tells the municipality's people once.
"""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text

from shared.db import BigId, UtcDateTime, new_metadata, privacy_erasures_table, revoked_access_table

metadata = new_metadata()
privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)  # staff tokens of revoked clients (the GDPR export)

people = Table(
    "people", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),           # municipality | steering | partner
    Column("ags", String(8), nullable=True),              # a municipality's AGS (a partner's: whom it partners)
    Column("member_id", String(100), nullable=True),      # a steering member's panel member id
    Column("organisation", String(200), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("language", String(5), nullable=False, default="de", server_default="de"),  # of their mails
)

signin_links = Table(
    "signin_links", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("next_path", String(500), nullable=True),
    Index("ix_signin_links_expiry", "expires_at"),
)

throttle_hits = Table(
    "throttle_hits", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(120), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_throttle_hits_key", "key", "at"),
)

mails = Table(
    "mails", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("attachment_name", String(200), nullable=True),
    Column("attachment", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("language", String(5), nullable=False, default="de", server_default="de"),  # Content-Language
    Index("ix_mails_unsent", "sent_at", "id"),
)

application_drafts = Table(
    "application_drafts", metadata,
    Column("ags", String(8), primary_key=True),
    Column("call_id", String(36), primary_key=True),
    Column("body", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(36), nullable=False),
)

submitted_applications = Table(
    "submitted_applications", metadata,
    Column("ags", String(8), primary_key=True),
    Column("call_id", String(36), primary_key=True),
    Column("application_id", String(36), nullable=False, unique=True),
    Column("submitted_at", UtcDateTime(), nullable=False),
)

guest_registrations = Table(
    "guest_registrations", metadata,
    Column("registration_id", String(36), primary_key=True),
    Column("workshop_id", String(36), nullable=False),
    Column("manage_code", String(64), nullable=False),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("language", String(5), nullable=False, default="de", server_default="de"),  # the page's, at registration
    Index("ix_guest_registrations_watch", "status", "workshop_id"),
)

awaited_letters = Table(
    "awaited_letters", metadata,
    Column("application_id", String(36), primary_key=True),
    Column("kind", String(20), primary_key=True),          # selected | not_selected
    Column("call_id", String(36), nullable=False),
    Column("ags", String(8), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("noted_at", UtcDateTime(), nullable=True),       # when the portal heard of the decision
    Column("letter_id", String(36), nullable=True),         # publishing's notice id, once the letter was sent
    Column("told_at", UtcDateTime(), nullable=True),
    Index("ix_awaited_letters_open", "told_at", "decided_at"),
)
