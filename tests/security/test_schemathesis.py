"""Attack 10: schemathesis against every service's OpenAPI document, with its default checks: no 5xx,
every response conforms to the document. Calls carry a staff token (the role that reaches the most).

Cases are drawn with schemathesis's Hypothesis strategies per operation and run through
`case.call_and_validate`, against each service's WSGI app on a fresh PostgreSQL database.

One default check is left out: `positive_data_acceptance` demands a 2xx for every schema-valid body, but
rules across fields and state (a closing time after the opening time, a call that is not open) cannot be
written in OpenAPI, and refusing such a request with a 4xx naming the rule is the behaviour we want.
Its counterpart, `negative_data_rejection` (schema-invalid input must be refused), stays on.
"""
from __future__ import annotations

import importlib

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from support import bearer, settings
from vorort.authz import API_SERVICES

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "schemathesis")
EXAMPLES_PER_OPERATION = 10


@pytest.mark.parametrize("service", API_SERVICES)
def test_api_conforms_to_its_openapi_document(postgres, service):
    from shared.db import migrate

    module = importlib.import_module(f"services.{service}.app")
    url = postgres.create_database(f"fuzz_{service}")
    try:
        migrate(url, module.MIGRATIONS)
        app = module.create_app(settings(service, url, "127.0.0.1:1"))
        schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
        failures = []
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations
        for operation in operations:
            @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case):
                case.call_and_validate(headers=STAFF, excluded_checks=[positive_data_acceptance])

            try:
                check()
            except Exception as failure:  # noqa: BLE001 - collect every operation's failure, then report
                failures.append(f"{operation.method.upper()} {operation.path}: {str(failure)[:1500]}")
        assert not failures, "\n\n".join(failures)
    finally:
        postgres.drop_database(url)
