"""The publishing service's configuration from the environment: defaults for one machine, refusals elsewhere."""
from __future__ import annotations

import pytest

from services.publishing.settings import PublishingSettings, SettingsError

VARIABLES = ("SMTP_URL", "PUBLISHING_BASE_URL", "PUBLISHING_SENDER", "PUBLISHING_SECRET", "PUBLISHING_AUTO_PUBLISH",
             "SMTP_RATE_PER_SECOND", "VORORT_ENV",
             "VORORT_JWT_SECRET")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VORORT_VAR_DIR", str(tmp_path))


def test_defaults_run_on_one_machine():
    settings = PublishingSettings.from_env()
    assert settings.smtp_url == "smtp://127.0.0.1:8025"
    assert settings.base_url == "http://127.0.0.1:8004"
    assert settings.sender == "Netzwerk Innenstadt NRW <info@innenstadt-nrw.de>"
    assert settings.auto_publish is False
    assert settings.smtp_rate_per_second == 10.0
    assert settings.allows_http_links


def test_the_development_link_secret_is_derived_stable_and_not_the_local_secret(tmp_path):
    first, second = PublishingSettings.from_env(), PublishingSettings.from_env()
    assert first.secret == second.secret and len(first.secret) == 64
    assert first.secret not in (tmp_path / "session-dev.key").read_text()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTP_URL", "smtp+starttls://relay.example.org:587")
    monkeypatch.setenv("PUBLISHING_BASE_URL", "https://vorort.innenstadt-nrw.example/")
    monkeypatch.setenv("PUBLISHING_AUTO_PUBLISH", "true")
    monkeypatch.setenv("SMTP_RATE_PER_SECOND", "2.5")
    monkeypatch.setenv("PUBLISHING_SECRET", "geheim")
    settings = PublishingSettings.from_env()
    assert settings.base_url == "https://vorort.innenstadt-nrw.example"
    assert (settings.auto_publish, settings.smtp_rate_per_second, settings.secret) == (True, 2.5, "geheim")
    assert not settings.allows_http_links


@pytest.mark.parametrize("name, value", [
    ("SMTP_URL", "http://mail.example.org"),
    ("PUBLISHING_BASE_URL", "ftp://vorort.example"),
    ("SMTP_RATE_PER_SECOND", "schnell"),
    ("SMTP_RATE_PER_SECOND", "-1"),
])
def test_nonsense_is_refused_at_start(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        PublishingSettings.from_env()
    assert name in str(error.value)


def test_production_needs_its_own_secret_and_https_links(monkeypatch):
    monkeypatch.setenv("VORORT_ENV", "production")
    monkeypatch.setenv("VORORT_JWT_SECRET", "jwt")
    monkeypatch.setenv("PUBLISHING_BASE_URL", "https://vorort.innenstadt-nrw.example")
    with pytest.raises(SettingsError, match="PUBLISHING_SECRET"):
        PublishingSettings.from_env()
    monkeypatch.setenv("PUBLISHING_SECRET", "geheim")
    monkeypatch.setenv("PUBLISHING_BASE_URL", "http://vorort.innenstadt-nrw.example")
    with pytest.raises(SettingsError, match="https"):
        PublishingSettings.from_env()
