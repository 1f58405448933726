"""Use cases of the webhooks service: command -> unit of work -> domain -> commit.

Endpoint changes are the partners' own; each command carries the caller's role and organisation, and an
endpoint of another organisation does not exist for the caller (404). The URL has been checked against
the egress policy by the API before a command is made (it needs DNS, which is no business of a handler).
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.webhooks.domain import Delivery, Endpoint, Owner, may_see, require_manager
from services.webhooks.signing import ed25519_keypair
from shared.actors import actor_key
from shared.errors import NotFound


@dataclass(frozen=True)
class Actor:
    role: str
    organisation: str
    subject: str


@dataclass(frozen=True)
class RegisterEndpoint:
    actor: Actor
    url: str
    event_types: list
    contact_email: str
    description: str = ""
    asymmetric_signature: bool = False


@dataclass(frozen=True)
class ChangeEndpoint:
    actor: Actor
    endpoint_id: str
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PauseEndpoint:
    actor: Actor
    endpoint_id: str


@dataclass(frozen=True)
class ResumeEndpoint:
    actor: Actor
    endpoint_id: str


@dataclass(frozen=True)
class DeleteEndpoint:
    actor: Actor
    endpoint_id: str


@dataclass(frozen=True)
class RotateSecret:
    actor: Actor
    endpoint_id: str
    overlap: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class ReplayDelivery:
    actor: Actor
    endpoint_id: str
    delivery_id: str


@dataclass(frozen=True)
class ReplayFailed:
    actor: Actor
    endpoint_id: str
    since: datetime


@dataclass(frozen=True)
class FanOut:
    """A public event to deliver to every endpoint that subscribed to its type and may see it; `body` is
    the event as it travelled on Kafka (a structured CloudEvent, which carries no personal data)."""
    event_id: str
    event_type: str
    data: dict
    body: str


def _endpoint(uow, actor: Actor, endpoint_id: str) -> Endpoint:
    return require_manager(uow.endpoints.get(endpoint_id, for_update=True), actor.role, actor.organisation)


def register_endpoint(command: RegisterEndpoint, uow, clock) -> tuple[Endpoint, str]:
    actor = command.actor
    endpoint = Endpoint.register(
        owner=Owner(actor.role, actor.organisation), url=command.url, description=command.description,
        event_types=command.event_types, contact_email=command.contact_email,
        asymmetric=command.asymmetric_signature, created_by=actor_key(actor.role, actor.subject), now=clock(),
        keypair=ed25519_keypair)
    uow.endpoints.add(endpoint)
    uow.commit()
    return endpoint, endpoint.secret


def change_endpoint(command: ChangeEndpoint, uow, clock) -> Endpoint:
    endpoint = _endpoint(uow, command.actor, command.endpoint_id)
    endpoint.change(command.changes, clock())
    uow.commit()
    return endpoint


def pause_endpoint(command: PauseEndpoint, uow, clock) -> Endpoint:
    endpoint = _endpoint(uow, command.actor, command.endpoint_id)
    endpoint.pause(clock())
    uow.commit()
    return endpoint


def resume_endpoint(command: ResumeEndpoint, uow, clock) -> Endpoint:
    endpoint = _endpoint(uow, command.actor, command.endpoint_id)
    endpoint.resume(clock())
    uow.commit()
    return endpoint


def delete_endpoint(command: DeleteEndpoint, uow, clock) -> None:
    uow.endpoints.delete(_endpoint(uow, command.actor, command.endpoint_id))
    uow.commit()


def rotate_secret(command: RotateSecret, uow, clock) -> tuple[Endpoint, str]:
    endpoint = _endpoint(uow, command.actor, command.endpoint_id)
    secret = endpoint.rotate_secret(clock(), command.overlap)
    uow.commit()
    return endpoint, secret


def replay_delivery(command: ReplayDelivery, uow, clock) -> Delivery:
    _endpoint(uow, command.actor, command.endpoint_id)
    delivery = uow.deliveries.get(command.endpoint_id, command.delivery_id, for_update=True)
    if delivery is None:
        raise NotFound("No such delivery.")
    delivery.replay(clock())
    uow.commit()
    return delivery


def replay_failed(command: ReplayFailed, uow, clock) -> int:
    _endpoint(uow, command.actor, command.endpoint_id)
    now = clock()
    failed = uow.deliveries.failed_since(command.endpoint_id, command.since)
    for delivery in failed:
        delivery.replay(now)
    uow.commit()
    return len(failed)


def fan_out(command: FanOut, uow, clock, panel_members: Callable[[str], Collection[str]]) -> int:
    """One delivery per endpoint that wants the event and may see it (domain.may_see; `panel_members(call_id)`,
    injected by the bus, is asked for steering members' endpoints). Runs in the consumer's unit of work, which
    commits it with the processed record; the unique index on (endpoint, event) holds against a redelivery
    after a crash between the database and the offset commit. Returns how many deliveries it wrote."""
    now = clock()
    wanted = [endpoint for endpoint in uow.endpoints.subscribed()
              if endpoint.wants(command.event_type) and may_see(endpoint.owner, command.event_type, command.data,
                                                                 panel_members)]
    for endpoint in wanted:
        uow.deliveries.add(Delivery.of(endpoint, command.event_id, command.event_type, command.body, now))
    uow.session.flush()
    return len(wanted)


COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    RegisterEndpoint: register_endpoint,
    ChangeEndpoint: change_endpoint,
    PauseEndpoint: pause_endpoint,
    ResumeEndpoint: resume_endpoint,
    DeleteEndpoint: delete_endpoint,
    RotateSecret: rotate_secret,
    ReplayDelivery: replay_delivery,
    ReplayFailed: replay_failed,
    FanOut: fan_out,
}
