"""A client for the platform's public HTTP APIs, for the web front ends (admin, portal).

Each front end calls the API services only over HTTP, with a token for the person it acts for. A service
that cannot be reached, times out or answers 5xx raises `ServiceUnavailable` (the page shows a notice);
a 4xx answer raises `ApiError` with the service's message and field errors, for the form to show.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import requests

from shared.config import service_url
from shared.logs import correlation_id

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 15.0
MAX_PAGE_SIZE = 100


class ServiceUnavailable(Exception):
    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail


@dataclass
class ApiError(Exception):
    service: str
    status: int
    message: str
    errors: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.message}"

    def field_messages(self) -> list[tuple[str, str]]:
        """[(field path, message)] from the platform's error format (`errors.json.<field>`)."""
        found: list[tuple[str, str]] = []

        def walk(prefix: str, value: object) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    walk(f"{prefix}.{key}" if prefix else str(key), inner)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                for message in value:
                    found.append((prefix, message))
            elif isinstance(value, list):
                for index, inner in enumerate(value):
                    walk(f"{prefix}[{index}]", inner)
            else:
                found.append((prefix, str(value)))

        for location, fields in (self.errors or {}).items():
            walk("" if location in ("json", "query", "form") else location, fields)
        return found


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class ServiceClient:
    def __init__(self, service: str, token: str | None, session: requests.Session | None = None) -> None:
        self.service = service
        self.base = service_url(service)
        self.token = token
        self.http = session or requests.Session()

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
                raw: bool = False) -> Any:
        """The answer's JSON (None for an empty answer), or with `raw` the response itself."""
        headers = {"Accept": "application/json"}
        if self.token:  # None: a public operation (subscriptions, enquiries, calendar files)
            headers["Authorization"] = f"Bearer {self.token}"
        current_correlation_id = correlation_id.get()
        if current_correlation_id:
            headers["X-Correlation-ID"] = current_correlation_id
        try:
            response = self.http.request(method, self.url(path), params=params, json=json_body, headers=headers,
                                         timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        except requests.RequestException as error:
            log.warning("service unreachable", extra={"service": self.service, "path": path, "error": str(error)})
            raise ServiceUnavailable(self.service, type(error).__name__) from None
        if response.status_code >= 500:
            log.warning("service failed", extra={"service": self.service, "path": path,
                                                 "status": response.status_code})
            raise ServiceUnavailable(self.service, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ApiError(self.service, response.status_code, str(body.get("message") or response.reason),
                           body.get("errors") or {})
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ServiceUnavailable(self.service, "answer is not JSON") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    def get_or_none(self, path: str, **params: Any) -> Any:
        """GET, with None for a 404 (something the service does not know yet)."""
        try:
            return self.get(path, **params)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json_body=body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json_body=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json_body=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def page(self, path: str, page: int = 1, page_size: int = 20, **params: Any) -> Page:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        query.update(page=max(1, page), page_size=min(page_size, MAX_PAGE_SIZE))
        response = self.request("GET", path, params=query, raw=True)
        try:
            items = response.json()
        except ValueError:
            raise ServiceUnavailable(self.service, "answer is not JSON") from None
        total = len(items)
        header = response.headers.get("X-Pagination")
        if header:
            try:
                total = int(json.loads(header).get("total", total))
            except (ValueError, TypeError, AttributeError):
                pass
        return Page(items=items, total=total, page=query["page"], page_size=query["page_size"])

    def all(self, path: str, limit: int = 5000, **params: Any) -> list[Any]:
        """Every item of a paginated collection (up to `limit`)."""
        items: list[Any] = []
        page = 1
        while len(items) < limit:
            found = self.page(path, page=page, page_size=MAX_PAGE_SIZE, **params)
            items.extend(found.items)
            if not found.items or len(items) >= found.total:
                break
            page += 1
        return items[:limit]

    def total(self, path: str, **params: Any) -> int:
        return self.page(path, page=1, page_size=1, **params).total


