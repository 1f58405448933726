"""Request and response schemas of the publishing API. Unknown fields are rejected (RAISE)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.publishing.domain import (
    MAX_ENQUIRY_FIELD,
    MAX_ENQUIRY_MESSAGE,
    MAX_SUBJECT_LENGTH,
    MAIL_LANGUAGES,
    MEMBER_KINDS,
    NEWSLETTER_STATUSES,
    NOTICE_KINDS,
    PUBLICATION_KINDS,
    PUBLICATION_STATUSES,
    SEGMENT_TYPES,
    TOKEN_PATTERN,
    EMAIL_PATTERN,
)
from shared.openapi import present, when
from shared.schemas import AGS, NOT_BLANK, STORABLE, FullMatch, OutSchema, StrictSchema, http_url
from shared.schemas import text as _text

NOTICE_STATUSES = ("pending_review", "approved", "queued", "sent", "failed", "discarded")


def _email(**kwargs):
    """An address, by the one rule the service keeps (domain.EMAIL_PATTERN), which the document states."""
    return fields.String(required=True, validate=[
        validate.Length(max=254), FullMatch(EMAIL_PATTERN, error="Please enter a valid e-mail address.")], **kwargs)


def _send_at(**kwargs):
    return fields.AwareDateTime(load_default=None, allow_none=True, error_messages={
        "invalid_awareness": "Give the send time with a time zone, e.g. 2030-06-15T09:00:00+02:00."}, **kwargs)


# --- publications --------------------------------------------------------------------------------
class LinkSchema(StrictSchema):
    title = _text(300)
    url = http_url()


class SectionSchema(StrictSchema):
    heading = _text(300, required=False, min_length=0, load_default="")
    text = _text(20_000, required=False, min_length=0, load_default="")
    items = fields.List(_text(2000), load_default=list, validate=validate.Length(max=100))
    links = fields.List(fields.Nested(LinkSchema), load_default=list, validate=validate.Length(max=50))


class TextOrSections(fields.Field):
    """A publication body: one block of plain text, or a list of structured sections."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if len(value) > 50_000:
                raise ValidationError("The body is limited to 50,000 characters.")
            return value
        if isinstance(value, list):
            if len(value) > 50:
                raise ValidationError("At most 50 sections.")
            return SectionSchema(many=True).load(value)
        raise ValidationError("Give the body as text or as a list of sections.")

    def openapi_schema(self, converter) -> dict:
        return {"oneOf": [
            {"type": "string", "maxLength": 50_000, "pattern": STORABLE},
            {"type": "array", "maxItems": 50, "items": converter.resolve_nested_schema(SectionSchema)}]}


class SolutionApproachInSchema(StrictSchema):
    title = _text(300)
    description = _text(5000, required=False, min_length=0, load_default="")
    field_of_action = _text(100, required=False, min_length=0, load_default="")


class PublicationUpdateSchema(StrictSchema):
    """A partial update of a draft; published results are final."""
    title = _text(300, required=False)
    summary = _text(5000, required=False, min_length=0)
    body = TextOrSections(metadata={"description": "Plain text, or a list of sections "
                                                   "{heading, text, items, links}."})
    solution_approaches = fields.List(fields.Nested(SolutionApproachInSchema), validate=validate.Length(max=50))
    topic = fields.String(allow_none=True, validate=validate.Length(max=200))


class PublicationSchema(OutSchema):
    id = fields.String()
    kind = fields.String(metadata={"enum": list(PUBLICATION_KINDS)})
    source_id = fields.String()
    status = fields.String(metadata={"enum": list(PUBLICATION_STATUSES)})
    title = fields.String()
    summary = fields.String()
    topic = fields.String(allow_none=True)
    solution_approaches = fields.List(fields.Dict())
    body = fields.List(fields.Dict())
    url = fields.String(metadata={"description": "The public results page of this publication."})
    created_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)


class PublicationQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(PUBLICATION_STATUSES))
    kind = fields.String(validate=validate.OneOf(PUBLICATION_KINDS))


# --- members and subscriptions -------------------------------------------------------------------
class MemberCreateSchema(StrictSchema):
    """A member municipality has its AGS (a partner may have one)."""
    OPENAPI = {"allOf": [when("kind", ["municipality"], [k for k in MEMBER_KINDS if k != "municipality"],
                              present("ags"))]}

    name = _text(200)
    kind = fields.String(required=True, validate=validate.OneOf(MEMBER_KINDS))
    ags = fields.String(load_default=None, allow_none=True, validate=AGS)
    email = _email(metadata={"x-personal-data": True})
    contact_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                 metadata={"x-personal-data": True})


class MemberSchema(OutSchema):
    id = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(MEMBER_KINDS)})
    ags = fields.String(allow_none=True)
    email = fields.String()
    contact_name = fields.String(allow_none=True)


class MemberQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(MEMBER_KINDS))


def _mail_language(description: str, **options) -> fields.String:
    return fields.String(validate=validate.OneOf(MAIL_LANGUAGES), metadata={"description": description}, **options)


class SubscriptionCreateSchema(StrictSchema):
    email = _email()
    topics = fields.List(_text(100), required=True, validate=validate.Length(min=1, max=20))
    language = _mail_language("The language of the subscriber's mails (the confirmation, the newsletters' frame): "
                              "the page's it was sent from. Without it a new subscriber reads German and a known "
                              "one keeps theirs; a known address subscribing again with it changes theirs.")


