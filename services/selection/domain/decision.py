"""The decision, and amendments: successors for places vacated after it."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from services.selection.domain.calls import CLOSED
from services.selection.domain.candidates import _SIZE_CLASS_NOUNS, _candidates_by_id, _is_whole_number, _towns
from services.selection.domain.panel import Panel
from services.selection.domain.ranking import _mean
from shared.errors import Conflict, InvalidInput
from shared.municipalities import SIZE_CLASSES

if TYPE_CHECKING:
    from services.selection.domain.candidates import Candidate
    from services.selection.domain.proposal import Proposal
    from services.selection.domain.ranking import BalanceRule, RankingEntry


# --------------------------------------------------------------------------------------------------------------
# Decision
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The panel's decision in its meeting: who gets a place, who does not, and the reasons on record.

    `not_selected_ids` are the remaining submitted candidates. They are invited to the selected towns'
    workshops.
    """

    selected_ids: tuple[str, ...]
    not_selected_ids: tuple[str, ...]
    places: int
    rationale: str
    deviation_reason: str | None
    deviates_from_proposal: bool
    proposed_ids: tuple[str, ...]
    present_member_ids: tuple[str, ...]


DECIDED_AT_TOLERANCE = timedelta(minutes=5)  # clocks of the office's laptops are not exact


def majority(members: int) -> int:
    return members // 2 + 1


def quorum_for(panel: Panel, configured: int | None) -> int:
    """The members who must be present for a decision: the quorum set with the panel, else a majority."""
    return configured or majority(len(panel.members))


def check_dated(decided_at: datetime, now: datetime, earliest: datetime | None, what: str, earliest_is: str) -> None:
    """A decision (or amendment) is not dated in the future, nor before `earliest` (InvalidInput `decided_at`)."""
    if decided_at > now + DECIDED_AT_TOLERANCE:
        raise InvalidInput(f"The {what} cannot be dated in the future.", "decided_at")
    if earliest is not None and decided_at < earliest:
        raise InvalidInput(f"The {what} cannot be dated before {earliest_is}.", "decided_at")


def may_decide(call_status: str, closed_at: datetime | None, already_decided: bool, panel: Panel | None,
               decided_at: datetime, now: datetime) -> Panel:
    """Whether the panel may record its decision now, and the panel that decides; else raise.

    - The steering group decides after the call has closed (Conflict), once: the decision is final (Conflict).
    - The steering group of the call has been set (Conflict `panel`).
    - The decision is dated neither in the future nor before the call closed (InvalidInput `decided_at`).
    """
    if call_status != CLOSED:
        raise Conflict("The call is still open; the steering group decides after it has closed.")
    if already_decided:
        raise Conflict("The decision for this call has already been recorded; it is final.")
    if panel is None:
        raise Conflict("The steering group of this call has not been set yet.", "panel")
    check_dated(decided_at, now, closed_at, "decision", "the call closed")
    return panel


def may_amend(decided: datetime | None, decided_at: datetime, now: datetime) -> datetime:
    """Whether a decision is there to amend (Conflict), and the amendment dated neither in the future nor
    before the decision (InvalidInput `decided_at`); returns when the decision was taken."""
    if decided is None:
        raise Conflict("No decision has been recorded for this call; there is nothing to amend.")
    check_dated(decided_at, now, decided, "amendment", "the decision")
    return decided


