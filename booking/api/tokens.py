"""API tokens over the API: list and revoke (issue 11 part 3).

    GET    /api/v1/tokens[?email=user@example]   the caller's tokens; an administrator's: all
    DELETE /api/v1/tokens/<id>                   revoke at once (204); the token's next call: 401

The secret is never shown again (it is stored only as a hash); ``flask forum create-token``
makes one. Revoking is audited, naming the token and who revoked it.
"""

from __future__ import annotations

from flask import request
from pydantic import BaseModel, Field

from booking.api.auth import current_actor, require_user
from booking.api.operations import operation
from booking.models import ApiToken
from booking.services.access import api_tokens
from booking.web_support import get_db, now


class TokensQuery(BaseModel):
    """Read by the view; here for the document."""

    email: str | None = Field(
        default=None, max_length=320, description="Only this user's tokens (administrators)."
    )


class TokenUserOut(BaseModel):
    id: int
    email: str


class TokenOut(BaseModel):
    id: int
    name: str
    user: TokenUserOut
    created_at: str
    revoked_at: str | None
    active: bool


class TokenListOut(BaseModel):
    tokens: list[TokenOut]


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        user=TokenUserOut(id=token.user.id, email=token.user.email),
        created_at=token.created_at.isoformat(),
        revoked_at=token.revoked_at.isoformat() if token.revoked_at else None,
        active=token.revoked_at is None,
    )


@operation(
    "GET",
    "/tokens",
    summary="API tokens: the caller's own; an administrator's: everyone's",
    response=TokenListOut,
    query=TokensQuery,
    parse=False,
    tag="auth",
)
def list_api_tokens() -> TokenListOut:
    viewer = require_user()
    email = (request.args.get("email") or "").strip()[:320] or None
    tokens = api_tokens.list_tokens(get_db(), viewer, email=email)
    return TokenListOut(tokens=[token_out(t) for t in tokens])


@operation(
    "DELETE",
    "/tokens/{token_id}",
    summary="Revoke an API token at once (any role: its own; an administrator: any)",
    description="Someone else's token answers 404, as an unknown one does.",
    response=None,
    status=204,
    tag="auth",
)
def revoke_api_token(token_id: int) -> None:
    api_tokens.revoke_token(get_db(), token_id, now=now(), actor=current_actor())
