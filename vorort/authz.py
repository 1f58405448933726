"""The authorization matrix: every API operation of every service, and which roles it admits.

`vorort docs authz` writes docs/authorization-matrix.csv from the code (the roles each view declares
with `roles_required`; operations without it are public). The file is reviewed like code: the security
tests call every operation with every role and with no token, and fail where the running services
admit what the file forbids, or where an operation exists that the file does not list.

Cells: `allow` (the role passes the role check), `deny` (401 without a token, 403 with a token),
`public` (no token needed).
"""
from __future__ import annotations

import csv
import importlib
import io

from shared.auth import ROLES
from shared.config import ServiceSettings

API_SERVICES = ("applications", "selection", "workshops", "publishing", "webhooks", "identity")
COLUMNS = ("service", "method", "path") + ROLES + ("anonymous",)


def operations(service: str) -> list[dict]:
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(ServiceSettings(service, "sqlite://", "127.0.0.1:1", "development"))
    spec_paths = app.test_client().get("/openapi.json").json["paths"]
    rows = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        path = _openapi_path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if path not in spec_paths or method.lower() not in spec_paths[path]:
                continue
            handler = getattr(view_class, method.lower(), None) if view_class else view
            roles = getattr(handler, "_vorort_roles", None)
            row = {"service": service, "method": method, "path": path}
            for role in ROLES:
                row[role] = "public" if roles is None else ("allow" if role in roles else "deny")
            row["anonymous"] = "public" if roles is None else "deny"
            rows.append(row)
    return sorted(rows, key=lambda r: (r["path"], r["method"]))


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def render() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for service in API_SERVICES:
        writer.writerows(operations(service))
    return out.getvalue()


def load(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))
