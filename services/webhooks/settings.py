"""The webhooks service's own configuration, read from the environment when the app or worker starts.

| variable | default | what |
| --- | --- | --- |
| `WEBHOOKS_RETRY_SCHEDULE` | `0,5,300,1800,7200,18000,36000,36000` | seconds before each attempt (Standard Webhooks) |
| `WEBHOOKS_RETRY_JITTER` | 0.1 | each delay varies by up to this share |
| `WEBHOOKS_TIMEOUT_SECONDS` | 15 | one attempt's whole time budget |
| `WEBHOOKS_DISABLE_AFTER_HOURS` | 120 | an endpoint failing everything this long is disabled |
| `WEBHOOKS_ALLOWED_NETWORKS` | empty | networks allowed despite being non-public (development: 127.0.0.1/32) |
| `WEBHOOKS_REQUIRE_HTTPS` | on in production | refuse http URLs |
| `WEBHOOKS_CONCURRENCY` | 16 | parallel requests per worker |
| `WEBHOOKS_LEASE_SECONDS` | 60 | a claimed delivery whose worker died is retried after this |
| `WEBHOOKS_MAIL_FROM`, `SMTP_URL` | the office, `smtp://127.0.0.1:8025` | mail to contacts of disabled endpoints |
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from shared.config import setting
from shared import config
from services.webhooks.domain import RetryPolicy
from services.webhooks.egress import EgressPolicy

DEFAULT_SENDER = "Netzwerk Innenstadt NRW <info@innenstadt-nrw.de>"


def _env(name: str, default: str) -> str:
    value = setting(name, "")
    return value.strip() or default


@dataclass(frozen=True)
class WebhooksSettings:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = 15.0
    disable_after: timedelta = timedelta(days=5)
    rotation_overlap: timedelta = timedelta(hours=24)
    egress: EgressPolicy = field(default_factory=EgressPolicy)
    concurrency: int = 16
    batch_size: int = 200
    lease_s: float = 60.0
    idle_poll_s: float = 0.2
    smtp_url: str = "smtp://127.0.0.1:8025"
    sender: str = DEFAULT_SENDER

    @classmethod
    def from_env(cls) -> WebhooksSettings:
        schedule = tuple(float(part) for part in _env("WEBHOOKS_RETRY_SCHEDULE",
                                                      "0,5,300,1800,7200,18000,36000,36000").split(","))
        production = config.environment() != "development"
        require_https = _env("WEBHOOKS_REQUIRE_HTTPS", "1" if production else "0").lower() in ("1", "true", "on")
        timeout = float(_env("WEBHOOKS_TIMEOUT_SECONDS", "15"))
        return cls(
            retry=RetryPolicy(schedule=schedule, jitter=float(_env("WEBHOOKS_RETRY_JITTER", "0.1"))),
            timeout_s=timeout,
            disable_after=timedelta(hours=float(_env("WEBHOOKS_DISABLE_AFTER_HOURS", "120"))),
            egress=EgressPolicy(allowed_networks=EgressPolicy.parse_networks(_env("WEBHOOKS_ALLOWED_NETWORKS", "")),
                                require_https=require_https),
            concurrency=int(_env("WEBHOOKS_CONCURRENCY", "16")),
            lease_s=max(float(_env("WEBHOOKS_LEASE_SECONDS", "60")), timeout + 5),
            smtp_url=_env("SMTP_URL", "smtp://127.0.0.1:8025"),
            sender=_env("WEBHOOKS_MAIL_FROM", DEFAULT_SENDER),
        )
