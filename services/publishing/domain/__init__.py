"""Publishing domain: results publications, members and subscribers, newsletters, signed tokens,
enquiries and decision notices for "Netzwerk vor Ort".

The package is pure on purpose: standard library plus ``shared.errors`` only. The service layer loads and
stores these objects, consumes the events and talks to SMTP; everything that decides *what* is published,
*who* receives it and *whether* an action is allowed lives here, so it can be tested without a database,
a broker, a mail server or a web framework.

All value objects are frozen dataclasses; state changes (``edit``, ``publish``, ``schedule_send`` ...)
return a new object instead of mutating, so a handler can compare old and new state and a failed check
never leaves a half-changed object behind.

Timestamps are timezone-aware datetimes (UTC by convention). Identifiers are strings.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.publishing.domain.mails import (
    Mail,
)
from services.publishing.domain.newsletters import (
    MAX_SUBJECT_LENGTH,
    NEWSLETTER_FINISHED,
    NEWSLETTER_STATUSES,
    Delivery,
    Newsletter,
    _check_send_at,
    create_newsletter,
    mark_sent,
    newsletter_sent_payload,
    schedule_send,
    start_sending,
)
from services.publishing.domain.notices import (
    DEFAULT_NOTICE_TEMPLATES,
    DEFAULT_SENDER_NAME,
    MAX_ENQUIRY_FIELD,
    MAX_ENQUIRY_MESSAGE,
    NOTICE_KINDS,
    NOTICE_PLACEHOLDERS,
    DecidedCall,
    Enquiry,
    Notice,
    NoticeTemplate,
    create_enquiry,
    decision_notice,
    validate_notice_template,
    workshop_label,
)
from services.publishing.domain.publications import (
    EDITABLE_PUBLICATION_FIELDS,
    RESULTS_PATH,
    Link,
    Publication,
    Section,
    SolutionApproach,
    _coerce_approaches,
    _coerce_sections,
    _event_time,
    _selected_entries,
    _size_class_label,
    edit,
    publication_from_amendment,
    publication_from_selection,
    publication_from_workshop,
    publication_id,
    publication_tags,
    publication_text,
    publication_url,
    publish,
    results_page_url,
    results_published_payload,
)
from services.publishing.domain.subscriptions import (
    MAIL_LANGUAGES,
    MEMBER_KINDS,
    SEGMENT_TYPES,
    SUBSCRIBER_STATUSES,
    Member,
    Subscriber,
    confirm_subscription,
    describe_segment,
    resolve_recipients,
    subscribe,
    subscribe_again,
    unsubscribe,
    validate_segment,
)
from services.publishing.domain.tokens import (
    _TOKEN_KEY_CONTEXT,
    TOKEN_INCOMPLETE,
    TOKEN_PATTERN,
    TOKEN_PURPOSES,
    _b64decode,
    _b64encode,
    _token_signature,
    make_token,
    read_token,
    signed_address,
)
from services.publishing.domain.vocabulary import (
    _EMAIL_RE,
    EMAIL_PATTERN,
    _GERMAN_MONTHS,
    _NUMBER_WORDS_FEMININE,
    BERLIN,
    FIELD_OF_ACTION_LABELS,
    PARTICIPANT_TYPE_LABELS,
    PUBLICATION_KINDS,
    PUBLICATION_NAMESPACE,
    PUBLICATION_STATUSES,
    SIZE_CLASS_LABELS,
    _german_int,
    _parse_datetime,
    _require,
    _safe_url,
    _text,
    _utcnow,
    german_date,
    german_join,
    normalise_email,
)

# The names callers import from the package (mypy checks that only these are re-exported).
__all__ = [
    "Mail", "MAX_SUBJECT_LENGTH", "NEWSLETTER_FINISHED", "NEWSLETTER_STATUSES", "Delivery", "Newsletter",
    "_check_send_at",
    "create_newsletter", "mark_sent", "newsletter_sent_payload", "schedule_send", "start_sending",
    "DEFAULT_NOTICE_TEMPLATES", "DEFAULT_SENDER_NAME", "MAX_ENQUIRY_FIELD", "MAX_ENQUIRY_MESSAGE",
    "NOTICE_KINDS", "NOTICE_PLACEHOLDERS", "DecidedCall", "Enquiry", "Notice", "NoticeTemplate", "create_enquiry", "decision_notice",
    "validate_notice_template", "workshop_label", "EDITABLE_PUBLICATION_FIELDS", "RESULTS_PATH", "Link",
    "Publication", "Section", "SolutionApproach", "_coerce_approaches", "_coerce_sections", "_event_time",
    "_selected_entries", "_size_class_label", "edit", "publication_from_amendment",
    "publication_from_selection", "publication_from_workshop", "publication_id", "publication_tags",
    "publication_text", "publication_url", "publish", "results_page_url", "results_published_payload",
    "MAIL_LANGUAGES", "MEMBER_KINDS", "SEGMENT_TYPES", "SUBSCRIBER_STATUSES", "Member", "Subscriber", "confirm_subscription",
    "describe_segment", "resolve_recipients", "subscribe", "subscribe_again", "unsubscribe", "validate_segment",
    "_TOKEN_KEY_CONTEXT", "TOKEN_INCOMPLETE", "TOKEN_PATTERN", "TOKEN_PURPOSES", "_b64decode", "_b64encode",
    "_token_signature", "make_token", "read_token", "signed_address", "_EMAIL_RE", "EMAIL_PATTERN", "_GERMAN_MONTHS",
    "_NUMBER_WORDS_FEMININE", "BERLIN", "FIELD_OF_ACTION_LABELS", "PARTICIPANT_TYPE_LABELS",
    "PUBLICATION_KINDS", "PUBLICATION_NAMESPACE", "PUBLICATION_STATUSES", "SIZE_CLASS_LABELS", "_german_int",
    "_parse_datetime", "_require", "_safe_url", "_text", "_utcnow", "german_date", "german_join",
    "normalise_email",
]