def _text(value: str | None) -> str | None:
    """Written text, or None when nothing (or only whitespace) was written."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def validate_decision(
    candidates: Iterable[Candidate],
    proposal: Proposal,
    selected_ids: Sequence[str],
    places: int,
    rationale: str,
    deviation_reason: str | None,
    present_member_ids: Sequence[str],
    panel: Panel,
    quorum: int,
) -> Decision:
    """Check the panel's decision and return it as a Decision, or raise.

    - Every selected id is a candidate (InvalidInput `selected_ids[i]`), is unique, and has not
      withdrawn (Conflict `selected_ids[i]`: its state changed).
    - Exactly `places` candidates are selected. Fewer are allowed only with a written deviation reason.
      More are never allowed, because the number of places is fixed by the call (`selected_ids`).
    - A selection that differs from the proposal as a set needs a written `deviation_reason`.
    - A proposal that names a candidate who has since withdrawn is out of date (Conflict `proposal`).
      Propose again.
    - A decision states its `rationale`.
    - At least `quorum` distinct panel members are present. An unknown id is InvalidInput
      `present_member_ids`.
    """
    by_id = _candidates_by_id(candidates)
    if not _is_whole_number(places) or places < 1:
        raise InvalidInput("places must be a whole number of at least 1", "places")
    if not _is_whole_number(quorum) or quorum < 1:
        raise InvalidInput("the quorum must be a whole number of at least 1", "quorum")

    _require_current_proposal(by_id, proposal)
    seen = _selected_set(by_id, selected_ids)

    reason = _text(deviation_reason)
    if len(seen) > places:
        raise InvalidInput(f"the call has {places} places; {len(seen)} were selected", "selected_ids")
    if len(seen) < places and reason is None:
        raise InvalidInput(
            f"the call has {places} places; selecting {len(seen)} needs a written deviation reason", "selected_ids"
        )
    deviates = seen != set(proposal.selected)
    if deviates and reason is None:
        raise InvalidInput("departing from the proposal needs a written reason", "deviation_reason")
    if _text(rationale) is None:
        raise InvalidInput("the decision needs a rationale", "rationale")

    present = _present_members(panel, present_member_ids, quorum)

    return Decision(
        selected_ids=tuple(selected_ids),
        not_selected_ids=tuple(
            c.application_id for c in by_id.values() if not c.is_withdrawn and c.application_id not in seen
        ),
        places=places,
        rationale=rationale.strip(),
        deviation_reason=reason,
        deviates_from_proposal=deviates,
        proposed_ids=proposal.selected,
        present_member_ids=present,
    )


def _require_current_proposal(by_id: Mapping[str, Candidate], proposal: Proposal) -> None:
    """A proposal that names a candidate who has since withdrawn is out of date (Conflict `proposal`)."""
    for application_id in proposal.selected:
        candidate = by_id.get(application_id)
        if candidate is None or candidate.is_withdrawn:
            raise Conflict(
                f"the proposal names {application_id!r}, which is no longer a candidate; propose again", "proposal"
            )


def _selected_set(by_id: Mapping[str, Candidate], selected_ids: Sequence[str]) -> set[str]:
    """The selected ids, each an application to this call that has not withdrawn, none twice."""
    seen: set[str] = set()
    for index, application_id in enumerate(selected_ids):
        candidate = by_id.get(application_id)
        if candidate is None:
            raise InvalidInput(f"{application_id!r} is not an application to this call", f"selected_ids[{index}]")
        if candidate.is_withdrawn:
            raise Conflict(f"{candidate.name} has withdrawn its application", f"selected_ids[{index}]")
        if application_id in seen:
            raise InvalidInput(f"{candidate.name} is selected twice", f"selected_ids[{index}]")
        seen.add(application_id)
    return seen


def _present_members(panel: Panel, present_member_ids: Sequence[str], quorum: int) -> tuple[str, ...]:
    """The distinct members present, each on the panel, at least `quorum` of them (InvalidInput otherwise)."""
    present: list[str] = []
    for member_id in present_member_ids:
        if panel.member(member_id) is None:
            raise InvalidInput(f"{member_id!r} is not a member of the steering group", "present_member_ids")
        if member_id not in present:
            present.append(member_id)
    if len(present) < quorum:
        raise InvalidInput(
            f"quorum not reached: {len(present)} members present, {quorum} required", "present_member_ids"
        )
    return tuple(present)


# --------------------------------------------------------------------------------------------------------------
# Amendment: a successor for a place that became vacant after the decision
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuccessorProposal:
    """Who should take a vacated place, and why.

    `eligible_ids` are the candidates the balance rule allows for this place, best first; `successor_id` is
    the first of them, or None when nobody is left (the place stays vacant).
    """

    vacated_id: str
    successor_id: str | None
    eligible_ids: tuple[str, ...]
    required_class: str | None
    reasoning: str


def vacancies(selected_ids: Sequence[str], candidates: Iterable[Candidate]) -> tuple[str, ...]:
    """The selected applications that have been withdrawn since the decision: their places are vacant."""
    withdrawn = {c.application_id for c in candidates if c.is_withdrawn}
    return tuple(application_id for application_id in selected_ids if application_id in withdrawn)


def propose_successor(
    ranking: Sequence[RankingEntry], selected_ids: Sequence[str], vacated_id: str, rule: BalanceRule
) -> SuccessorProposal:
    """The successor for one vacated place, under the balance rule the decision was taken under.

    The places that stay filled are the selected ones other than the vacated one. If they leave a class
    below its minimum, and a scored candidate of that class is still available, the successor must come
    from such a class (the same relaxation as in `propose`: a class without available candidates is not
    required). Otherwise any class below its maximum may take the place. Among the eligible candidates
    the best by weighted mean, then ranking position, is proposed: the same order as the proposal.
    """
    kept = {application_id for application_id in selected_ids if application_id != vacated_id}
    scored = sorted((e for e in ranking if e.is_scored), key=lambda e: (-_mean(e), e.position))
    per_class = Counter(e.size_class for e in scored if e.application_id in kept)
    available = [e for e in scored if e.application_id not in kept and e.application_id != vacated_id]
    available_classes = {e.size_class for e in available}
    short = [c for c in SIZE_CLASSES if per_class[c] < rule.minimum_for(c) and c in available_classes]
    if short:
        eligible = [e for e in available if e.size_class in short]
        required = eligible[0].size_class
        because = f"the balance rule requires at least {_towns(required, rule.minimum_for(required))}"
    else:
        eligible = [e for e in available
                    if (maximum := rule.maximum_for(e.size_class)) is None or per_class[e.size_class] < maximum]
        required = None
        because = "no class is below its minimum; the best candidate of a class below its maximum"
    if not eligible:
        return SuccessorProposal(vacated_id, None, (), None,
                                 "No scored candidate is left whom the balance rule allows; the place stays vacant.")
    best = eligible[0]
    return SuccessorProposal(vacated_id, best.application_id, tuple(e.application_id for e in eligible), required,
                             f"{best.name} (#{best.position}) is proposed: {because}.")


@dataclass(frozen=True)
class Amendment:
    vacated_id: str
    successor_id: str
    proposed_successor_id: str | None
    deviates_from_proposal: bool
    rationale: str
    deviation_reason: str | None
    present_member_ids: tuple[str, ...]
    selected_ids: tuple[str, ...]  # the decision's selection after the amendment, in its original order


def validate_amendment(
    candidates: Iterable[Candidate],
    selected_ids: Sequence[str],
    proposal: SuccessorProposal,
    successor_id: str,
    rationale: str,
    deviation_reason: str | None,
    present_member_ids: Sequence[str],
    panel: Panel,
    quorum: int,
) -> Amendment:
    """Check the panel's choice of a successor for a vacated place, or raise.

    - The vacated application was selected and has withdrawn (Conflict `vacated_application_id`).
    - The successor is a candidate of the call (InvalidInput), has not withdrawn (Conflict), is not selected
      already (InvalidInput), and keeps the balance rule (InvalidInput `successor_application_id`).
    - Another than the proposed successor needs a written `deviation_reason`; a `rationale` is required;
      the quorum is present, as for the decision.
    """
    by_id = _candidates_by_id(candidates)
    if proposal.vacated_id not in selected_ids or proposal.vacated_id not in vacancies(selected_ids, by_id.values()):
        raise Conflict("this application holds no vacated place (it was not selected, or has not withdrawn)",
                       "vacated_application_id")
    candidate = by_id.get(successor_id)
    if candidate is None:
        raise InvalidInput(f"{successor_id!r} is not an application to this call", "successor_application_id")
    if candidate.is_withdrawn:
        raise Conflict(f"{candidate.name} has withdrawn its application", "successor_application_id")
    if successor_id in selected_ids:
        raise InvalidInput(f"{candidate.name} is selected already", "successor_application_id")
    if successor_id not in proposal.eligible_ids:
        if proposal.required_class and candidate.size_class != proposal.required_class:
            why = f"the balance rule requires a {_SIZE_CLASS_NOUNS[proposal.required_class][0]} for this place"
        else:
            why = "the balance rule does not allow it (its class is full, or it has no counted review)"
        raise InvalidInput(f"{candidate.name} cannot take this place: {why}", "successor_application_id")
    reason = _text(deviation_reason)
    deviates = successor_id != proposal.successor_id
    if deviates and reason is None:
        raise InvalidInput("choosing another than the proposed successor needs a written reason", "deviation_reason")
    if _text(rationale) is None:
        raise InvalidInput("the amendment needs a rationale", "rationale")
    present = _present_members(panel, present_member_ids, quorum)
    return Amendment(
        vacated_id=proposal.vacated_id, successor_id=successor_id, proposed_successor_id=proposal.successor_id,
        deviates_from_proposal=deviates, rationale=rationale.strip(), deviation_reason=reason,
        present_member_ids=present,
        selected_ids=tuple(successor_id if a == proposal.vacated_id else a for a in selected_ids),
    )


# --------------------------------------------------------------------------------------------------------------
# On record: the decision as it stands, and its amendments
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Resolution:
    """What every resolution of the steering group has on record: whether it departs from what was proposed
    and why, when it was taken, who was present (and the quorum then), and who recorded it when."""

    call_id: str
    deviates_from_proposal: bool
    rationale: str
    deviation_reason: str | None
    decided_at: datetime
    present_member_ids: tuple[str, ...]
    quorum: int
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True, kw_only=True)
class RecordedDecision(_Resolution):
    """The decision on record as it stands: `selected` and `not_selected` change with each amendment
    (`amended`); `ranking` is the ranking summary as it stood when the panel decided."""

    selected: tuple[str, ...]
    not_selected: tuple[str, ...]
    proposed: tuple[str, ...]
    ranking: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, decision: Decision, *, call_id: str, decided_at: datetime, quorum: int,
           ranking: Sequence[Mapping[str, Any]], recorded_at: datetime, recorded_by: str) -> RecordedDecision:
        return cls(call_id=call_id, selected=decision.selected_ids, not_selected=decision.not_selected_ids,
                   proposed=decision.proposed_ids, deviates_from_proposal=decision.deviates_from_proposal,
                   rationale=decision.rationale, deviation_reason=decision.deviation_reason, decided_at=decided_at,
                   present_member_ids=decision.present_member_ids, quorum=quorum, ranking=tuple(ranking),
                   recorded_at=recorded_at, recorded_by=recorded_by)

    def amended(self, amendment: Amendment) -> RecordedDecision:
        """The decision after the successor took the vacated place (it is no longer among the not selected)."""
        return replace(self, selected=amendment.selected_ids,
                       not_selected=tuple(a for a in self.not_selected if a != amendment.successor_id))


@dataclass(frozen=True, kw_only=True)
class RecordedAmendment(_Resolution):
    """An amendment on record: which vacated place went to which successor (and whom the rule proposed)."""

    id: str
    vacated_application_id: str
    successor_application_id: str
    proposed_successor_id: str | None

    @classmethod
    def of(cls, amendment: Amendment, *, id: str, call_id: str, decided_at: datetime, quorum: int,
           recorded_at: datetime, recorded_by: str) -> RecordedAmendment:
        return cls(id=id, call_id=call_id, vacated_application_id=amendment.vacated_id,
                   successor_application_id=amendment.successor_id,
                   proposed_successor_id=amendment.proposed_successor_id,
                   deviates_from_proposal=amendment.deviates_from_proposal, rationale=amendment.rationale,
                   deviation_reason=amendment.deviation_reason, decided_at=decided_at,
                   present_member_ids=amendment.present_member_ids, quorum=quorum, recorded_at=recorded_at,
                   recorded_by=recorded_by)
