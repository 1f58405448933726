"""Newsletter validation and the scheduling state machine."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.publishing.domain import create_newsletter, mark_sent, schedule_send, start_sending
from shared.errors import Conflict, DomainError, InvalidInput

from .publishing_helpers import NOW


@pytest.fixture
def make(selection_pub, workshop_pub, draft_pub):
    def _make(**overrides):
        data = dict(
            subject="Neue Ergebnisse aus Netzwerk vor Ort",
            intro="hier sind die Ergebnisse der ersten Werkstatt.",
            publication_ids=[workshop_pub.id, selection_pub.id],
            segment={"type": "all_members"},
            publications=[selection_pub, workshop_pub, draft_pub],
            now=NOW,
        )
        data.update(overrides)
        return create_newsletter(**data)
    return _make


def test_valid_newsletter_is_a_draft(make, workshop_pub):
    newsletter = make()
    assert newsletter.status == "draft"
    assert newsletter.publication_ids[0] == workshop_pub.id


@pytest.mark.parametrize("subject", ["", "   ", "Zeile\nUmbruch", "x" * 201])
def test_bad_subject_is_rejected_with_the_field_named(make, subject):
    with pytest.raises(InvalidInput) as err:
        make(subject=subject)
    assert err.value.field == "subject"


def test_past_send_at_is_rejected_with_the_field_named(make):
    with pytest.raises(InvalidInput) as err:
        make(send_at=NOW - timedelta(minutes=1))
    assert err.value.field == "send_at"


def test_send_at_without_time_zone_is_rejected(make):
    with pytest.raises(InvalidInput) as err:
        make(send_at=(NOW + timedelta(days=1)).replace(tzinfo=None))
    assert err.value.field == "send_at"


def test_unknown_segment_is_rejected_with_the_field_named(make):
    with pytest.raises(InvalidInput) as err:
        make(segment={"type": "alle"})
    assert err.value.field == "segment"


@pytest.mark.parametrize("ids, status", [(["does-not-exist"], 404), ([], 422), ("draft", 409)])
def test_unknown_unpublished_or_no_publications_are_rejected(make, draft_pub, ids, status):
    with pytest.raises(DomainError) as err:
        make(publication_ids=[draft_pub.id] if ids == "draft" else ids)
    assert err.value.field == "publication_ids" and err.value.status == status


def test_schedule_without_time_sends_now(make):
    scheduled = schedule_send(make(), NOW)
    assert scheduled.status == "scheduled" and scheduled.send_at == NOW


def test_schedule_at_future_time_and_reschedule(make):
    scheduled = schedule_send(make(), NOW, NOW + timedelta(days=1))
    rescheduled = schedule_send(scheduled, NOW, NOW + timedelta(days=2))
    assert rescheduled.send_at == NOW + timedelta(days=2)


def test_schedule_in_the_past_is_rejected(make):
    with pytest.raises(InvalidInput) as err:
        schedule_send(make(), NOW, NOW - timedelta(seconds=1))
    assert err.value.field == "send_at"


def test_planned_time_that_has_passed_must_be_renewed(make):
    newsletter = make(send_at=NOW + timedelta(hours=1))
    with pytest.raises(InvalidInput):
        schedule_send(newsletter, NOW + timedelta(hours=2))


def test_scheduling_a_newsletter_that_is_sending_or_sent_is_a_conflict(make):
    sending = start_sending(schedule_send(make(), NOW), NOW)
    with pytest.raises(Conflict):
        schedule_send(sending, NOW)
    sent = mark_sent(sending, NOW)
    assert sent.status == "sent" and sent.sent_at == NOW
    with pytest.raises(Conflict):
        schedule_send(sent, NOW)


@pytest.mark.parametrize("progress, status", [
    ({"total": 30, "sent": 30, "failed": 0}, "sent"),
    ({"total": 30, "sent": 28, "failed": 0, "skipped": 2}, "sent"),
    ({"total": 30, "sent": 29, "failed": 1}, "partly_failed"),
    ({"total": 30, "sent": 0, "failed": 30}, "failed"),
])
def test_a_finished_newsletter_says_whether_its_deliveries_failed(make, progress, status):
    done = mark_sent(start_sending(schedule_send(make(), NOW), NOW), NOW, progress)
    assert done.status == status and done.sent_at == NOW
    with pytest.raises(Conflict):
        schedule_send(done, NOW)


def test_a_newsletter_with_deliveries_still_waiting_is_not_finished(make):
    with pytest.raises(Conflict):
        mark_sent(start_sending(schedule_send(make(), NOW), NOW), NOW, {"total": 2, "sent": 1, "pending": 1})

def test_sending_before_the_planned_time_is_a_conflict(make):
    scheduled = schedule_send(make(), NOW, NOW + timedelta(days=1))
    with pytest.raises(Conflict):
        start_sending(scheduled, NOW)
    with pytest.raises(Conflict):
        start_sending(make(), NOW)  # a draft was never scheduled
