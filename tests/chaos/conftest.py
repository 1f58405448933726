import os

import pytest


@pytest.fixture(scope="session")
def chaos_scale() -> str:
    """`short` in `make test` (CI), `full` in `make chaos`."""
    return os.environ.get("VORORT_CHAOS", "short")
