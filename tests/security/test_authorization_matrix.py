"""Attack 7: the authorization matrix, generated from every service's OpenAPI document and kept in
docs/authorization-matrix.csv, is what the running services enforce for every role and no token."""
from __future__ import annotations

import re
import uuid

import pytest

from shared.auth import ROLES
from shared.config import REPO_ROOT
from authorization_world import build_apps
from support import bearer
from vorort.authz import API_SERVICES, load, operations, render

pytestmark = pytest.mark.integration

MATRIX = load((REPO_ROOT / "docs" / "authorization-matrix.csv").read_text())
ROLE_CHECK_MESSAGE = "needs one of the roles"


def test_the_matrix_lists_exactly_the_operations_of_the_openapi_documents():
    listed = {(r["service"], r["method"], r["path"]) for r in MATRIX}
    actual = {(r["service"], r["method"], r["path"]) for s in API_SERVICES for r in operations(s)}
    assert listed == actual, "run `vorort docs authz` and review the change"


def test_the_matrix_file_agrees_with_the_roles_the_code_declares():
    assert (REPO_ROOT / "docs" / "authorization-matrix.csv").read_text() == render(), (
        "a view's roles changed: run `vorort docs authz` and review the diff")


@pytest.fixture(scope="module")
def clients(postgres):
    apps, urls = build_apps(postgres, API_SERVICES)
    yield {service: app.test_client() for service, app in apps.items()}
    for url in urls:
        postgres.drop_database(url)


def _headers(role: str) -> dict:
    if role == "anonymous":
        return {}
    return bearer(role, f"{role}-matrix", ags="05370040" if role == "municipality" else None)


def _call(client, method: str, path: str, role: str):
    concrete = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
    kwargs = {"headers": _headers(role)}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        kwargs["json"] = {}
    return client.open(concrete, method=method, **kwargs)


@pytest.mark.parametrize("row", MATRIX, ids=[f"{r['service']} {r['method']} {r['path']}" for r in MATRIX])
def test_no_operation_admits_what_the_matrix_forbids(clients, row):
    client = clients[row["service"]]
    for role in ROLES + ("anonymous",):
        expected = row[role]
        response = _call(client, row["method"], row["path"], role)
        body = response.get_json(silent=True) or {}
        message = str(body.get("message", "")) if isinstance(body, dict) else ""  # a list answer has none
        where = f"{row['method']} {row['path']} as {role}: {response.status_code} {message}"
        assert response.status_code < 500, where
        if expected == "deny":
            assert response.status_code == (401 if role == "anonymous" else 403), where
        elif expected == "allow":
            assert response.status_code != 401, where
            assert not (response.status_code == 403 and ROLE_CHECK_MESSAGE in message), where
        else:  # public
            assert response.status_code not in (401, 403), where
