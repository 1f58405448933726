"""Staff accounts: created with `vorort staff add`, argon2 hashes, throttled logins."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from services.admin import accounts
from services.admin.db import StaffStore
from shared.db import make_engine
from vorort.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def admin_db(pg_database, monkeypatch):
    url = pg_database("admin")
    monkeypatch.setenv("ADMIN_DATABASE_URL", url)
    return StaffStore(make_engine(url))


def test_staff_add_creates_an_account_that_can_log_in(admin_db):
    result = CliRunner().invoke(main, ["staff", "add", "Carla.Beispiel", "--password", "sehr-geheimes-wort",
                                       "--name", "Carla Beispiel"])
    assert result.exit_code == 0, result.output
    logged_in = accounts.log_in(admin_db, "carla.beispiel", "sehr-geheimes-wort", "192.0.2.1")
    assert logged_in.staff == accounts.Staff("carla.beispiel", "Carla Beispiel")
    assert logged_in.staff.token_subject == "admin:carla.beispiel"
    assert "carla.beispiel" in CliRunner().invoke(main, ["staff", "list"]).output


def test_passwords_are_stored_as_argon2_hashes(admin_db):
    accounts.add_staff(admin_db, "dora.beispiel", "sehr-geheimes-wort")
    stored = admin_db.account("dora.beispiel").password_hash
    assert stored.startswith("$argon2id$") and "sehr-geheimes-wort" not in stored


def test_staff_add_refuses_a_short_password_and_a_second_account_of_the_same_name(admin_db):
    short = CliRunner().invoke(main, ["staff", "add", "emil.beispiel", "--password", "kurz"])
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    assert CliRunner().invoke(main, ["staff", "add", "emil.beispiel", "--password", "lang-genug-123"]).exit_code == 0
    again = CliRunner().invoke(main, ["staff", "add", "emil.beispiel", "--password", "lang-genug-456"])
    assert again.exit_code != 0 and "already" in again.output


def test_a_new_password_replaces_the_old_one(admin_db):
    accounts.add_staff(admin_db, "fritz.beispiel", "altes-passwort-123")
    result = CliRunner().invoke(main, ["staff", "set-password", "fritz.beispiel", "--password", "neues-passwort-456"])
    assert result.exit_code == 0, result.output
    assert accounts.log_in(admin_db, "fritz.beispiel", "altes-passwort-123", "192.0.2.1").staff is None
    assert accounts.log_in(admin_db, "fritz.beispiel", "neues-passwort-456", "192.0.2.1").staff is not None


def test_five_failures_block_a_username_from_an_address_for_fifteen_minutes(admin_db):
    accounts.add_staff(admin_db, "greta.beispiel", "richtiges-passwort")
    start = datetime(2026, 6, 15, 10, 0, tzinfo=timezone.utc)
    for minute in range(5):
        result = accounts.log_in(admin_db, "greta.beispiel", "falsch", "192.0.2.7", now=start + timedelta(minutes=minute))
        assert result.staff is None and not result.throttled
    blocked = accounts.log_in(admin_db, "greta.beispiel", "richtiges-passwort", "192.0.2.7",
                              now=start + timedelta(minutes=6))
    assert blocked.throttled
    elsewhere = accounts.log_in(admin_db, "greta.beispiel", "richtiges-passwort", "198.51.100.3",
                                now=start + timedelta(minutes=6))
    assert elsewhere.staff is not None
    later = accounts.log_in(admin_db, "greta.beispiel", "richtiges-passwort", "192.0.2.7",
                            now=start + timedelta(minutes=15, seconds=1))
    assert later.staff is not None


def test_unknown_usernames_count_as_failures_too(admin_db):
    now = datetime(2026, 6, 15, 10, 0, tzinfo=timezone.utc)
    for _ in range(5):
        assert accounts.log_in(admin_db, "niemand", "raten", "192.0.2.9", now=now).staff is None
    assert accounts.log_in(admin_db, "niemand", "raten", "192.0.2.9", now=now).throttled
