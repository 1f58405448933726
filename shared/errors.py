"""Domain errors: raised by domain and handler code, turned into HTTP answers by the web layer.

Each carries an HTTP status, a message, and optionally the field the problem is about, so that the
API can answer with field-level errors without the domain knowing anything about HTTP.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_errors(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
