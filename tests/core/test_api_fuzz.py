"""Schemathesis over /api/v1/openapi.json: no generated request gets a 5xx or breaks the spec.

Every operation of the app's own spec is called with generated input, as an admin who belongs to
a brand that has a channel, a post, a tracked query, a label rule, a listening source, a mention
and a review, so that some calls reach real rows: each operation is run once with those ids fixed
and once with generated ids (huge ones included), and once with input that breaks the spec.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from core.db import db

pytestmark = pytest.mark.postgres

# Per operation and per kind of input (known ids, generated ids, input that breaks the
# spec): about 40 s for the whole API on a 2-core machine.
EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app(pg_app):
    """The users, brand and API clients of tests/conftest.py, on PostgreSQL."""
    return pg_app


def test_generated_requests_get_no_server_error_and_match_the_spec(app, api, seeded_ids, capsys):
    ids = seeded_ids
    headers = api["admin"].headers
    db.session.close()  # each request runs in an app context and a session of its own
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.update(headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()

    for operation in operations:
        known = {name: ids[name] for name in re.findall(r"{(\w+)}", operation.path)}
        strategies = [
            operation.as_strategy(path_parameters=known, headers=headers),
            operation.as_strategy(headers=headers),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers),
        ]
        for strategy in strategies:

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case) -> None:
                cases[case.operation.label] += 1
                response = contextvars.Context().run(case.call, headers=headers)
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as exc:  # every failure is listed, not only the first
                    failures.append(f"{case.operation.label}: {str(exc)[:1500]}")

            try:
                run()
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (no parameters, no body).
                assert strategy is strategies[-1], operation.label

    elapsed = time.monotonic() - started
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    with capsys.disabled():  # the figures are part of the suite's output
        print(
            f"\nschemathesis: {len(operations)} operations, {sum(cases.values())} cases, "
            f"{server_errors} server errors (5xx), statuses {dict(sorted(statuses.items()))}, "
            f"{elapsed:.0f} s"
        )
    assert len(operations) >= 45
    assert failures == []
    assert server_errors == 0
    # The admin's token worked and the known ids reached real rows, not only 401s and 404s.
    assert statuses[401] == 0
    assert statuses[200] + statuses[201] + statuses[204] > 3 * len(operations)
