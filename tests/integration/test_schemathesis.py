"""Property-based API test: schemathesis generates requests from /api/v1/openapi.json.

Bounded (MAX_EXAMPLES per operation). Every answer must be no 5xx, a documented status code,
JSON, and valid against the response schema in the document; a call without credentials must
be refused.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from booking_helpers import case_body, tokens
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock

MAX_EXAMPLES = 25
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
)

schemathesis.experimental.OPEN_API_3_1.enable()


def test_openapi_document_describes_every_operation(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    assert set(paths["/api/v1/cases"]) == {"get", "post"}
    booking = paths["/api/v1/cases/{case_id}/booking"]["post"]
    assert booking["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookingRequest"
    }
    assert any(p["name"] == "Idempotency-Key" for p in booking["parameters"])
    case_input = doc["components"]["schemas"]["CaseInput"]
    assert "department_ids" in case_input["required"]
    assert case_input["properties"]["department_ids"]["minItems"] == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_no_server_errors_and_responses_match_the_schema(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    headers = tokens(seeded, clock)["coordinator"]
    client = app.test_client()
    # Some real data so generated ids sometimes hit something.
    for slugs in (("stadsbyggnad",), ("brandkar", "polisen")):
        created = client.post("/api/v1/cases", json=case_body(seeded, *slugs), headers=headers)
        assert created.status_code == 201
    client.post("/api/v1/cases/1/booking", json={}, headers=headers)

    schema = schemathesis.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    failures: list[str] = []
    for operation in operations:
        strategy = operation.as_strategy()

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, small_id=st.integers(min_value=1, max_value=3))
        def run(case: Any, small_id: int) -> None:
            if case.path_parameters:
                # Half the time aim at existing rows, so deeper code runs too.
                for name in case.path_parameters:
                    if small_id != 3:
                        case.path_parameters[name] = small_id
            case.headers = {**(case.headers or {}), **headers}
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect per operation, report all at once
            inner = getattr(exc, "exceptions", ())
            failures.append(f"{operation.method.upper()} {operation.path}: {exc} {inner}")
    assert not failures, "\n\n".join(failures)
