"""The demo's identities, registered through identity's API: the organisations of the 2018 case, the
steering group's members as people, and an API client for every principal the demo acts as.

The demo loader itself is an API client of identity (`demo`, role staff, made by `vorort identity
bootstrap`). For each principal it acts as (a municipality, a steering member, a partner) it registers a
client with the least scopes that principal's part of the demo needs, keeps its credentials under
var/clients/demo-principals.json (so a restart finds them) and gets its tokens by client credentials.
"""
from __future__ import annotations

import json
import threading

import requests

from shared import auth, config

SCOPES_OF_ROLE = {
    "municipality": ("applications:read", "applications:write", "workshops:read", "workshops:write"),
    "steering": ("selection:read", "selection:write", "workshops:read", "workshops:write"),
    "partner": ("workshops:read", "workshops:write"),
    "staff": tuple(s for s in auth.api_scopes() if not s.startswith("identity:")),
}


class DemoIdentities:
    def __init__(self, identity_url: str | None = None):
        self.identity_url = (identity_url or config.service_url("identity")).rstrip("/")
        self.path = config.var_dir() / "clients" / "demo-principals.json"
        self._lock = threading.Lock()
        self._stored = json.loads(self.path.read_text()) if self.path.exists() else {}
        self._sources: dict[str, auth.TokenSource] = {}
        self._organisations: dict[tuple, str] = {}

    def _loader_headers(self) -> dict:
        return {"Authorization": "Bearer " + auth.service_token("demo")}

    def _post(self, path: str, body: dict) -> dict:
        response = requests.post(self.identity_url + path, json=body, headers=self._loader_headers(), timeout=30)
        if response.status_code >= 400:
            raise RuntimeError(f"identity refused POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def organisation(self, kind: str, name: str, ags: str | None = None) -> str:
        key = (kind, name)
        if key not in self._organisations:
            stored = self._stored.setdefault("organisations", {})
            if f"{kind}:{name}" not in stored:
                stored[f"{kind}:{name}"] = self._post("/v1/organisations", {"kind": kind, "name": name, "ags": ags})["id"]
                self._save()
            self._organisations[key] = stored[f"{kind}:{name}"]
        return self._organisations[key]

    def person(self, organisation_id: str, name: str, email: str, subject: str) -> str:
        stored = self._stored.setdefault("people", {})
        if subject not in stored:
            stored[subject] = self._post("/v1/people", {"organisation_id": organisation_id, "name": name,
                                                        "email": email, "subject": subject})["id"]
            self._save()
        return stored[subject]

    def headers(self, role: str, subject: str, ags: str | None = None) -> dict:
        return {"Authorization": "Bearer " + self.token(role, subject, ags)}

    def token(self, role: str, subject: str, ags: str | None = None) -> str:
        key = f"{role}|{subject}|{ags or ''}"
        with self._lock:
            source = self._sources.get(key)
            if source is None:
                clients = self._stored.setdefault("clients", {})
                if key not in clients:
                    body = {"name": f"Demo: {subject}", "role": role, "subject": subject, "ags": ags,
                            "scopes": list(SCOPES_OF_ROLE[role])}
                    person_id = self._stored.get("people", {}).get(subject)
                    if person_id:
                        body = {"name": f"Demo: {subject}", "person_id": person_id,
                                "scopes": list(SCOPES_OF_ROLE[role])}
                    created = self._post("/v1/clients", body)
                    clients[key] = {"client_id": created["client_id"], "client_secret": created["client_secret"]}
                    self._save()
                source = self._sources[key] = auth.TokenSource(auth.ClientCredentials(**clients[key]),
                                                               token_url=self.identity_url + "/oauth/token")
        return source.token()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self._stored))
        self.path.chmod(0o600)
