"""The admin's webhooks pages (German): every endpoint with its organisation and status, its delivery log,
replaying a delivery with the same webhook-id, pausing; the webhooks worker's consumer lag on the
operations page. Against the whole platform as real processes and a real receiver."""
from __future__ import annotations

import re

import pytest

from admin_support import AdminSession, staff_session
from shared.events.catalogue import topic_for
from shared.kafka import make_producer
from support import bearer, eventually
from webhooks_support import Receiver, flow_2018

pytestmark = pytest.mark.integration


@pytest.fixture
def staff_admin(platform) -> AdminSession:
    return staff_session(platform)


def test_the_office_sees_an_endpoint_and_its_deliveries_replays_one_and_pauses_it(platform, kafka_bootstrap,
                                                                                  staff_admin):
    import requests

    receiver = Receiver().start()
    try:
        answer = requests.post(f"{platform.url('webhooks')}/v1/endpoints", headers=bearer("partner", "ihk-siegen"),
                               json={"url": receiver.url, "event_types": ["CallOpened"],
                                     "contact_email": "it@ihk-siegen.example", "description": "CRM der Kammer"},
                               timeout=30)
        assert answer.status_code == 201, answer.text
        endpoint = answer.json()
        receiver.secrets = [endpoint["secret"]]
        event = flow_2018()[0]
        producer = make_producer(kafka_bootstrap, "test-admin-webhooks")
        producer.send(topic_for(event.type), key=event.key(), value=event.value(), headers=event.headers()).get(30)
        producer.close()
        eventually(lambda: any(r.event["id"] == event.id for r in receiver.received), timeout=90,
                   message="the delivery at the receiver")
        [first] = [r for r in receiver.received if r.event["id"] == event.id]
        assert first.verified

        listing = staff_admin.get("/webhooks").text
        assert receiver.url in listing and "Partnerorganisation: ihk-siegen" in listing
        assert "CRM der Kammer" in listing and ">aktiv</span>" in listing
        path = f"/webhooks/{endpoint['id']}"

        def delivered():
            page = staff_admin.get(path).text
            return page if first.webhook_id in page and ">zugestellt</span>" in page else None

        page = eventually(delivered, timeout=60, message="the delivery in the admin's log")
        assert "Zustellungen" in page and "CallOpened" in page

        replay = f"{path}/deliveries/{first.webhook_id}/replay"
        assert staff_admin.post(replay, token_from=path).status_code == 302
        eventually(lambda: [r.webhook_id for r in receiver.received].count(first.webhook_id) == 2, timeout=60,
                   message="the replay with the same webhook-id")

        assert staff_admin.post(f"{path}/pause", token_from=path).status_code == 302
        state = requests.get(f"{platform.url('webhooks')}/v1/endpoints/{endpoint['id']}",
                             headers=bearer("partner", "ihk-siegen"), timeout=30).json()
        assert state["status"] == "paused"
        assert ">angehalten</span>" in staff_admin.get(path).text
    finally:
        receiver.stop()

    operations = staff_admin.get("/operations").text
    suffix = platform.env["VORORT_CONSUMER_GROUP_SUFFIX"]
    assert re.search(rf"webhooks\.fanout{re.escape(suffix)}<br><span class=\"hint\">Rückstand gesamt \d+</span>",
                     operations)
    assert "<th scope=\"row\">Webhooks</th>" in operations
