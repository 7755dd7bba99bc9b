"""Bad input gets a clear 4xx and never a 500 (issue 11, part 4).

Every registered /api/v1 route (and the feed routes) is sent ids past 32 bits, NUL bytes,
LIKE wildcards, deeply nested JSON and wrongly typed fields; every answer must be a 4xx (or a
2xx where the input happens to be acceptable), and an API error must come in the envelope.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from booking_helpers import case_body, dept_ids, tokens
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as Db
from werkzeug.routing import Rule

from booking.clock import FixedClock

HUGE_IDS = ["2147483648", "9223372036854775808", "18446744073709551616", "9" * 40]
HOSTILE_SEGMENTS = ["%00", "x%00y", "%25", "%", "_", "%C0%80", "%FF", "²", "١٢", "true", "x" * 3000]
QUERY_NAMES = [
    "q",
    "from",
    "to",
    "term",
    "forum",
    "kind",
    "limit",
    "offset",
    "status",
    "category",
    "department_id",
    "received_from",
    "received_to",
]
QUERY_VALUES = [
    "%00",
    "a%00b",
    "%",
    "_",
    "%FF",
    "true",
    "2147483648",
    "-1",
    "1e400",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "[]",
    "x" * 3000,
]
BODY_KEYS = [
    "kind",
    "ref",
    "title",
    "due_date",
    "owner_department_id",
    "owner_name",
    "owner_email",
    "description",
    "visible_to_customer",
    "slot",
    "status",
    "note",
    "reason",
    "override_reason",
    "representatives",
    "convener_id",
    "org_name",
    "contact_email",
    "department_ids",
    "received_at",
]
BODY_VALUES: list[Any] = [
    None,
    True,
    2**31,
    2**63,
    2**64,
    -(2**63) - 1,
    1e308,
    "\x00",
    "a\x0bb",
    "\ud800",
    "0001-01-01",
    "2026-02-30",
    "x" * 3000,
    [],
    {},
    [None],
    {"a": [1, {"b": None}]},
]
RAW_BODIES = [
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b"[" * 100_000,
    b"\x00",
    b"\xff\xfe",
    b'"\\ud800"',
    b"1e999999",
    b"null",
    b"[]",
    b'{"title": "\\u0000"}',
]


@pytest.fixture
def world(client: FlaskClient, seeded: Db, clock: FixedClock) -> dict[str, Any]:
    auth = tokens(seeded, clock)
    admin = auth["admin"]
    case = client.post("/api/v1/cases", json=case_body(seeded), headers=admin).get_json()
    meeting = client.post(f"/api/v1/cases/{case['id']}/booking", json={}, headers=admin).get_json()
    return {
        "headers": admin,
        "case_id": case["id"],
        "meeting_id": meeting["id"],
        "department_id": dept_ids(seeded, "stadsbyggnad")[0],
    }


def _valid(name: str, world: dict[str, Any]) -> str:
    return {
        "case_id": str(world["case_id"]),
        "meeting_id": str(world["meeting_id"]),
        "point_id": "1",
        "kind": "department",
        "ref": "stadsbyggnad",
        "slug": "mora",
        "segment": "departments",
        "token": "A" * 43,
    }.get(name, "1")


def _url(rule: Rule, values: dict[str, str]) -> str:
    url = ""
    for converter, part in rule._trace:  # (is_dynamic, text) pairs, the host part first
        if converter:
            url += values[part]
        else:
            url += part
    return url.split("|", 1)[1]


def _routes(app: Flask, prefix: str) -> Iterator[tuple[Rule, str]]:
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or rule.rule.endswith("openapi.json"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _requests(rule: Rule, method: str, world: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(url, body) pairs: hostile path values, query strings and bodies."""
    valid = {name: _valid(name, world) for name in rule.arguments}
    base = _url(rule, valid)
    body_default: Any = {} if method != "GET" else None
    for name in rule.arguments:
        for value in HUGE_IDS + HOSTILE_SEGMENTS:
            yield _url(rule, valid | {name: value}), body_default
    if method == "GET":
        for key in QUERY_NAMES:
            for value in QUERY_VALUES:
                yield f"{base}?{key}={value}", None
        return
    for raw in RAW_BODIES:
        yield base, raw
    for key in BODY_KEYS:
        for value in BODY_VALUES:
            yield base, {key: value}


