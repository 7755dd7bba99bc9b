"""Operations of the JSON API and the OpenAPI 3.1 document built from them.

``operation`` registers a view on the blueprint *and* in the document, with the pydantic models
that validate its query string and body and shape its answer: the document cannot drift from
what the code accepts and returns. Every /api/v1 route is registered this way
(tests/integration/test_schemathesis.py fails on a route the document does not name).

Path parameters named ``*_id`` are database ids (``<int:...>``); any other one is a string and
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

from flask import Response, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.json_schema import models_json_schema

from booking.api import api_bp
from booking.api.auth import can_write, require_user, requires
from booking.api.errors import ApiError, document_of
from booking.api.schemas import ErrorOut
from booking.domain.vocabulary import Role
from booking.services import idempotency
from booking.services.cases.registry import validation_details
from booking.services.errors import ServiceError
from booking.services.inputs import MAX_ID
from booking.web_support import get_db, now

# public: no credentials; read: any role; write: admin and coordinator; admin: administrators.
Access = Literal["public", "read", "write", "admin"]
REF = "#/components/schemas/{model}"


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


def _is_id(name: str) -> bool:
    return name.endswith("_id")


def _flask_rule(path: str) -> str:
    def rule(m: re.Match[str]) -> str:
        return f"<int:{m.group(1)}>" if _is_id(m.group(1)) else f"<{m.group(1)}>"

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
    untyped = [p for p in path_params if not _is_id(p) and p not in schemas]
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
            for name, value in params.items():
                if isinstance(value, int) and value > MAX_ID:
                    what = name.removesuffix("_id")
                    raise ApiError(404, "not_found", f"No {what} with id {value}.", {name: value})
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


# ---------------------------------------------------------------- the document

_ERRORS = {
    "400": "Malformed request (not JSON, bad query parameter).",
    "401": "No or invalid credentials.",
    "403": "The caller's role may not do this.",
    "404": "Unknown id.",
    "409": "Conflicts with the current state (slot taken, illegal status change).",
    "422": "Invalid input; details name each field.",
}
_NEEDS_CREDENTIALS = ("401", "403")
BEARER, COOKIE = "bearerAuth", "sessionCookie"


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Query parameters cannot be null: keep the non-null branch of an Optional."""
    branches = schema.get("anyOf")
    if branches:
        rest = [b for b in branches if b.get("type") != "null"]
        if len(rest) == 1:
            merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            merged.update(rest[0])
            return merged
    return {k: v for k, v in schema.items() if k != "default" or v is not None}


def _query_parameters(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    defs.update(schema.get("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _strip_null(prop),
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path).strip("/").replace("/", "_").replace("-", "_")
    words = words.replace(".", "_")
    return f"{op.method.lower()}_{words}"


def _path_schema(op: Operation, name: str) -> dict[str, Any]:
    if name in op.path_schemas:
        return op.path_schemas[name]
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _links(op: Operation, ids: dict[str, str]) -> dict[str, Any]:
    links: dict[str, Any] = {}
    for name, link in op.links.items():
        if link.target not in ids:
            raise LookupError(f"{op.key}: link {name!r} to unknown operation {link.target!r}")
        links[name] = {"operationId": ids[link.target], "parameters": dict(link.parameters)}
        if link.description:
            links[name]["description"] = link.description
    return links


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation_doc(op: Operation, defs: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": _path_schema(op, p)}
        for p in op.path_params
    ]
    if op.query is not None:
        params.extend(_query_parameters(op.query, defs))
    if op.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retry with the same key returns the first answer.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            }
        )
    success: dict[str, Any] = {"description": "OK" if op.response else "Done; no content."}
    if op.response is not None:
        success["content"] = _json({"$ref": REF.format(model=op.response.__name__)})
    if op.links:
        success["links"] = _links(op, ids)
    responses: dict[str, Any] = {str(op.status): success}
    error_ref = {"$ref": REF.format(model=ErrorOut.__name__)}
    for code, text in _ERRORS.items():
        if op.access == "public" and code in _NEEDS_CREDENTIALS:
            continue
        responses[code] = {"description": text, "content": _json(error_ref)}
    doc: dict[str, Any] = {
        "operationId": ids[op.key],
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": responses,
        "x-access": op.access,
    }
    if op.access == "public":
        doc["security"] = []  # no credentials needed (and none checked)
    if op.description:
        doc["description"] = op.description
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": _json({"$ref": REF.format(model=op.body.__name__)}),
        }
    return doc


def document(cookie_name: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered operation. The cookie security scheme
    names the web login's session cookie as the app sets it (``__Host-dorren`` in production)."""
    if cookie_name is None:
        cookie_name = current_app.config["SESSION_COOKIE_NAME"]
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (ErrorOut, "serialization")
    ]
    for op in OPERATIONS:
        if op.response is not None:
            models.append((op.response, "serialization"))
        if op.body is not None:
            models.append((op.body, "validation"))
    _, top = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    ids = {op.key: _operation_id(op) for op in OPERATIONS}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        doc = _operation_doc(op, defs, ids)
        paths.setdefault("/api/v1" + op.path, {})[op.method.lower()] = doc
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dörren in – booking API",
            "version": "1",
            "description": (
                "Cases, proposals and bookings for municipal business forums. Authenticate with "
                "'Authorization: Bearer <token>' (flask --app wsgi forum create-token) or the web "
                "login's session cookie. Admins and coordinators write; representatives and "
                "viewers read; feed tokens are for administrators. 'x-access' names who may "
                "call an operation (public: anyone)."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": defs,
            "securitySchemes": {
                BEARER: {"type": "http", "scheme": "bearer"},
                COOKIE: {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie_name,
                    "description": "The web login's session (log in at /login).",
                },
            },
        },
        "security": [{BEARER: []}, {COOKIE: []}],
        "paths": paths,
    }


class OpenApiDocumentOut(BaseModel):
    """This document (OpenAPI 3.1)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@operation(
    "GET",
    "/openapi.json",
    summary="This OpenAPI document",
    response=OpenApiDocumentOut,
    access="public",
    tag="meta",
)
def openapi_json() -> Response:
    return jsonify(document())


__all__ = ["OPERATIONS", "Link", "can_write", "document", "operation"]
