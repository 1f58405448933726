"""Operations: health of every service, consumer lag per group, dead letters and their replay."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from services.admin.context import admin_context
from services.admin.kafka_ops import DLQ_SUFFIX, DeadLetterNotFound, KafkaUnavailable
from services.admin.views.common import SERVICE_NAMES, staff_name, store
from shared.config import service_url
from shared.health import database_ok

bp = Blueprint("operations", __name__)

HEALTH_TIMEOUT_S = 3.0


def kafka():
    return admin_context().kafka


def _ready(name: str) -> dict:
    url = f"{service_url(name)}/readyz"
    try:
        response = requests.get(url, timeout=HEALTH_TIMEOUT_S)
    except requests.RequestException as error:
        return {"name": name, "ready": False, "checks": {}, "detail": type(error).__name__}
    try:
        body = response.json()
    except ValueError:
        body = {}
    return {"name": name, "ready": response.status_code == 200, "checks": body.get("checks", {}),
            "detail": f"HTTP {response.status_code}"}


@bp.get("/operations")
def index():
    names = list(SERVICE_NAMES)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        health = list(pool.map(_ready, names))
    admin_checks = {"database": _admin_database_ok(), "kafka": None}
    groups, topics, kafka_error = [], [], None
    try:
        groups = kafka().consumer_lag()
        topics = kafka().dead_letter_topics()
        admin_checks["kafka"] = True
    except KafkaUnavailable:
        kafka_error = _("The message broker (Kafka) cannot be reached right now. Please try again shortly.")
        admin_checks["kafka"] = False
    counts = {}
    for topic in topics:
        try:
            counts[topic] = len(kafka().dead_letters(topic))
        except KafkaUnavailable:
            counts[topic] = None
    return render_template("operations/index.html", title=_("Operations"), section="operations", health=health,
                           admin_checks=admin_checks, groups=groups, topics=topics, counts=counts,
                           kafka_error=kafka_error, service_names=SERVICE_NAMES)


def _admin_database_ok() -> bool:
    return database_ok(admin_context().engine)


@bp.get("/operations/dead-letters/<topic>")
def dead_letters(topic):
    if not topic.endswith(DLQ_SUFFIX):
        abort(404)
    letters = kafka().dead_letters(topic)
    replays = store().replays([topic])
    return render_template("operations/dead_letters.html", title=_("Dead letters: %(topic)s", topic=topic),
                           section="operations", topic=topic, letters=letters, replays=replays,
                           now=datetime.now(timezone.utc))


@bp.post("/operations/dead-letters/<topic>/<int:partition>/<int:offset>/replay")
def replay(topic, partition, offset):
    if not topic.endswith(DLQ_SUFFIX):
        abort(404)
    try:
        original = kafka().replay(topic, partition, offset)
    except DeadLetterNotFound:
        flash(_("This message is no longer in the dead-letter topic."), "error")
    else:
        store().record_replay(topic, partition, offset, original, staff_name(), datetime.now(timezone.utc))
        flash(_("The message has been published again to %(topic)s. Its consumer skips it if it was applied "
                "meanwhile.", topic=original), "success")
    return redirect(url_for("operations.dead_letters", topic=topic))
