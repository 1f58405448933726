"""Configuration from the environment, with defaults that run on one machine.

Every setting a service reads lives here, so that a newcomer finds them in one place. Nothing is read at
import time: call the functions when the app or worker starts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, overload

REPO_ROOT = Path(__file__).resolve().parents[1]

SERVICE_PORTS = {
    "admin": 8000,
    "applications": 8001,
    "selection": 8002,
    "workshops": 8003,
    "publishing": 8004,
    "identity": 8006,
    "portal": 8005,
    "webhooks": 8007,
}


def var_dir() -> Path:
    """Where local state lives (SQLite files, the dev signing key, the Kafka data): git-ignored."""
    path = Path(os.environ.get("VORORT_VAR_DIR", REPO_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_secret(name: str, env_var: str) -> str:
    """A symmetric secret for sessions or links (never for tokens): `env_var`, else in development one
    generated once under var/ so that every process on the machine shares it; outside development
    a missing `env_var` is an error."""
    value = os.environ.get(env_var)
    if value:
        return value
    if environment() != "development":
        raise MissingSecret(f"{env_var} must be set outside development mode")
    import secrets

    path = var_dir() / f"{name}.key"
    if not path.exists():
        try:
            with open(path, "x") as handle:  # first writer wins; the others read its key
                handle.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()


class MissingSecret(RuntimeError):
    pass


def environment() -> str:
    """`development` (default) or `production`; production refuses insecure defaults."""
    return os.environ.get("VORORT_ENV", "development")


def database_url(service: str) -> str:
    """Each service owns its database: `<SERVICE>_DATABASE_URL`, else a SQLite file under var/."""
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if url:
        return with_driver(url)
    return f"sqlite:///{var_dir() / (service + '.db')}"


def with_driver(url: str) -> str:
    """`postgresql://` (as CloudNativePG's app secret and libpq write it) means psycopg 3 here."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def kafka_bootstrap_servers() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def kafka_security() -> dict[str, Any]:
    """kafka-python settings for an authenticated cluster, from `KAFKA_SECURITY_PROTOCOL` (PLAINTEXT by
    default: the single-node `make run` broker on loopback), `KAFKA_SASL_MECHANISM` (SCRAM-SHA-512),
    `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD` (the service's own principal) and `KAFKA_SSL_CAFILE`."""
    protocol = os.environ.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").strip() or "PLAINTEXT"
    if protocol == "PLAINTEXT":
        return {}
    settings: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        settings.update(sasl_mechanism=os.environ.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
                        sasl_plain_username=os.environ["KAFKA_SASL_USERNAME"],
                        sasl_plain_password=os.environ["KAFKA_SASL_PASSWORD"])
    if os.environ.get("KAFKA_SSL_CAFILE"):
        settings["ssl_cafile"] = os.environ["KAFKA_SSL_CAFILE"]
    return settings


def consumer_group(service: str, purpose: str) -> str:
    """The one scheme of consumer-group ids: `<service>.<purpose>` (`selection.candidates`,
    `workshops.privacy`) followed by `VORORT_CONSUMER_GROUP_SUFFIX`, which keeps two deployments (or two test
    platforms) on one broker from sharing groups, and so from splitting each other's events. The group id
    also names the consumer's processed-message records and its dead-letter topic (`<group id>.dlq`)."""
    return f"{service}.{purpose}" + os.environ.get("VORORT_CONSUMER_GROUP_SUFFIX", "")


def idempotency_ttl() -> timedelta:
    """How long a stored first answer (Idempotency-Key) is replayed and kept: `VORORT_IDEMPOTENCY_TTL_HOURS`,
    default 24. Stored answers may hold personal data; expired ones are purged by every worker."""
    return timedelta(hours=float(os.environ.get("VORORT_IDEMPOTENCY_TTL_HOURS", "24")))


def service_url(service: str) -> str:
    """The public base URL of another service's HTTP API (only HTTP crosses service borders)."""
    default = f"http://127.0.0.1:{SERVICE_PORTS[service]}"
    return os.environ.get(f"{service.upper()}_URL", default).rstrip("/")


@dataclass(frozen=True)
class ServiceSettings:
    name: str
    database_url: str
    kafka_bootstrap_servers: str
    environment: str

    @classmethod
    def from_env(cls, name: str) -> ServiceSettings:
        return cls(
            name=name,
            database_url=database_url(name),
            kafka_bootstrap_servers=kafka_bootstrap_servers(),
            environment=environment(),
        )


# --- the platform's own settings (read where they are used, at each call) ------------------------
def _number(name: str, default: str) -> float:
    return float(os.environ.get(name, default) or default)


def identity_issuer_setting() -> str | None:
    """`IDENTITY_ISSUER`: the `iss` of identity's tokens (default: identity's URL)."""
    return os.environ.get("IDENTITY_ISSUER") or None


def trusted_issuers_setting() -> str:
    """`VORORT_TRUSTED_ISSUERS`: further token issuers, a JSON list (read at each call: tests change it)."""
    return os.environ.get("VORORT_TRUSTED_ISSUERS", "").strip()


def process_environment() -> os._Environ[str]:
    """This process's environment, for the few callers that hand settings on to child processes."""
    return os.environ


def jwks_cache_seconds() -> float:
    return _number("VORORT_JWKS_CACHE_SECONDS", "300")


def client_credentials_setting(name: str) -> tuple[str | None, str | None]:
    """`<NAME>_CLIENT_ID` and `<NAME>_CLIENT_SECRET`: a platform client's own credentials."""
    return os.environ.get(f"{name.upper()}_CLIENT_ID"), os.environ.get(f"{name.upper()}_CLIENT_SECRET")


def chaos_crash_after_db_commits() -> int:
    """`VORORT_CHAOS_CRASH_AFTER_DB_COMMITS`: chaos tests only; a consumer exits after this many commits."""
    return int(os.environ.get("VORORT_CHAOS_CRASH_AFTER_DB_COMMITS", "0") or 0)


def kafka_session_timeout_ms() -> int:
    """How long the group waits for a member that vanished without leaving (a crash) before rebalancing."""
    return int(_number("VORORT_KAFKA_SESSION_TIMEOUT_MS", "10000"))


def kafka_max_poll_records() -> int:
    return int(_number("VORORT_KAFKA_MAX_POLL_RECORDS", "500"))


def log_level() -> str:
    return os.environ.get("LOG_LEVEL", "INFO")


def deny_list_refresh_seconds() -> float:
    return _number("VORORT_DENY_LIST_REFRESH_SECONDS", "1")


def relay_batch_size() -> int:
    return int(_number("VORORT_RELAY_BATCH_SIZE", "500"))


def worker_health_port() -> int | None:
    """`VORORT_WORKER_HEALTH_PORT`: the worker serves /healthz and /readyz there (unset: no probes)."""
    port = os.environ.get("VORORT_WORKER_HEALTH_PORT")
    return int(port) if port else None


def rate_limit_per_minute() -> int:
    """Requests per caller (token subject, or IP address without a token) and minute; 0 turns it off."""
    return int(os.environ.get("VORORT_RATE_LIMIT_PER_MINUTE", "1200"))


@overload
def setting(name: str) -> str | None: ...
@overload
def setting(name: str, default: str) -> str: ...
def setting(name: str, default: str | None = None) -> str | None:
    """A service's own setting (`<SERVICE>_...`, `SMTP_URL`): the one place a service reads the environment.

    Its parsing and meaning stay with the service's settings (e.g. services/publishing/settings.py); that
    every read goes through here keeps them findable (`grep 'config.setting('`) and testable."""
    return os.environ.get(name, default)
