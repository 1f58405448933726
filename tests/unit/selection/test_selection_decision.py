"""The panel's decision: valid candidates, the fixed number of places, reasons for departures, a quorum."""
import pytest

from services.selection.domain import (
    Candidate,
    Criterion,
    Decision,
    Panel,
    PanelMember,
    Proposal,
    validate_decision,
)
from shared.errors import Conflict, InvalidInput

CANDIDATES = [
    Candidate("app-wassenberg", "smart-city-2018", "05370036", "Wassenberg", 18_500),
    Candidate("app-arnsberg", "smart-city-2018", "05958004", "Arnsberg", 74_200),
    Candidate("app-siegen", "smart-city-2018", "05970040", "Siegen", 102_000),
    Candidate("app-lemgo", "smart-city-2018", "05766044", "Lemgo", 40_700),
    Candidate("app-bocholt", "smart-city-2018", "05554008", "Bocholt", 71_000, status="withdrawn"),
]
PANEL = Panel(
    [PanelMember(f"m{i}", f"Member {i}", "Netzwerk Innenstadt NRW", f"m{i}@example.org") for i in range(1, 8)],
    [Criterion("concept", "Quality of the concept")],
)
PROPOSAL = Proposal(("app-arnsberg", "app-siegen", "app-wassenberg"), 12.0, 3, (), ())
RATIONALE = "One small town, one medium-sized town and one big city with convincing smart-city strategies."
PRESENT = ["m1", "m2", "m3", "m4", "m5"]


def decide(**overrides):
    arguments = dict(
        candidates=CANDIDATES, proposal=PROPOSAL, selected_ids=["app-wassenberg", "app-arnsberg", "app-siegen"],
        places=3, rationale=RATIONALE, deviation_reason=None, present_member_ids=PRESENT, panel=PANEL, quorum=4,
    )
    arguments.update(overrides)
    return validate_decision(**arguments)


def test_decision_following_the_proposal_needs_no_deviation_reason():
    decision = decide()
    assert isinstance(decision, Decision)
    assert decision.selected_ids == ("app-wassenberg", "app-arnsberg", "app-siegen")
    assert not decision.deviates_from_proposal
    assert decision.deviation_reason is None
    assert decision.proposed_ids == PROPOSAL.selected


def test_not_selected_submitted_candidates_are_listed_for_the_workshop_invitation():
    assert decide().not_selected_ids == ("app-lemgo",)


def test_departing_from_the_proposal_requires_a_written_reason():
    with pytest.raises(InvalidInput) as error:
        decide(selected_ids=["app-lemgo", "app-arnsberg", "app-siegen"], deviation_reason="  ")
    assert error.value.field == "deviation_reason"


def test_departing_from_the_proposal_with_a_reason_is_recorded():
    decision = decide(selected_ids=["app-lemgo", "app-arnsberg", "app-siegen"],
                      deviation_reason=" Wassenberg asked to be considered next year. ")
    assert decision.deviates_from_proposal
    assert decision.deviation_reason == "Wassenberg asked to be considered next year."


def test_unknown_application_cannot_be_selected():
    with pytest.raises(InvalidInput) as error:
        decide(selected_ids=["app-wassenberg", "app-arnsberg", "app-koeln"])
    assert error.value.field == "selected_ids[2]"


def test_withdrawn_application_cannot_be_selected():
    with pytest.raises(Conflict) as error:
        decide(selected_ids=["app-wassenberg", "app-bocholt", "app-siegen"], deviation_reason="Bocholt instead")
    assert error.value.field == "selected_ids[1]"


def test_same_application_cannot_be_selected_twice():
    with pytest.raises(InvalidInput) as error:
        decide(selected_ids=["app-wassenberg", "app-arnsberg", "app-arnsberg"])
    assert error.value.field == "selected_ids[2]"


def test_selecting_fewer_than_the_places_requires_a_deviation_reason():
    with pytest.raises(InvalidInput) as error:
        decide(selected_ids=["app-wassenberg", "app-arnsberg"])
    assert error.value.field == "selected_ids"
    decision = decide(selected_ids=["app-wassenberg", "app-arnsberg"],
                      deviation_reason="Siegen's concept is to be reworked first.")
    assert decision.selected_ids == ("app-wassenberg", "app-arnsberg")


def test_selecting_more_than_the_places_is_rejected_even_with_a_reason():
    with pytest.raises(InvalidInput) as error:
        decide(selected_ids=["app-wassenberg", "app-arnsberg", "app-siegen", "app-lemgo"],
               deviation_reason="four are so good")
    assert error.value.field == "selected_ids"


def test_decision_needs_a_rationale():
    with pytest.raises(InvalidInput) as error:
        decide(rationale="")
    assert error.value.field == "rationale"


def test_quorum_must_be_reached():
    with pytest.raises(InvalidInput) as error:
        decide(present_member_ids=["m1", "m2", "m3"])
    assert error.value.field == "present_member_ids"


def test_member_counted_twice_does_not_make_a_quorum():
    with pytest.raises(InvalidInput):
        decide(present_member_ids=["m1", "m2", "m3", "m3"])
    assert decide(present_member_ids=["m1", "m2", "m3", "m3", "m4"]).present_member_ids == ("m1", "m2", "m3", "m4")


def test_unknown_present_member_is_rejected():
    with pytest.raises(InvalidInput) as error:
        decide(present_member_ids=["m1", "m2", "m3", "m4", "guest"])
    assert error.value.field == "present_member_ids"


def test_proposal_naming_a_withdrawn_candidate_is_out_of_date():
    stale = Proposal(("app-bocholt", "app-siegen", "app-wassenberg"), 12.0, 3, (), ())
    with pytest.raises(Conflict) as error:
        decide(proposal=stale)
    assert error.value.field == "proposal"


@pytest.mark.parametrize("field, value", [("places", 0), ("quorum", 0)])
def test_places_and_quorum_are_positive(field, value):
    with pytest.raises(InvalidInput) as error:
        decide(**{field: value})
    assert error.value.field == field
