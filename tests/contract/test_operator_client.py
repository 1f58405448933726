"""`vorort gdpr export` runs as the platform's `operator` client: its scopes must open the export of every
service with personal data, and nothing else (least privilege). Until 2026-11-30 the client lacked
`webhooks:read`, and the export of a `make run` stopped at the webhooks service with a 403."""
from __future__ import annotations

import importlib

import pytest

from shared.auth import issue_token
from support import settings
from vorort.gdpr import PERSONAL_DATA_SERVICES
from vorort.identity_cli import SERVICE_CLIENTS

ROLE, SCOPES = SERVICE_CLIENTS["operator"]


def test_the_operator_may_read_and_nothing_more():
    assert ROLE == "staff" and all(scope.endswith(":read") for scope in SCOPES)


@pytest.mark.parametrize("service", PERSONAL_DATA_SERVICES)
def test_the_operators_token_opens_every_services_export(service):
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(settings(service, "sqlite://", "127.0.0.1:1"))
    context = app.extensions.get("vorort") or app.extensions[f"vorort-{service}"]
    metadata = getattr(context, "metadata", None) or module.metadata
    metadata.create_all(context.engine)
    token = issue_token(ROLE, "operator", scopes=SCOPES, client_id="operator")
    answer = app.test_client().get("/v1/personal-data", query_string={"email": "greta.probe@example.org"},
                                   headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, (service, answer.status_code, answer.get_json())
    assert answer.get_json()["records"] == []
