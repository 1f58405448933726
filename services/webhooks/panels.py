"""Who sits on a call's panel, asked of the selection service's public API (only HTTP crosses service
borders). Needed only for steering members' endpoints; answers are cached briefly, and an unreachable
selection service raises, so that the consumer retries the event instead of guessing."""
from __future__ import annotations

import threading
import time

import requests

from shared import auth
from shared.config import service_url


class PanelLookupFailed(RuntimeError):
    pass


class SelectionPanels:
    def __init__(self, base_url: str | None = None, ttl_s: float = 60.0, session=None):
        self.base_url = base_url or service_url("selection")
        self.ttl_s = ttl_s
        self.session = session or requests.Session()
        self._cache: dict[str, tuple[float, frozenset]] = {}
        self._lock = threading.Lock()

    def _token(self) -> str:
        return auth.service_token("webhooks", scopes=("selection:read",))

    def __call__(self, call_id: str) -> frozenset:
        with self._lock:
            cached = self._cache.get(call_id)
        if cached and time.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        try:
            response = self.session.get(f"{self.base_url}/v1/calls/{call_id}/panel", timeout=10,
                                        headers={"Authorization": f"Bearer {self._token()}"})
        except requests.RequestException as error:
            raise PanelLookupFailed(f"selection unreachable: {error}") from None
        if response.status_code == 404:
            members: frozenset[str] = frozenset()
        elif response.status_code == 200:
            members = frozenset(m["id"] for m in response.json().get("members", []))
        else:
            raise PanelLookupFailed(f"selection answered {response.status_code}")
        with self._lock:
            self._cache[call_id] = (time.monotonic(), members)
        return members
