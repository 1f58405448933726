"""Every service's Alembic migrations produce exactly the tables its code declares (no drift)."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from shared.db import migrate

SERVICES = ["applications", "selection", "workshops", "publishing", "admin", "portal", "webhooks", "identity"]


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_declared_tables(service, tmp_path):
    app = importlib.import_module(f"services.{service}.app")
    db = importlib.import_module(f"services.{service}.db")
    url = f"sqlite:///{tmp_path / 'check.db'}"
    migrate(url, app.MIGRATIONS)
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    engine.dispose()
    tables = [d for d in differences if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
    assert not tables, f"run `vorort db revision {service} ...`: {tables}"
