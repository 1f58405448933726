"""Request and response schemas of the selection API. Unknown fields are rejected (RAISE).

Scores are taken as they come (`{criterion key: value}`) and checked by the domain against the panel's
criteria, so that an error names the criterion: `scores.innovation`.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.keyset import Cursor
from shared.municipalities import SIZE_CLASSES
from shared.schemas import OutSchema, StrictSchema
from shared.schemas import text as _text

MEMBER_ID = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$",
                            error="A member id is 1 to 100 letters, digits and . _ : @ - (used in URLs and tokens).")
CRITERION_KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,49}$",
                                error="A criterion key is lower case letters, digits and underscores.")


# --- calls and candidates ------------------------------------------------------------------------
class CallSchema(OutSchema):
    id = fields.String()
    title = fields.String()
    topic = fields.String()
    places = fields.Integer()
    workshops_per_place = fields.Integer()
    status = fields.String(metadata={"enum": ["open", "closed"]})
    opens_at = fields.AwareDateTime(allow_none=True)
    closes_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    candidates = fields.Integer(metadata={"description": "Live (not withdrawn) candidates."})
    panel_set = fields.Boolean()
    reviews_open = fields.Boolean(metadata={"description": "True from CallClosed until the decision."})
    decided = fields.Boolean()


class CallQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))


class CandidateQuerySchema(Schema):
    size_class = fields.String(validate=validate.OneOf(SIZE_CLASSES))
    after = Cursor()


class ReviewProgressSchema(OutSchema):
    expected = fields.Integer(metadata={"description": "Panel members without a conflict for this candidate."})
    reviewed = fields.Integer(metadata={"description": "Scored reviews that count."})
    abstained = fields.Integer()
    conflicts = fields.Integer()
    missing_member_ids = fields.List(fields.String())
    complete = fields.Boolean()


class CandidateSchema(OutSchema):
    application_id = fields.String()
    call_id = fields.String()
    municipality = fields.Dict(metadata={"description": "ags, name, population"})
    size_class = fields.String(metadata={"enum": list(SIZE_CLASSES)})
    focus_areas = fields.List(fields.String())
    statement = fields.String()
    partners = fields.List(fields.String())
    submitted_at = fields.AwareDateTime(allow_none=True)
    review_progress = fields.Nested(ReviewProgressSchema)


# --- panel, criteria, balance rule ---------------------------------------------------------------
class MemberSchema(StrictSchema):
    id = fields.String(required=True, validate=MEMBER_ID)
    name = _text(200)
    institution = _text(200)
    email = fields.Email(required=True, validate=validate.Length(max=254), metadata={"x-personal-data": True})
    role = fields.String(load_default="member", validate=validate.OneOf(["chair", "member"]))


class CriterionSchema(StrictSchema):
    key = fields.String(required=True, validate=CRITERION_KEY)
    label = _text(200)
    weight = fields.Float(load_default=1.0, allow_nan=False,
                          validate=validate.Range(min=0, max=100, min_inclusive=False),
                          metadata={"exclusiveMinimum": True})  # OpenAPI 3.0 spells "greater than 0" so


class PanelPutSchema(StrictSchema):
    """The quorum is at most the number of members (`x-not-more-than-items`); member ids and criterion keys are
    unique (`x-unique-by`)."""
    OPENAPI = {"x-not-more-than-items": {"quorum": "members"}, "x-unique-by": {"members": "id", "criteria": "key"}}

    members = fields.List(fields.Nested(MemberSchema), required=True, validate=validate.Length(min=1, max=50))
    criteria = fields.List(fields.Nested(CriterionSchema), validate=validate.Length(min=1, max=30),
                           metadata={"description": "Omit for the default criteria of strategy calls."})
    quorum = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1),
                            metadata={"description": "Members present for a decision; default: a majority."})


class MemberOutSchema(OutSchema):
    id = fields.String()
    name = fields.String()
    institution = fields.String()
    email = fields.String(allow_none=True, metadata={"x-personal-data": True,
                                                     "description": "Shown to the office only."})
    role = fields.String()


class CriterionOutSchema(OutSchema):
    key = fields.String()
    label = fields.String()
    weight = fields.Float()


class PanelSchema(OutSchema):
    call_id = fields.String()
    members = fields.List(fields.Nested(MemberOutSchema))
    criteria = fields.List(fields.Nested(CriterionOutSchema))
    quorum = fields.Integer()
    quorum_is_default = fields.Boolean()
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()


class CriteriaDefaultsSchema(OutSchema):
    criteria = fields.List(fields.Nested(CriterionOutSchema))
    scale = fields.Dict()


class ClassBoundsSchema(StrictSchema):
    rural = fields.Integer(strict=True, validate=validate.Range(min=0, max=50))
    small = fields.Integer(strict=True, validate=validate.Range(min=0, max=50))
    medium = fields.Integer(strict=True, validate=validate.Range(min=0, max=50))
    large = fields.Integer(strict=True, validate=validate.Range(min=0, max=50))


class BalanceRulePutSchema(StrictSchema):
    """`{}` or empty bounds mean no balance rule: the proposal is the top of the ranking. A class's maximum is
    at least its minimum (`x-not-below`)."""
    OPENAPI = {"x-not-below": {"maximum": "minimum"}}

    minimum = fields.Nested(ClassBoundsSchema, load_default=dict)
    maximum = fields.Nested(ClassBoundsSchema, load_default=dict)


class BalanceRuleSchema(OutSchema):
    call_id = fields.String()
    minimum = fields.Dict()
    maximum = fields.Dict()
    is_default = fields.Boolean(metadata={"description": "True while the call uses the smart-city default."})
    updated_at = fields.AwareDateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


# --- conflicts and reviews -----------------------------------------------------------------------
class ConflictPostSchema(StrictSchema):
    reason = _text(2000)


class ConflictSchema(OutSchema):
    call_id = fields.String()
    application_id = fields.String()
    member_id = fields.String()
    reason = fields.String()
    declared_at = fields.AwareDateTime()
    declared_by = fields.String()


class ReviewPutSchema(StrictSchema):
    scores = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=None, allow_none=True,
                         metadata={"description": "{criterion key: whole number 0..5} for every criterion."})
    comment = _text(5000, required=False, min_length=0, load_default="")
    abstain = fields.Boolean(load_default=False, metadata={"description": "An explicit abstention: no scores."})


class ReviewSchema(OutSchema):
    call_id = fields.String()
    application_id = fields.String()
    member_id = fields.String()
    scores = fields.Dict(allow_none=True)
    comment = fields.String()
    abstained = fields.Boolean()
    weighted_score = fields.Float(allow_none=True)
    counts = fields.Boolean(metadata={"description": "False when the member has a conflict for this candidate."})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()


class ReviewQuerySchema(Schema):
    application_id = fields.String()
    member_id = fields.String()


# --- ranking, proposal, decision, audit ----------------------------------------------------------
class RankingEntrySchema(OutSchema):
    rank = fields.Integer()
    application_id = fields.String()
    ags = fields.String()
    name = fields.String()
    size_class = fields.String()
    weighted_mean = fields.Float(allow_none=True)
    reviews = fields.Integer()
    abstentions = fields.Integer()
    spread = fields.Float(allow_none=True)
    std_dev = fields.Float(allow_none=True)
    conflicts = fields.List(fields.String(), metadata={"description": "Members excluded for a conflict."})


class RankingSchema(OutSchema):
    call_id = fields.String()
    criteria = fields.List(fields.Nested(CriterionOutSchema))
    tie_break = fields.List(fields.String())
    entries = fields.List(fields.Nested(RankingEntrySchema))


class ProposalSchema(OutSchema):
    call_id = fields.String()
    places = fields.Integer()
    balance_rule = fields.Nested(BalanceRuleSchema)
    selected = fields.List(fields.Nested(RankingEntrySchema))
    total_score = fields.Float()
    relaxed = fields.List(fields.Dict())
    reasoning = fields.List(fields.Dict())


class _ResolutionSchema(StrictSchema):
    """What every resolution of the steering group states: why, when, who was present, and why it departs
    from what was proposed (if it does)."""
    rationale = _text(10_000)
    decided_at = fields.AwareDateTime(required=True)
    present_member_ids = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                                     validate=validate.Length(max=50))
    deviation_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10_000),
                                     metadata={"description": "Required when departing from the proposal (or, "
                                                              "for a decision, selecting fewer than the places)."})


class DecisionPostSchema(_ResolutionSchema):
    selected = fields.List(fields.String(validate=validate.Length(min=1, max=36)), required=True,
                           validate=validate.Length(max=50))


class DecisionSchema(OutSchema):
    call_id = fields.String()
    selected = fields.List(fields.String())
    not_selected = fields.List(fields.String())
    proposed = fields.List(fields.String())
    deviates_from_proposal = fields.Boolean()
    rationale = fields.String()
    deviation_reason = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime()
    present_member_ids = fields.List(fields.String())
    quorum = fields.Integer()
    ranking = fields.List(fields.Dict())
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.String()
    vacated = fields.List(fields.String(), metadata={
        "description": "Selected applications withdrawn since the decision: their places await a successor."})


class AmendmentPostSchema(_ResolutionSchema):
    """`decided_at`: not before the decision, not in the future."""
    vacated_application_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    successor_application_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class AmendmentSchema(OutSchema):
    id = fields.String()
    call_id = fields.String()
    vacated_application_id = fields.String()
    successor_application_id = fields.String()
    proposed_successor_id = fields.String(allow_none=True)
    deviates_from_proposal = fields.Boolean()
    rationale = fields.String()
    deviation_reason = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime()
    present_member_ids = fields.List(fields.String())
    quorum = fields.Integer()
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.String()


class CandidateLineSchema(OutSchema):
    application_id = fields.String()
    name = fields.String()
    size_class = fields.String(metadata={"enum": list(SIZE_CLASSES)})
    rank = fields.Integer(allow_none=True)
    weighted_mean = fields.Float(allow_none=True)


class VacancySchema(OutSchema):
    vacated = fields.Nested(CandidateLineSchema)
    proposed_successor = fields.Nested(CandidateLineSchema, allow_none=True, metadata={
        "description": "None when nobody is left whom the balance rule allows: the place stays vacant."})
    eligible = fields.List(fields.Nested(CandidateLineSchema), metadata={
        "description": "Every candidate the balance rule allows for this place, best first."})
    required_size_class = fields.String(allow_none=True)
    reasoning = fields.String()


class AuditEntrySchema(OutSchema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.String()
    action = fields.String(metadata={"enum": ["panel.set", "panel.changed", "balance_rule.set", "conflict.declared",
                                              "review.written", "review.changed", "decision.recorded",
                                              "decision.place_vacated", "decision.amended"]})
    application_id = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    details = fields.Dict()
