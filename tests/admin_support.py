"""A staff member's browser, without a browser: requests with the admin's session cookie and CSRF tokens."""
from __future__ import annotations

import re

import requests

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class AdminSession:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, data: dict | None = None, *, token_from: str | None = None,
             with_token: bool = True, **kwargs) -> requests.Response:
        """POST a form; its CSRF token is taken from the page `token_from` (default: the same path)."""
        data = dict(data or {})
        if with_token:
            data["csrf_token"] = csrf_token(self.get(token_from or path, allow_redirects=True).text)
        kwargs.setdefault("allow_redirects", False)
        return self.http.post(self.base + path, data=data, timeout=30, **kwargs)

    def login(self, username: str, password: str) -> requests.Response:
        return self.post("/login", {"username": username, "password": password}, token_from="/login")


def staff_session(platform) -> AdminSession:
    """The platform's admin, logged in as its staff account."""
    admin = AdminSession(platform.url("admin"))
    assert admin.login(platform.staff["username"], platform.staff["password"]).status_code == 302
    return admin
