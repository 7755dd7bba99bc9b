"""Property-based API test: schemathesis generates requests from /api/v1/openapi.json.

* The document names every /api/v1 route the app serves (a new undocumented route fails here).
* Every operation is called by three callers: a coordinator token, a viewer token and no
  credentials (and the administrators' operations also by an admin token). Every answer must be
  no 5xx, a documented status code, JSON where JSON is documented, and valid against the
  documented response schema; without credentials only public operations may succeed.
* The OpenAPI links chain create case → propose/book → reschedule → cancel: walked once by hand
  (deterministic) and by schemathesis's state machine.

Bounded (MAX_EXAMPLES per operation and caller, a few short stateful runs) and deterministic
(derandomize, no example database): a few tens of seconds on two cores.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from booking_helpers import case_body
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, rule
from schemathesis import DataGenerationMethod, GenerationConfig
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.services.access.api_tokens import create_token
from booking.services.demo import DEMO_LOGINS

MAX_EXAMPLES = 40
STATEFUL_EXAMPLES = 30
STATEFUL_STEPS = 10
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
)
API = "/api/v1"
MOVES = {f"{API}/cases/{{case_id}}/booking", f"{API}/meetings/{{meeting_id}}/reschedule"}
CALLERS = ("coordinator", "viewer", "anonymous", "admin")
HYPOTHESIS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

schemathesis.experimental.OPEN_API_3_1.enable()


def _schema(app: Flask, methods: list[DataGenerationMethod] | None = None) -> Any:
    """Positive and negative requests; credentials only as the caller sends them (schemathesis
    would otherwise make up an Authorization header and session cookie of its own)."""
    return schemathesis.from_wsgi(
        f"{API}/openapi.json",
        app,
        data_generation_methods=methods or DataGenerationMethod.all(),
        generation_config=GenerationConfig(with_security_parameters=False),
    )


def _document(client: FlaskClient) -> dict[str, Any]:
    doc: dict[str, Any] = client.get(f"{API}/openapi.json").get_json()
    return doc


def _served_routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, /api/v1/path/{param}) of every route the app serves under /api/v1."""
    served = set()
    for route in app.url_map.iter_rules():
        if not route.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", route.rule)
        for method in (route.methods or set()) - {"HEAD", "OPTIONS"}:
            served.add((method, path))
    return served


def test_the_document_names_every_api_route(app: Flask) -> None:
    doc = _document(app.test_client())
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    served = _served_routes(app)
    assert len(served) >= 27
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "documented operations the app does not serve"


def test_openapi_document_describes_every_operation(app: Flask) -> None:
    doc = _document(app.test_client())
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

    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    for path, ops in paths.items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op["summary"] and op["responses"], where
            assert op["x-access"] in ("public", "read", "write", "admin"), where
            named = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert named == set(re.findall(r"\{(\w+)\}", path)), where
            success = [c for c in op["responses"] if c.startswith("2")]
            assert len(success) == 1, where
            if op["x-access"] == "public":
                assert op["security"] == [] and "401" not in op["responses"], where
            else:
                assert "security" not in op and "401" in op["responses"], where
    sessions = paths["/api/v1/forums/{slug}/sessions"]["get"]
    assert {p["name"] for p in sessions["parameters"]} == {"slug", "from", "to"}
    assert paths["/api/v1/feed-tokens"]["post"]["x-access"] == "admin"
    assert "content" not in paths["/api/v1/tokens/{token_id}"]["delete"]["responses"]["204"]
    followup = paths["/api/v1/cases/{case_id}/followup"]["post"]["requestBody"]
    assert followup["content"]["application/json"]["schema"]["$ref"].endswith("/PointIn")


def test_links_lead_from_a_new_case_to_booking_reschedule_and_cancel(app: Flask) -> None:
    doc = _document(app.test_client())
    by_id = {
        op["operationId"]: (method.upper(), path)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    }

    def targets(method: str, path: str, status: str) -> dict[str, tuple[str, str, dict[str, str]]]:
        links = doc["paths"][path][method.lower()]["responses"][status].get("links", {})
        return {
            name: (*by_id[link["operationId"]], link["parameters"]) for name, link in links.items()
        }

    created = targets("POST", "/api/v1/cases", "201")
    assert created["Book"] == (
        "POST",
        "/api/v1/cases/{case_id}/booking",
        {"case_id": "$response.body#/id"},
    )
    assert created["Proposals"][:2] == ("GET", "/api/v1/cases/{case_id}/proposals")
    proposed = targets("GET", "/api/v1/cases/{case_id}/proposals", "200")
    assert proposed["Book"][2] == {"case_id": "$response.body#/case_id"}
    booked = targets("POST", "/api/v1/cases/{case_id}/booking", "201")
    assert booked["Reschedule"] == (
        "POST",
        "/api/v1/meetings/{meeting_id}/reschedule",
        {"meeting_id": "$response.body#/id"},
    )
    moved = targets("POST", "/api/v1/meetings/{meeting_id}/reschedule", "200")
    assert moved["Cancel"][:2] == ("POST", "/api/v1/meetings/{meeting_id}/cancel")
    # Every link's parameters are parameters of its target, fed from a field of the answer.
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                for name, (_, target, params) in targets(method, path, status).items():
                    assert set(params) <= set(re.findall(r"\{(\w+)\}", target)), name
                    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
                    fields = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
                    for expression in params.values():
                        field = expression.removeprefix("$response.body#/")
                        assert field in fields["properties"], (name, expression)


