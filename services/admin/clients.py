"""The admin's only way into the other services: their public HTTP APIs, with the admin's own token.

The admin is an API client of identity (role staff; client credentials from `ADMIN_CLIENT_ID` and
`ADMIN_CLIENT_SECRET`, or var/clients/admin.json in development): `auth.service_token("admin")`. A service that cannot be reached, times out or answers 5xx
raises `ServiceUnavailable` (the page shows a German notice); a 4xx answer raises `ApiError` with the
service's message and field errors, for the form to show.
"""
from __future__ import annotations

import requests

from shared import auth
from shared.apiclient import ApiError, Page, ServiceClient, ServiceUnavailable

__all__ = ["ApiError", "Page", "ServiceClient", "ServiceUnavailable", "Services"]

SERVICE_LABELS = {  # msgids; translated where shown
    "applications": "applications",
    "selection": "selection",
    "workshops": "workshops",
    "publishing": "publishing",
    "webhooks": "webhooks",
    "identity": "identity",
}


class Services:
    """The four API services for one staff member: `services.applications.get(...)`."""

    def __init__(self, subject: str):
        self.subject = subject
        self._clients: dict[str, ServiceClient] = {}
        self._session = requests.Session()

    def __getattr__(self, name: str) -> ServiceClient:
        if name not in SERVICE_LABELS:
            raise AttributeError(name)
        if name not in self._clients:
            self._clients[name] = ServiceClient(name, auth.service_token("admin"),
                                                session=self._session)
        return self._clients[name]

    def close(self) -> None:
        self._session.close()
