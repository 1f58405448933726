"""Segments, subscribers and who receives a newsletter."""
from __future__ import annotations

import pytest

from services.publishing.domain import (
    confirm_subscription,
    describe_segment,
    resolve_recipients,
    subscribe,
    subscribe_again,
    unsubscribe,
    validate_segment,
)
from shared.errors import Conflict, InvalidInput

from .publishing_helpers import ARNSBERG, HAMM, NOW, SIEGEN, WASSENBERG

SELECTED = {"call-smart-city-2018": [WASSENBERG, ARNSBERG, SIEGEN]}
PARTICIPANTS = {"ws-wassenberg-1": ["Stadt Wassenberg", "ihk nrw", HAMM, "Stadtwerke Wassenberg"]}


def resolve(segment, members, subscribers):
    return resolve_recipients(segment, members, subscribers, SELECTED, PARTICIPANTS)


def test_all_members_resolve_deduplicated_case_insensitively_and_sorted(members, subscribers):
    recipients = resolve({"type": "all_members"}, members, subscribers)
    emails = [email.casefold() for email, _ in recipients]
    assert len(emails) == len(set(emails)) == 5
    assert emails == sorted(emails)
    # The duplicate keeps the name of the entry that has a contact person.
    assert ("erika.musterfrau@wassenberg.example", "Erika Musterfrau") in recipients
    assert "confirmed@example.org" not in emails  # subscribers are not members


def test_member_without_contact_person_is_addressed_by_organisation_name(members, subscribers):
    assert ("innenstadt@arnsberg.example", "Stadt Arnsberg") in resolve({"type": "all_members"}, members, subscribers)


def test_selected_municipalities_segment_reaches_only_the_selected(members, subscribers):
    recipients = resolve({"type": "selected_municipalities", "call_id": "call-smart-city-2018"}, members, subscribers)
    assert [email for email, _ in recipients] == [
        "erika.musterfrau@wassenberg.example", "innenstadt@arnsberg.example", "max.beispiel@siegen.example",
    ]


def test_workshop_participants_match_member_name_id_or_ags(members, subscribers):
    recipients = resolve({"type": "workshop_participants", "workshop_id": "ws-wassenberg-1"}, members, subscribers)
    assert {email for email, _ in recipients} == {
        "erika.musterfrau@wassenberg.example", "kontakt@ihk-nrw.example", "lena.probe@hamm.example",
    }


def test_call_without_selection_resolves_to_nobody(members, subscribers):
    assert resolve({"type": "selected_municipalities", "call_id": "unknown"}, members, subscribers) == []


def test_unconfirmed_and_unsubscribed_subscribers_get_nothing(members, subscribers):
    recipients = resolve({"type": "subscribers", "topic": "Smart City"}, members, subscribers)
    # Only the confirmed subscriber (registered twice with different case) remains, once.
    assert [email.casefold() for email, _ in recipients] == ["confirmed@example.org"]


def test_subscribers_of_other_topics_get_nothing(members, subscribers):
    assert resolve({"type": "subscribers", "topic": "Mobilität"}, members, subscribers) == []


@pytest.mark.parametrize("segment", [
    {"type": "everyone"},
    {},
    "all_members",
    {"type": "selected_municipalities"},
    {"type": "workshop_participants", "workshop_id": "  "},
    {"type": "subscribers", "topic": "Smart City", "call_id": "x"},
])
def test_invalid_segments_are_rejected_with_the_field_named(segment):
    with pytest.raises(InvalidInput) as err:
        validate_segment(segment)
    assert err.value.field == "segment"


def test_valid_segment_is_returned_clean_and_described_in_german():
    assert validate_segment({"type": "subscribers", "topic": " Smart City "}) == {"type": "subscribers", "topic": "Smart City"}
    assert describe_segment({"type": "all_members"}) == "Alle Mitglieder"


def test_subscription_needs_confirmation_and_confirming_twice_is_harmless():
    sub = subscribe("neu@Example.org", ["Smart City"], NOW)
    assert sub.status == "pending" and sub.email == "neu@example.org"
    confirmed = confirm_subscription(sub, NOW)
    assert confirmed.status == "confirmed" and confirm_subscription(confirmed, NOW) == confirmed


def test_cancelled_subscription_cannot_be_confirmed_with_an_old_link():
    cancelled = unsubscribe(subscribe("neu@example.org", ["Smart City"], NOW), NOW)
    assert unsubscribe(cancelled, NOW) == cancelled
    with pytest.raises(Conflict):
        confirm_subscription(cancelled, NOW)


@pytest.mark.parametrize("email, topics, field", [
    ("kein-at-zeichen", ["Smart City"], "email"),
    ("neu@example.org", [], "topics"),
])
def test_invalid_subscriptions_are_rejected(email, topics, field):
    with pytest.raises(InvalidInput) as err:
        subscribe(email, topics, NOW)
    assert err.value.field == field


def test_blank_organisation_entries_match_no_member_without_ags(members, subscribers):
    recipients = resolve_recipients({"type": "workshop_participants", "workshop_id": "w"}, members, subscribers,
                                    {}, {"w": ["", "  "]})
    assert recipients == []


def test_a_confirmed_subscriber_asking_for_more_topics_confirms_only_the_new_ones_by_mail():
    confirmed = confirm_subscription(subscribe("neu@example.org", ["Smart City"], NOW), NOW)
    asked, to_confirm = subscribe_again(confirmed, subscribe("neu@example.org", ["smart city", "Handel"], NOW))
    assert to_confirm == ("Handel",)
    assert asked.topics == ("Smart City",) and asked.pending_topics == ("Handel",) and asked.status == "confirmed"
    unchanged, nothing = subscribe_again(asked, subscribe("neu@example.org", ["SMART CITY"], NOW))
    assert nothing == () and unchanged == asked
    later = NOW.replace(hour=12)
    both = confirm_subscription(asked, later)
    assert both.topics == ("Smart City", "Handel") and both.pending_topics == ()
    assert both.confirmed_at == NOW  # confirmed once, when the address was first confirmed


def test_a_pending_or_unsubscribed_address_asking_again_starts_a_fresh_double_opt_in():
    pending = subscribe("neu@example.org", ["Smart City"], NOW)
    again, to_confirm = subscribe_again(pending, subscribe("neu@example.org", ["Handel"], NOW))
    assert again.status == "pending" and to_confirm == again.topics == ("Smart City", "Handel")
    asked, _ = subscribe_again(confirm_subscription(pending, NOW), subscribe("neu@example.org", ["Handel"], NOW))
    cancelled = unsubscribe(asked, NOW)
    assert cancelled.pending_topics == ()  # a cancelled subscription confirms nothing later
    fresh, to_confirm = subscribe_again(cancelled, subscribe("neu@example.org", ["Verkehr"], NOW))
    assert fresh.status == "pending" and fresh.unsubscribed_at is None and to_confirm == fresh.topics == ("Verkehr",)
