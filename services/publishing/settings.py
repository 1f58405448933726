"""The publishing service's own configuration, read from the environment when the app or worker starts.

Defaults run on one machine: a local SMTP server (e.g. `python -m aiosmtpd -n -l 127.0.0.1:8025`), the
service on its development port, a link secret derived from the platform's development signing key.
Outside development a signing secret for links and an https base URL are required, because unsubscribe
links must work for years and one-click unsubscribe (RFC 8058) needs https.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.config import setting
from shared import config

DEFAULT_SENDER = "Netzwerk Innenstadt NRW <info@innenstadt-nrw.de>"


class SettingsError(RuntimeError):
    pass


def _flag(name: str, default: bool) -> bool:
    value = setting(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _number(name: str, default: float) -> float:
    value = setting(name)
    if value is None or not value.strip():
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None


def _development_secret() -> str:
    # Derived for this purpose only: one leaked derived secret tells nothing about the others.
    return hmac.new(config.local_secret("session-dev", "VORORT_SESSION_SECRET").encode(), b"vorort/publishing/links", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PublishingSettings:
    smtp_url: str = "smtp://127.0.0.1:8025"
    base_url: str = "http://127.0.0.1:8004"
    sender: str = DEFAULT_SENDER
    secret: str = "development-only"
    auto_publish: bool = False
    smtp_rate_per_second: float = 10.0       # 0 = unthrottled
    smtp_timeout_s: float = 30.0
    smtp_max_attempts: int = 5                # temporary (4xx) failures are retried this often
    smtp_retry_base_s: float = 60.0           # first retry after this, doubling each time
    claim_lease_s: float = 300.0              # SQLite only: when another worker's claim counts as abandoned
    environment: str = "development"

    @property
    def allows_http_links(self) -> bool:
        return self.base_url.startswith("http://") and self.environment == "development"

    @classmethod
    def from_env(cls) -> PublishingSettings:
        environment = config.environment()
        secret = setting("PUBLISHING_SECRET", "").strip()
        if not secret:
            if environment != "development":
                raise SettingsError("PUBLISHING_SECRET must be set outside development mode")
            secret = _development_secret()
        base_url = setting("PUBLISHING_BASE_URL", "http://127.0.0.1:8004").strip().rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise SettingsError(f"PUBLISHING_BASE_URL must be an http(s) URL, not {base_url!r}")
        if environment != "development" and not base_url.startswith("https://"):
            raise SettingsError("PUBLISHING_BASE_URL must be https outside development (unsubscribe links)")
        smtp_url = setting("SMTP_URL", "smtp://127.0.0.1:8025").strip()
        if urlsplit(smtp_url).scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise SettingsError(f"SMTP_URL must start with smtp://, smtps:// or smtp+starttls://, not {smtp_url!r}")
        rate = _number("SMTP_RATE_PER_SECOND", 10.0)
        if rate < 0:
            raise SettingsError("SMTP_RATE_PER_SECOND must not be negative")
        return cls(
            smtp_url=smtp_url,
            base_url=base_url,
            sender=setting("PUBLISHING_SENDER", DEFAULT_SENDER).strip() or DEFAULT_SENDER,
            secret=secret,
            auto_publish=_flag("PUBLISHING_AUTO_PUBLISH", False),
            smtp_rate_per_second=rate,
            smtp_timeout_s=_number("SMTP_TIMEOUT_SECONDS", 30.0),
            smtp_max_attempts=max(1, int(_number("SMTP_MAX_ATTEMPTS", 5))),
            smtp_retry_base_s=max(0.0, _number("SMTP_RETRY_BASE_SECONDS", 60.0)),
            claim_lease_s=max(1.0, _number("PUBLISHING_CLAIM_LEASE_SECONDS", 300.0)),
            environment=environment,
        )
