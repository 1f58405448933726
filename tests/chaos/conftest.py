import os

import pytest


@pytest.fixture(scope="session")
def chaos_scale() -> str:
    """`short` in `make test` (CI), `full` in `make chaos`."""
    return os.environ.get("VORORT_CHAOS", "short")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A scenario's figures travel with its report (also from a pytest-xdist worker) to the run's summary."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        from chaos_support import FIGURES

        report.user_properties.extend(("chaos figures", line) for line in FIGURES)
        FIGURES.clear()


@pytest.fixture(scope="session")
def kafka_broker():
    """The fault scenarios' own broker, which they kill and stop: the session's broker (and the session's
    platform on it, which the browser and end-to-end tests share) never sees these faults. Seen before: a
    platform worker whose group coordinator was killed twice rejoined too late for a later test."""
    from support import KafkaHandle

    handle = KafkaHandle.started("vorort-kafka-chaos-")
    yield handle
    handle.broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker) -> str:
    return kafka_broker.bootstrap_servers


@pytest.fixture
def tally_db(postgres):
    """A fresh database for the counting consumer (tests/chaos/counting_consumer.py): url and engine."""
    import sys

    from sqlalchemy import create_engine

    from shared.config import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / "tests" / "chaos"))
    from counting_consumer import metadata

    url = postgres.create_database("tally")
    engine = create_engine(url)
    metadata.create_all(engine)
    yield url, engine
    engine.dispose()
    postgres.drop_database(url)
