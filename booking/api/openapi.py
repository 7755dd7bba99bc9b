"""The OpenAPI 3.1 document of /api/v1, built from the registered operations.

Every operation (booking.api.operations.operation) names its models, access and links; the
document cannot drift from what the code accepts and returns.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from flask import Response, current_app, jsonify
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from booking.api.operations import OPERATIONS, Operation, operation
from booking.api.schemas import ErrorOut
from booking.services.inputs import MAX_ID

REF = "#/components/schemas/{model}"

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