def _send(client: FlaskClient, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    if isinstance(body, bytes):
        return client.open(
            url, method=method, data=body, headers=headers, content_type="application/json"
        )
    if body is None:
        return client.open(url, method=method, headers=headers)
    data = json.dumps(body, allow_nan=True)
    return client.open(
        url, method=method, data=data, headers=headers, content_type="application/json"
    )


@pytest.mark.slow
def test_no_api_route_answers_hostile_input_with_a_5xx(
    app: Flask, client: FlaskClient, seeded: Db, world: dict[str, Any]
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as a 500, not a traceback
    failures: list[str] = []
    count = 0
    for rule, method in _routes(app, "/api/v1/"):
        for url, body in _requests(rule, method, world):
            count += 1
            response = _send(client, method, url, body, world["headers"])
            shown = repr(body)[:60]
            if response.status_code >= 500:
                failures.append(f"{method} {url[:120]} {shown} -> {response.status_code}")
            elif response.status_code >= 400:
                payload = response.get_json(silent=True)
                if not (isinstance(payload, dict) and set(payload) == {"error"}):
                    failures.append(f"{method} {url[:120]} {shown}: no error envelope")
    assert count > 2000
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} in all)"


def test_no_feed_route_answers_hostile_input_with_a_5xx(
    app: Flask, client: FlaskClient, seeded: Db, world: dict[str, Any]
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failures = []
    for rule, method in _routes(app, "/feeds/"):
        valid = {name: _valid(name, world) for name in rule.arguments}
        for name in rule.arguments:
            for value in HUGE_IDS + HOSTILE_SEGMENTS:
                url = _url(rule, valid | {name: value})
                response = client.open(url, method=method)
                if response.status_code >= 500:
                    failures.append(f"{method} {url[:120]} -> {response.status_code}")
    assert not failures, "\n".join(failures[:60])


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"org_name": "Bageri\x0bDalarna"}, "org_name", "control_character"),
        ({"description": "Färg \x1b[31m röd"}, "description", "control_character"),
        ({"contact_email": "eva@cafe.example, bcc@evil.example"}, "contact_email", "bad_email"),
        ({"contact_email": "eva@cafe.example\r\nBcc: x@evil.example"}, "contact_email", ""),
        ({"department_ids": [True]}, "department_ids.0", ""),
        ({"received_at": "0001-01-01T10:00:00+00:00"}, "received_at", "date_out_of_range"),
    ],
)
def test_case_input_refused_at_the_edge(
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    change: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    headers = tokens(seeded, clock)["coordinator"]
    response = client.post("/api/v1/cases", json=case_body(seeded) | change, headers=headers)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert field in error["details"], error
    assert client.get("/api/v1/cases", headers=headers).get_json()["total"] == 0


def test_word_line_breaks_become_newlines(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    headers = tokens(seeded, clock)["coordinator"]
    body = case_body(seeded, description="Rad ett\x0bRad två\r\nRad tre")
    created = client.post("/api/v1/cases", json=body, headers=headers).get_json()
    assert created["description"] == "Rad ett\nRad två\nRad tre"


def test_search_wildcards_match_themselves_and_query_ids_are_strict(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    headers = tokens(seeded, clock)["coordinator"]
    client.post("/api/v1/cases", json=case_body(seeded), headers=headers)
    client.post("/api/v1/cases", json=case_body(seeded, org_name="100% Bygg_AB"), headers=headers)
    found = lambda q: client.get(f"/api/v1/cases?q={q}", headers=headers).get_json()  # noqa: E731
    assert found("%25")["total"] == 1 and found("%25")["cases"][0]["org_name"] == "100% Bygg_AB"
    assert found("_")["total"] == 1
    assert found("g_a")["total"] == 1  # "Bygg_AB" lower-cased
    for bad in ("department_id=true", "department_id=2147483648", "received_from=0001-01-01"):
        response = client.get(f"/api/v1/cases?{bad}", headers=headers)
        assert response.status_code == 422, (bad, response.get_json())
    response = client.get("/api/v1/cases?q=%00", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_parameter"
