"""API tokens over the API: list and revoke (issue 11 part 3).

    GET    /api/v1/tokens[?email=user@example]   the caller's tokens; an administrator's: all
    DELETE /api/v1/tokens/<id>                   revoke at once (204); the token's next call: 401

The secret is never shown again (it is stored only as a hash); ``flask forum create-token``
makes one. Revoking is audited, naming the token and who revoked it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from booking.api import api_bp
from booking.api.auth import current_actor, require_user
from booking.models import ApiToken
from booking.services import api_tokens
from booking.web_support import get_db, now


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "user": {"id": token.user.id, "email": token.user.email},
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "active": token.revoked_at is None,
    }


@api_bp.get("/tokens")
def list_api_tokens() -> dict[str, Any]:
    viewer = require_user()
    email = (request.args.get("email") or "").strip()[:320] or None
    tokens = api_tokens.list_tokens(get_db(), viewer, email=email)
    return {"tokens": [token_out(t) for t in tokens]}


@api_bp.delete("/tokens/<int:token_id>")
def revoke_api_token(token_id: int) -> Response:
    api_tokens.revoke_token(get_db(), token_id, now=now(), actor=current_actor())
    return Response(status=204)