def _follow(body: dict[str, Any], expression: str) -> Any:
    return body[expression.removeprefix("$response.body#/")]


def test_following_the_links_books_reschedules_and_cancels(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    """Walk create case → proposals → book → reschedule → cancel using only the links."""
    client = app.test_client()
    headers = _headers(seeded, clock)["coordinator"]
    doc = _document(client)

    def link(path: str, method: str, status: str, name: str) -> tuple[str, dict[str, str]]:
        found = doc["paths"][API + path][method]["responses"][status]["links"][name]
        target = next(
            p
            for p, ops in doc["paths"].items()
            for op in ops.values()
            if op["operationId"] == found["operationId"]
        )
        return target, found["parameters"]

    def url(template: str, params: dict[str, str], body: dict[str, Any]) -> str:
        return template.format(**{k: _follow(body, v) for k, v in params.items()})

    created = client.post(f"{API}/cases", json=case_body(seeded), headers=headers)
    assert created.status_code == 201
    target, params = link("/cases", "post", "201", "Proposals")
    proposals = client.get(url(target, params, created.get_json()), headers=headers)
    assert proposals.status_code == 200 and proposals.get_json()["proposals"]
    first_slot = proposals.get_json()["proposals"][0]["slot_id"]
    target, params = link("/cases/{case_id}/proposals", "get", "200", "Book")
    booked = client.post(
        url(target, params, proposals.get_json()), json={"slot": first_slot}, headers=headers
    )
    assert booked.status_code == 201, booked.get_json()
    target, params = link("/cases/{case_id}/booking", "post", "201", "Reschedule")
    moved = client.post(url(target, params, booked.get_json()), json={}, headers=headers)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["sequence"] > booked.get_json()["sequence"]
    assert moved.get_json()["uid"] == booked.get_json()["uid"]
    target, params = link("/meetings/{meeting_id}/reschedule", "post", "200", "Cancel")
    cancelled = client.post(
        url(target, params, moved.get_json()),
        json={"reason": "Kunden återkallade"},
        headers=headers,
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_cookie_scheme_names_the_session_cookie_the_app_sets(
    app: Flask, settings: object, clock: FixedClock
) -> None:
    doc = _document(app.test_client())
    schemes = doc["components"]["securitySchemes"]
    assert schemes["sessionCookie"]["name"] == app.config["SESSION_COOKIE_NAME"]
    from booking.app import create_app

    production = create_app(replace(settings, env="production"), clock=clock)  # type: ignore[type-var]
    try:
        prod_doc = _document(production.test_client())
        cookie = prod_doc["components"]["securitySchemes"]["sessionCookie"]
        assert cookie == {
            "type": "apiKey",
            "in": "cookie",
            "name": "__Host-dorren",
            "description": cookie["description"],
        }
        assert production.config["SESSION_COOKIE_NAME"] == "__Host-dorren"
    finally:
        production.extensions["engine"].dispose()


# ---------------------------------------------------------------- generated requests


def _headers(db: Db, clock: FixedClock) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ("coordinator", "admin", "viewer", "representative"):
        _, secret = create_token(db, DEMO_LOGINS[role], f"schemathesis {role}", now=clock.now())
        headers[role] = {"Authorization": f"Bearer {secret}"}
    return headers


@pytest.fixture
def world(app: Flask, seeded: Db, clock: FixedClock) -> Iterator[dict[str, Any]]:
    """Demo data, a caller token per role, two cases (one booked), a follow-up point and a feed
    token, so generated ids sometimes hit something; plus a token that may be revoked."""
    headers = _headers(seeded, clock)
    protected = _token_ids(app, headers)
    spare, _ = create_token(seeded, DEMO_LOGINS["coordinator"], "to revoke", now=clock.now())
    client = app.test_client()
    coordinator, admin = headers["coordinator"], headers["admin"]
    for slugs in (("stadsbyggnad",), ("brandkar", "polisen")):
        created = client.post(f"{API}/cases", json=case_body(seeded, *slugs), headers=coordinator)
        assert created.status_code == 201
    assert client.post(f"{API}/cases/1/booking", json={}, headers=coordinator).status_code == 201
    point = {"title": "Bygglov in", "due_date": "2026-12-15", "owner_name": "Eva Ek"}
    added = client.post(f"{API}/cases/1/followup", json=point, headers=coordinator)
    assert added.status_code == 201
    token = client.post(
        f"{API}/feed-tokens", json={"kind": "department", "ref": "stadsbyggnad"}, headers=admin
    )
    assert token.status_code == 201
    yield {
        "headers": headers,
        "protected": protected,
        "spare": spare.id,
        "case_body": case_body(seeded, "stadsbyggnad"),
    }


def _token_ids(app: Flask, headers: dict[str, dict[str, str]]) -> set[int]:
    listed = app.test_client().get(f"{API}/tokens", headers=headers["admin"]).get_json()
    return {t["id"] for t in listed["tokens"]}


_UNIQUE = itertools.count(1)
_SERIES_BODY = {
    "weekday": 1,
    "anchor_date": "2026-12-15",
    "every_weeks": 2,
    "start_time": "13:00",
    "end_time": "17:00",
}
# Forum setup (issue 15): generated bodies are almost never a coherent series (the anchor must
# fall on the weekday), so one call in three sends a valid one and the deeper code runs too.
VALID_SETUP_BODIES: dict[tuple[str, str], Any] = {
    ("POST", f"{API}/forums"): lambda: {
        "name": "Forum X",
        "slug": f"forum-x{next(_UNIQUE)}",
        "municipality": "X kommun",
    },
    ("PUT", f"{API}/forums/{{slug}}"): lambda: {
        "name": "Forum Mora",
        "slug": "mora",
        "municipality": "Mora kommun",
    },
    ("POST", f"{API}/forums/{{slug}}/series"): lambda: dict(_SERIES_BODY),
    ("POST", f"{API}/forums/{{slug}}/series/preview"): lambda: dict(_SERIES_BODY),
    ("PUT", f"{API}/series/{{series_id}}"): lambda: dict(_SERIES_BODY),
    ("POST", f"{API}/series/{{series_id}}/preview"): lambda: dict(_SERIES_BODY),
    ("POST", f"{API}/series/{{series_id}}/pauses"): lambda: {
        "reason": "extra",
        "start_date": f"2031-0{1 + next(_UNIQUE) % 9}-10",
        "end_date": f"2031-0{1 + next(_UNIQUE) % 9}-10",
    },
}


def _aim(case: Any, small_id: int, world: dict[str, Any]) -> None:
    """Two times in three aim path ids at existing rows, so deeper code runs too; one new case
    in three is a valid one (a made-up forum slug never is); never revoke the callers' own
    tokens (the spare one instead)."""
    # The auth check puts an invalid credential into these; schemathesis 3.39 needs dicts.
    case.headers = case.headers or {}
    case.cookies = case.cookies or {}
    if (case.method.upper(), case.path) == ("POST", f"{API}/cases") and small_id == 1:
        case.body = dict(world["case_body"])
    valid = VALID_SETUP_BODIES.get((case.method.upper(), case.path))
    if valid is not None and small_id == 1:
        case.body = valid()
    for name in case.path_parameters or {}:
        if small_id == 3:
            continue
        if name.endswith("_id"):
            case.path_parameters[name] = small_id
        elif name == "slug":
            case.path_parameters[name] = "mora"
        elif name == "ref":
            case.path_parameters[name] = str(small_id)
    token_id = (case.path_parameters or {}).get("token_id")
    if token_id in world["protected"]:
        case.path_parameters["token_id"] = world["spare"]


def _fuzz(
    operation: Any, headers: dict[str, str], world: dict[str, Any], refused: bool
) -> set[int]:
    """MAX_EXAMPLES generated calls of one operation; the status codes seen. ``refused``: every
    call must be refused (no credentials for an operation that needs them)."""
    seen: set[int] = set()

    @settings(HYPOTHESIS, max_examples=MAX_EXAMPLES)
    @given(case=operation.as_strategy(), small_id=st.integers(min_value=1, max_value=3))
    def run(case: Any, small_id: int) -> None:
        _aim(case, small_id, world)
        # Credentials as call headers: the auth check knows them as the caller's own.
        response = case.call_and_validate(headers=headers or None, checks=CHECKS)
        seen.add(response.status_code)
        if refused:
            # 401; or refused before any view: a control character (400), no route (404)
            assert response.status_code in (400, 401, 404), response.status_code

    run()
    return seen


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("caller", CALLERS)
def test_no_server_errors_and_responses_match_the_schema(
    app: Flask, world: dict[str, Any], caller: str
) -> None:
    headers = world["headers"][caller]
    schema = _schema(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_served_routes(app))
    if caller == "admin":  # the administrators' operations; the others run as coordinator
        operations = [op for op in operations if op.definition.raw["x-access"] == "admin"]
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        name = f"{operation.method.upper()} {operation.path}"
        refused = caller == "anonymous" and operation.definition.raw["x-access"] != "public"
        try:
            statuses[name] = _fuzz(operation, headers, world, refused)
        except Exception as exc:  # collect per operation, report all at once
            inner = getattr(exc, "exceptions", ())
            failures.append(f"{name}: {exc} {inner}")
    assert not failures, "\n\n".join(failures)
    if caller in ("coordinator", "admin"):  # generated requests also get through
        succeeded = {op for op, codes in statuses.items() if any(c < 300 for c in codes)}
        assert len(succeeded) >= len(statuses) // 2, sorted(set(statuses) - succeeded)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_stateful_links_create_book_reschedule_cancel(app: Flask, world: dict[str, Any]) -> None:
    """Schemathesis's state machine follows the links from a new case, as a coordinator."""
    chain = [
        "post_cases",
        "get_cases_case_id_proposals",
        "post_cases_case_id_booking",
        "get_meetings_meeting_id",
        "post_meetings_meeting_id_reschedule",
        "post_meetings_meeting_id_cancel",
    ]
    schema = _schema(app, [DataGenerationMethod.positive]).include(operation_id=chain)
    headers = world["headers"]["coordinator"]
    reached: set[tuple[str, str, int]] = set()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def _add_results_to_targets(self, targets: Any, results: list[Any]) -> None:
            """Hypothesis 6.1xx renamed the hook schemathesis 3.39 overrides to put a result
            into the bundle of the links it feeds (``_add_result_to_targets``); without this
            no link is ever followed."""
            for result in results:
                target = None if result is None else self._get_target_for_result(result)
                if target is not None:
                    super()._add_results_to_targets((target,), [result])

        @rule(target=Bundle("catch_all"))
        def register_a_valid_case(self) -> Any:
            """Always a way on: a made-up case is mostly refused, and a refused first step
            would leave schemathesis's machine without a rule it may run."""
            new = schema[f"{API}/cases"]["POST"].make_case(
                body=dict(world["case_body"]), media_type="application/json"
            )
            return self.step(new)

        def before_call(self, case: Any) -> None:
            _aim(case, 3, world)
            if case.path in MOVES and isinstance(case.body, dict) and "slot" in case.body:
                # A made-up slot id is unknown; the earliest free slot moves the chain on.
                del case.body["slot"]

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def after_call(self, response: Any, case: Any) -> None:
            reached.add((case.method.upper(), case.path, response.status_code))

        def validate_response(
            self, response: Any, case: Any, additional_checks: tuple[Any, ...] = ()
        ) -> None:
            case.validate_response(
                response, checks=CHECKS + tuple(additional_checks), headers=headers
            )

    Workflow.run(
        settings=settings(
            HYPOTHESIS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS
        )
    )
    done = {(method, path.removeprefix(API), status) for method, path, status in reached}
    assert ("POST", "/cases", 201) in done
    assert ("POST", "/cases/{case_id}/booking", 201) in done
    assert ("POST", "/meetings/{meeting_id}/reschedule", 200) in done
    assert ("POST", "/meetings/{meeting_id}/cancel", 200) in done


def test_follow_up_texts_longer_than_their_columns_are_refused(
    app: Flask, world: dict[str, Any]
) -> None:
    """Found by the generated requests on PostgreSQL: a 301-character title (a VARCHAR(300)
    column) was a DataError, a 500; now the edge refuses it with 422 naming the field."""
    client = app.test_client()
    headers = world["headers"]["coordinator"]
    for name, longest in (("title", 300), ("owner_name", 200), ("owner_email", 320)):
        body = {"title": "Bygglov", "due_date": "2026-12-15", "owner_name": "Eva Ek"}
        body[name] = "x" * (longest + 1)
        response = client.post(f"{API}/cases/1/followup", json=body, headers=headers)
        assert response.status_code == 422, (name, response.get_json())
        assert response.get_json()["error"]["details"] == {name: "too long"}