class TokenQuerySchema(Schema):
    # The pattern is checked where the link is read (domain.read_token, 422), so that a person's browser
    # gets the German page for an incomplete link too.
    token = fields.String(required=True, validate=validate.Length(max=2000), metadata={
        "pattern": TOKEN_PATTERN,
        "description": "The signed link's token (payload.signature); another form is refused with 422. A "
                       "forged, expired or another action's token is refused with 403."})


class SubscriberSchema(OutSchema):
    id = fields.String()
    email = fields.String()
    topics = fields.List(fields.String())
    status = fields.String(metadata={"enum": ["pending", "confirmed", "unsubscribed"]})
    created_at = fields.AwareDateTime()
    confirmed_at = fields.AwareDateTime(allow_none=True)
    unsubscribed_at = fields.AwareDateTime(allow_none=True)
    language = fields.String(metadata={"enum": list(MAIL_LANGUAGES), "description": "The language of their mails."})


class SubscriberQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "confirmed", "unsubscribed"]))


# --- newsletters ---------------------------------------------------------------------------------
class SegmentSchema(Schema):
    """Validated by the domain (`validate_segment`), which names the problem; here only the shape."""
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, metadata={"enum": list(SEGMENT_TYPES)})
    call_id = fields.String()
    workshop_id = fields.String()
    topic = fields.String()


# One line (no CR, LF), not blank, no NUL.
ONE_LINE_NOT_BLANK = NOT_BLANK.replace("[^\\u0000]*", "[^\\u0000\\r\\n]*")


class NewsletterCreateSchema(StrictSchema):
    subject = fields.String(required=True, validate=[
        validate.Length(min=1, max=MAX_SUBJECT_LENGTH),
        validate.Regexp(ONE_LINE_NOT_BLANK, error="The subject must not be empty, and is one line of text.")])
    intro = _text(20_000, required=False, min_length=0, load_default="")
    publication_ids = fields.List(fields.String(validate=validate.Length(max=100)), required=True,
                                  validate=[validate.Length(min=1, error="Choose at least one published result."),
                                            validate.Length(max=50)])
    segment = fields.Nested(SegmentSchema, required=True)
    send_at = _send_at(metadata={"description": "The planned send time; sending still needs POST .../send."})


class NewsletterSendSchema(StrictSchema):
    send_at = _send_at(metadata={"description": "Later (in the future); omitted: now."})


class NewsletterTestSchema(StrictSchema):
    email = _email()


class NewsletterQuerySchema(Schema):
    recipients = fields.Boolean(load_default=False)


class NewsletterListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(NEWSLETTER_STATUSES))


class NewsletterSchema(OutSchema):
    id = fields.String()
    subject = fields.String()
    intro = fields.String()
    publication_ids = fields.List(fields.String())
    segment = fields.Dict()
    segment_label = fields.String()
    status = fields.String(metadata={"enum": list(NEWSLETTER_STATUSES)})
    send_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    progress = fields.Dict(metadata={"description": "total, sent, failed, pending, sending, skipped"})
    recipients = fields.List(fields.Dict(), metadata={"description": "Per recipient, with ?recipients=true."})


class PreviewSchema(OutSchema):
    subject = fields.String()
    headers = fields.Dict()
    text = fields.String()
    html = fields.String()


class RecipientListSchema(OutSchema):
    count = fields.Integer()
    segment = fields.Dict()
    segment_label = fields.String()
    recipients = fields.List(fields.Dict())


class QueuedSchema(OutSchema):
    status = fields.String()
    message = fields.String(metadata={"description": "What to do now, for a person to read: in the language the "
                                                     "request names, German without one."})


class PageLanguageSchema(StrictSchema):
    lang = _mail_language("The page's language: `en` for English; German without it. The office's publications "
                          "stay as written (German).")


# --- notices -------------------------------------------------------------------------------------
class NoticeTemplateSchema(OutSchema):
    kind = fields.String(metadata={"enum": list(NOTICE_KINDS)})
    subject = fields.String()
    body = fields.String()
    is_default = fields.Boolean()
    updated_at = fields.AwareDateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)
    placeholders = fields.Dict(metadata={"description": "Placeholders ($name) and what they stand for."})


class NoticeTemplateUpdateSchema(StrictSchema):
    subject = _text(300)
    body = _text(20_000)


class NoticeSchema(OutSchema):
    id = fields.String()
    kind = fields.String(metadata={"enum": list(NOTICE_KINDS)})
    status = fields.String(metadata={"enum": list(NOTICE_STATUSES)})
    call_id = fields.String()
    application_id = fields.String()
    municipality = fields.Dict()
    may_attend_workshops = fields.Boolean(allow_none=True)
    subject = fields.String()
    text = fields.String(metadata={"description": "The letter; the salutation names the contact person "
                                                  "once the letter is written (after approval)."})
    recipient = fields.Dict(allow_none=True)
    created_at = fields.AwareDateTime()
    reviewed_at = fields.AwareDateTime(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class NoticeQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(NOTICE_STATUSES))
    call_id = fields.String()


# --- enquiries -----------------------------------------------------------------------------------
class EnquiryCreateSchema(StrictSchema):
    name = _text(MAX_ENQUIRY_FIELD)
    email = _email()
    organisation = _text(MAX_ENQUIRY_FIELD, required=False, min_length=0, load_default="")
    message = _text(MAX_ENQUIRY_MESSAGE)
    language = _mail_language("The language of the acknowledgement mailed to the sender: the page's the "
                              "enquiry was sent from; German without it.", load_default="de")


class EnquirySchema(OutSchema):
    id = fields.String()
    name = fields.String()
    email = fields.String()
    organisation = fields.String()
    message = fields.String()
    created_at = fields.AwareDateTime()

