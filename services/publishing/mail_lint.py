"""The last check of a mail before it goes out (and the tests' check of what would go out): headers,
parts, one-click unsubscribe for newsletters, and what SMTP itself demands (ASCII headers, short lines)."""
from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

_REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version")
_MESSAGE_ID_RE = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):  # None for an empty part
        payload = b""
    return payload.decode(part.get_content_charset() or "ascii", errors="replace")


def lint_message(msg: Message, *, bulk: bool | None = None, allow_http_unsubscribe: bool = False) -> list[str]:
    """Problems that would make a mail bounce, land in spam or break for some readers; empty if fine.

    ``bulk`` marks a newsletter (needs unsubscribe headers); by default a message with a List-Id header
    is treated as one. Meant for tests and as a last check before the sender hands a message to SMTP.
    ``allow_http_unsubscribe`` accepts an http unsubscribe link (development machines only).
    """
    problems = _header_problems(msg) + _body_problems(msg)
    if bulk is None:
        bulk = msg.get("List-Id") is not None
    if bulk:
        problems += _unsubscribe_problems(msg, allow_http_unsubscribe)
    return problems + _wire_problems(msg)


def _header_problems(msg: Message) -> list[str]:
    """Required headers that are missing, empty or malformed."""
    problems: list[str] = []
    for name in _REQUIRED_HEADERS:
        if msg.get(name) is None:
            problems.append(f"missing header: {name}")
    if msg.get("Subject") is not None and not str(msg["Subject"]).strip():
        problems.append("empty Subject")
    for name in ("From", "To"):
        if msg.get(name) is not None and not any("@" in addr for _, addr in getaddresses([str(msg[name])])):
            problems.append(f"{name} has no valid address")
    if msg.get("Message-ID") is not None and not _MESSAGE_ID_RE.match(str(msg["Message-ID"]).strip()):
        problems.append("malformed Message-ID")
    if msg.get("Date") is not None:
        try:
            parsedate_to_datetime(str(msg["Date"]))
        except (TypeError, ValueError):
            problems.append("malformed Date")
    return problems


def _body_problems(msg: Message) -> list[str]:
    """The text and HTML parts: both there, UTF-8, not empty, fully rendered."""
    problems: list[str] = []
    if msg.get_content_type() != "multipart/alternative":
        problems.append(f"not multipart/alternative but {msg.get_content_type()}")
    parts = {part.get_content_type(): part for part in msg.walk() if not part.is_multipart()}
    for content_type, label in (("text/plain", "text"), ("text/html", "html")):
        part = parts.get(content_type)
        if part is None:
            problems.append(f"no {label} part ({content_type})")
            continue
        if (part.get_content_charset() or "").lower() not in ("utf-8", "us-ascii"):
            problems.append(f"{content_type} part is not UTF-8")
        body = _part_text(part)
        if not body.strip():
            problems.append(f"{content_type} part is empty")
        if "{{" in body or "{%" in body:
            problems.append(f"{content_type} part contains unrendered template syntax")
    return problems


def _unsubscribe_problems(msg: Message, allow_http_unsubscribe: bool) -> list[str]:
    """A newsletter's one-click unsubscribe headers (RFC 8058)."""
    problems: list[str] = []
    unsubscribe = str(msg.get("List-Unsubscribe") or "")
    if not unsubscribe:
        problems.append("missing header: List-Unsubscribe")
    elif not re.search(r"<https?://[^>\s]+>" if allow_http_unsubscribe else r"<https://[^>\s]+>",
                       unsubscribe):
        problems.append("List-Unsubscribe has no <https://...> link")
    if str(msg.get("List-Unsubscribe-Post") or "").strip() != "List-Unsubscribe=One-Click":
        problems.append("missing header: List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    return problems


def _wire_problems(msg: Message) -> list[str]:
    """The message as it goes over SMTP: it serialises, headers are ASCII, no line over 998 bytes."""
    problems: list[str] = []
    try:
        raw = msg.as_bytes()
    except Exception as exc:  # noqa: BLE001 - a message that cannot be serialised cannot be sent either
        return [f"cannot serialise message: {exc}"]
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    current = ""
    for line in re.split(rb"\r?\n", head):
        if line[:1] not in (b" ", b"\t"):
            current = line.split(b":", 1)[0].decode("ascii", errors="replace")
        if any(byte > 127 for byte in line):
            problem = f"header {current} contains non-ASCII characters that are not encoded"
            if problem not in problems:
                problems.append(problem)
    if any(len(line) > 998 for line in re.split(rb"\r?\n", raw)):
        problems.append("a line is longer than 998 bytes")
    return problems
