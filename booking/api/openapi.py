"""Operations of the JSON API and the OpenAPI 3.1 document built from them.

``operation`` registers a view on the blueprint *and* in the document, with the pydantic models
that validate its query string and body and shape its answer: the document cannot drift from
what the code accepts and returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from booking.api import api_bp
from booking.api.auth import can_write, require_user, requires
from booking.api.errors import ApiError, document_of
from booking.api.schemas import ErrorOut
from booking.services import idempotency
from booking.services.booking import MAX_ID
from booking.services.cases import validation_details
from booking.services.errors import ServiceError
from booking.web_support import get_db, now

Access = Literal["read", "write"]
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI style: /cases/{case_id}
    summary: str
    response: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    access: Access = "read"
    idempotent: bool = False
    tag: str = "cases"
    description: str = ""
    path_params: tuple[str, ...] = field(default=())


OPERATIONS: list[Operation] = []

_PARAM = re.compile(r"\{(\w+)\}")


def _flask_rule(path: str) -> str:
    return _PARAM.sub(lambda m: f"<int:{m.group(1)}>", path)


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


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    response: type[BaseModel],
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    access: Access = "read",
    idempotent: bool = False,
    tag: str = "cases",
    description: str = "",
) -> Callable[[Callable[..., BaseModel]], Callable[..., Response | tuple[Response, int]]]:
    """Register an API operation. The view receives path ids, then ``body=``/``query=`` models,
    and returns the response model; errors are raised as service or API errors."""
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
        path_params=tuple(_PARAM.findall(path)),
    )
    OPERATIONS.append(op)

    def decorate(view: Callable[..., BaseModel]) -> Callable[..., Response | tuple[Response, int]]:
        @requires(access)
        @wraps(view)
        def handler(**ids: int) -> Response | tuple[Response, int]:
            for name, value in ids.items():
                if value > MAX_ID:
                    what = name.removesuffix("_id")
                    raise ApiError(404, "not_found", f"No {what} with id {value}.", {name: value})
            kwargs: dict[str, Any] = dict(ids)
            raw: Any = None
            if op.query is not None:
                kwargs["query"] = _parse_query(op.query)
            if op.body is not None:
                kwargs["body"], raw = _parse_body(op.body)
            key = request.headers.get("Idempotency-Key") if op.idempotent else None
            if key is None:
                return jsonify(view(**kwargs).model_dump(mode="json")), op.status
            return _idempotent(key, raw, lambda: view(**kwargs), op.status)

        api_bp.add_url_rule(
            _flask_rule(path), endpoint=view.__name__, view_func=handler, methods=[method]
        )
        return handler

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
        body, code = run().model_dump(mode="json"), status
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
    words = re.sub(r"[{}]", "", op.path).strip("/").replace("/", "_")
    return f"{op.method.lower()}_{words}"


def _operation_doc(op: Operation, defs: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {
            "name": p,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
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
    responses: dict[str, Any] = {
        str(op.status): {
            "description": "OK",
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=op.response.__name__)}}
            },
        }
    }
    error_ref = {"$ref": REF.format(model=ErrorOut.__name__)}
    for code, text in _ERRORS.items():
        responses[code] = {
            "description": text,
            "content": {"application/json": {"schema": error_ref}},
        }
    doc: dict[str, Any] = {
        "operationId": _operation_id(op),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": responses,
        "x-access": op.access,
    }
    if op.description:
        doc["description"] = op.description
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}
            },
        }
    return doc


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered operation."""
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (ErrorOut, "serialization")
    ]
    for op in OPERATIONS:
        models.append((op.response, "serialization"))
        if op.body is not None:
            models.append((op.body, "validation"))
    _, top = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault("/api/v1" + op.path, {})[op.method.lower()] = _operation_doc(op, defs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dörren in – booking API",
            "version": "1",
            "description": (
                "Cases, proposals and bookings for municipal business forums. Authenticate with "
                "'Authorization: Bearer <token>' (flask --app wsgi forum create-token) or the web "
                "login. Admins and coordinators write; representatives and viewers read."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{"bearerAuth": []}, {"session": []}],
        "paths": paths,
    }


@api_bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(document())


__all__ = ["OPERATIONS", "can_write", "document", "operation"]
