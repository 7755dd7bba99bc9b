"""Feed tokens over the API (administrators only): list, create, rotate, revoke.

    GET    /api/v1/feed-tokens[?kind=department]
    POST   /api/v1/feed-tokens                      {"kind": "department", "ref": "stadsbyggnad"}
    POST   /api/v1/feed-tokens/<kind>/<ref>/rotate
    DELETE /api/v1/feed-tokens/<kind>/<ref>

A new or rotated token is returned once, as the feed's https and webcal links.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from booking.api import api_bp
from booking.api.auth import require_user
from booking.api.errors import ApiError
from booking.models import Role, User
from booking.services import feed_tokens
from booking.web_support import get_db, now, settings


def _require_admin() -> User:
    user = require_user()
    if user.role != Role.ADMIN:
        raise ApiError(403, "forbidden", "Only administrators manage feed tokens.")
    return user


def _links(kind: str, token: str) -> dict[str, str]:
    url = settings().public_base_url + feed_tokens.feed_path(kind, token)
    return {"url": url, "webcal": "webcal://" + url.split("://", 1)[1]}


def _subject(kind: str, ref: str) -> int:
    subject_id, _ = feed_tokens.resolve_subject(get_db(), kind, ref)
    return subject_id


@api_bp.get("/feed-tokens")
def list_feed_tokens() -> dict[str, Any]:
    _require_admin()
    kind = request.args.get("kind") or None
    if kind is not None and kind not in feed_tokens.PRIVATE_KINDS:
        raise ApiError(400, "bad_parameter", f"kind must be one of {feed_tokens.PRIVATE_KINDS}.")
    return {
        "feed_tokens": [
            {
                "feed_key": t.feed_key,
                "kind": t.kind,
                "subject_id": t.subject_id,
                "label": t.label,
                "active": t.active,
                "created_at": t.created_at.isoformat(),
                "rotated_at": t.rotated_at.isoformat() if t.rotated_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in feed_tokens.list_tokens(get_db(), kind)
        ]
    }


@api_bp.post("/feed-tokens")
def create_feed_token() -> tuple[dict[str, Any], int]:
    user = _require_admin()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not payload.get("kind") or not payload.get("ref"):
        raise ApiError(400, "bad_request", 'Send JSON {"kind": ..., "ref": ...}.')
    kind, ref = str(payload["kind"]), str(payload["ref"])
    subject_id = _subject(kind, ref)
    token = feed_tokens.create(
        get_db(), kind, subject_id, settings().secret_key, now(), actor=user.email
    )
    return {"feed_key": feed_tokens.feed_key(kind, subject_id), **_links(kind, token)}, 201


@api_bp.post("/feed-tokens/<kind>/<ref>/rotate")
def rotate_feed_token(kind: str, ref: str) -> dict[str, Any]:
    _require_admin()
    subject_id = _subject(kind, ref)
    token = feed_tokens.rotate(get_db(), kind, subject_id, settings().secret_key, now())
    return {"feed_key": feed_tokens.feed_key(kind, subject_id), **_links(kind, token)}


@api_bp.delete("/feed-tokens/<kind>/<ref>")
def revoke_feed_token(kind: str, ref: str) -> Response:
    _require_admin()
    feed_tokens.revoke(get_db(), kind, _subject(kind, ref), now())
    return Response(status=204)
