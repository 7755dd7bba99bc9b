"""Operations of the JSON API: the ``operation`` decorator, which the OpenAPI document reads.

``operation`` registers a view on the blueprint *and* in OPERATIONS (booking.api.openapi builds
the document from them), with the pydantic models
that validate its query string and body and shape its answer: the document cannot drift from
what the code accepts and returns. Every /api/v1 route is registered this way
(tests/integration/test_schemathesis.py fails on a route the document does not name).

Path parameters named ``*_id`` are database ids (``<int:...>``, bounded by the app's converter,
so an id past the database's range is a 404); any other one is a string and
needs its JSON schema in ``path_schemas``. ``links`` name the operations an answer leads to
(OpenAPI links: create a case → book it → reschedule → cancel), for stateful testing and for
clients.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError

from booking.api import api_bp
from booking.api.auth import require_user, requires
from booking.api.errors import ApiError, document_of
from booking.domain.vocabulary import Role
from booking.services import idempotency
from booking.services.errors import ServiceError
from booking.services.inputs import validation_details
from booking.web_support import get_db, now

# public: no credentials; read: any role; write: admin and coordinator; admin: administrators.
Access = Literal["public", "read", "write", "admin"]


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: ``target`` is "METHOD /path" of another operation, ``parameters`` map its
    parameters to runtime expressions such as ``$response.body#/id``."""

    target: str
    parameters: dict[str, str]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI style: /cases/{case_id}
    summary: str
    response: type[BaseModel] | None  # None: 204 without a body
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    access: Access = "read"
    idempotent: bool = False
    tag: str = "cases"
    description: str = ""
    path_params: tuple[str, ...] = field(default=())
    path_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    parse: bool = True
    links: dict[str, Link] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


OPERATIONS: list[Operation] = []

_PARAM = re.compile(r"\{(\w+)\}")


def is_id(name: str) -> bool:
    return name.endswith("_id")


def _flask_rule(path: str) -> str:
    def rule(m: re.Match[str]) -> str:
        return f"<int:{m.group(1)}>" if is_id(m.group(1)) else f"<{m.group(1)}>"

    return _PARAM.sub(rule, path)


def _invalid(exc: ValidationError, where: str) -> ApiError:
    details = validation_details(exc)
    summary = "; ".join(f"{k}: {v}" for k, v in details.items())
    return ApiError(422, "invalid", f"Please correct the {where}: {summary}", details)


def _parse_body(model: type[BaseModel]) -> tuple[BaseModel, Any]:
    raw = request.get_json(silent=True)
    if not isinstance(raw, dict):
        raise ApiError(
            400,
            "bad_request",
            "Send a JSON object as the request body (Content-Type: application/json).",
        )
    try:
        return model.model_validate(raw), raw
    except ValidationError as exc:
        raise _invalid(exc, "request body") from None


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise _invalid(exc, "query parameters") from None


def _envelope_of(exc: ServiceError | ApiError) -> tuple[dict[str, Any], int]:
    return document_of(exc), exc.status


def _dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _require_admin() -> None:
    user = require_user()
    if user.role != Role.ADMIN:
        raise ApiError(
            403,
            "forbidden",
            f"Only administrators may do this; a {user.role.value} may not.",
            {"role": user.role.value},
        )


def _guarded(access: Access, handler: Callable[..., Any]) -> Callable[..., Any]:
    if access == "public":
        return handler
    checked = requires("read" if access == "admin" else access)(handler)
    if access != "admin":
        return checked

    @wraps(handler)
    def admin_only(**ids: Any) -> Any:
        _require_admin()
        return checked(**ids)

    return admin_only


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    response: type[BaseModel] | None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    access: Access = "read",
    idempotent: bool = False,
    tag: str = "cases",
    description: str = "",
    path_schemas: dict[str, dict[str, Any]] | None = None,
    parse: bool = True,
    links: dict[str, Link] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response | tuple[Response, int]]]:
    """Register an API operation. The view receives path parameters, then ``body=``/``query=``
    models, and returns the response model (or None for a 204, or a ready Response); errors are
    raised as service or API errors. ``parse=False``: the view reads the query string and body
    itself (with its own messages) and the models only describe them."""
    path_params = tuple(_PARAM.findall(path))
    schemas = dict(path_schemas or {})
    untyped = [p for p in path_params if not is_id(p) and p not in schemas]
    if untyped:
        raise TypeError(f"{method} {path}: give path_schemas for {untyped}")
    if response is None and status != 204:
        raise TypeError(f"{method} {path}: an operation without a response body answers 204")
    op = Operation(
        method=method,
        path=path,
        summary=summary,
        response=response,
        status=status,
        body=body,
        query=query,
        access=access,
        idempotent=idempotent,
        tag=tag,
        description=description,
        path_params=path_params,
        path_schemas=schemas,
        parse=parse,
        links=dict(links or {}),
    )
    OPERATIONS.append(op)

    def decorate(view: Callable[..., Any]) -> Callable[..., Response | tuple[Response, int]]:
        @wraps(view)
        def handler(**params: Any) -> Response | tuple[Response, int]:
            kwargs: dict[str, Any] = dict(params)
            raw: Any = None
            if op.parse and op.query is not None:
                kwargs["query"] = _parse_query(op.query)
            if op.parse and op.body is not None:
                kwargs["body"], raw = _parse_body(op.body)
            key = request.headers.get("Idempotency-Key") if op.idempotent else None
            if key is not None:
                return _idempotent(key, raw, lambda: view(**kwargs), op.status)
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(status=op.status)
            return jsonify(_dump(result)), op.status

        guarded = _guarded(access, handler)
        api_bp.add_url_rule(
            _flask_rule(path), endpoint=view.__name__, view_func=guarded, methods=[method]
        )
        return guarded

    return decorate


def _idempotent(
    key: str, raw: Any, run: Callable[[], BaseModel], status: int
) -> tuple[Response, int]:
    """Run once per Idempotency-Key; a retry gets the first answer (also a refusal)."""
    db = get_db()
    user = require_user()
    digest = idempotency.request_hash(request.method, request.path, raw)
    stored = idempotency.claim(db, user.id, key, digest, now=now())
    if stored is not None:
        response = jsonify(stored.response)
        response.headers["Idempotent-Replayed"] = "true"
        return response, stored.status_code
    try:
        body, code = _dump(run()), status
    except (ServiceError, ApiError) as exc:
        body, code = _envelope_of(exc)
    except BaseException:
        idempotency.release(db, user.id, key)
        raise
    idempotency.complete(db, user.id, key, code, body)
    return jsonify(body), code
