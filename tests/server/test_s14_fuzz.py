"""S14: Schemathesis over the served OpenAPI document finds no 5xx and no schema violation.

Every operation is called with generated inputs by a user of its own, through the real hub.
Bounded: a few examples per operation, no shrinking. (Schemathesis' pytest plugin does not run
on pytest 9 yet, so the operations are driven with Hypothesis directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.hub import RunningHub

pytestmark = pytest.mark.hub

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 10
# The live channel is a WebSocket; its upgrade is tested in test_s5_websockets.
EXCLUDED = r"/live$"


def test_s14_no_server_error_and_no_schema_violation(hub: RunningHub) -> None:
    fuzzer = hub.new_user("fuzzer")
    schema = schemathesis.openapi.from_url(
        hub.api_url + "openapi.json", headers=fuzzer.headers, timeout=30
    ).exclude(path_regex=EXCLUDED)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=fuzzer.headers, checks=CHECKS, timeout=30)

        try:
            check()
        except Exception as e:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {e}")
    assert failures == [], "\n\n".join(failures)
