"""How this service writes mail headers: its email policy, and header lines that need no folding."""
from __future__ import annotations

import email.policy
import re
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader


class _UrlListHeader(UnstructuredHeader, BaseHeader):
    """List-Unsubscribe (RFC 2369/8058): URLs in angle brackets, which mail clients read only as written.
    The email package turns a line over 78 characters into encoded words, and a personal unsubscribe link
    is longer than that; RFC 5322 allows lines up to 998 characters, so the header is written unfolded."""

    def fold(self, *, policy) -> str:
        line = f"{self.name}: {self}"
        if line.isascii() and line.isprintable() and len(line) <= 998:
            return line + policy.linesep
        return super().fold(policy=policy)


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _UrlListHeader)
# Every mail of this service is built and serialised with this policy (email.policy.default otherwise).
MAIL_POLICY = email.policy.default.clone(header_factory=_HEADERS)


_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOT_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def plain_header_value(value) -> str | None:
    """The value as it stands on the wire when it needs no quoting or encoded words; None otherwise."""
    if isinstance(value, Address):
        local, _, domain = value.addr_spec.partition("@")
        if not (domain and _DOT_ATOMS.fullmatch(local) and _DOT_ATOMS.fullmatch(domain)):
            return None
        if not value.display_name:
            return value.addr_spec
        return f"{value.display_name} <{value.addr_spec}>" if _ATOMS.fullmatch(value.display_name) else None
    if isinstance(value, str) and value.isascii() and value.isprintable() and "  " not in value \
            and value == value.strip():
        return value
    return None
