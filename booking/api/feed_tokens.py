"""Feed tokens over the API (administrators only): list, create, rotate, revoke.

    GET    /api/v1/feed-tokens[?kind=department]
    POST   /api/v1/feed-tokens                      {"kind": "department", "ref": "stadsbyggnad"}
    POST   /api/v1/feed-tokens/<kind>/<ref>/rotate
    DELETE /api/v1/feed-tokens/<kind>/<ref>

A new or rotated token is returned once, as the feed's https and webcal links.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from booking.api.auth import require_user
from booking.api.operations import Link, operation
from booking.services.feeds import tokens as feed_tokens
from booking.services.inputs import Id, Input, Line
from booking.web_support import get_db, now, settings

Kind = Literal["department", "representative", "forum", "case"]  # feed_tokens.PRIVATE_KINDS

REF_HELP = "The subject's id, or its slug (department, forum), e-mail or case reference."
PATH: dict[str, dict[str, Any]] = {
    "kind": {"type": "string", "enum": list(get_args(Kind))},
    "ref": {"type": "string", "minLength": 1, "maxLength": 320, "description": REF_HELP},
}
_FEED = {"kind": "$response.body#/kind", "ref": "$response.body#/subject_id"}


class FeedTokenQuery(Input):
    kind: Kind | None = None


class FeedTokenIn(Input):
    kind: Kind
    ref: Line | Id = Field(description=REF_HELP)


class FeedTokenOut(BaseModel):
    feed_key: str
    kind: str
    subject_id: int
    label: str
    active: bool
    created_at: str
    rotated_at: str | None
    revoked_at: str | None


class FeedTokenListOut(BaseModel):
    feed_tokens: list[FeedTokenOut]


class FeedLinkOut(BaseModel):
    """The feed's links, shown this once: the token in them is stored only as a hash."""

    feed_key: str
    kind: str
    subject_id: int
    url: str
    webcal: str


def _links(kind: str, subject_id: int, token: str) -> FeedLinkOut:
    url = settings().public_base_url + feed_tokens.feed_path(kind, token)
    return FeedLinkOut(
        feed_key=feed_tokens.feed_key(kind, subject_id),
        kind=kind,
        subject_id=subject_id,
        url=url,
        webcal="webcal://" + url.split("://", 1)[1],
    )


def _subject(kind: str, ref: str) -> int:
    subject_id, _ = feed_tokens.resolve_subject(get_db(), kind, ref)
    return subject_id


@operation(
    "GET",
    "/feed-tokens",
    summary="Every private feed's token (never the secret itself)",
    response=FeedTokenListOut,
    query=FeedTokenQuery,
    access="admin",
    tag="feeds",
)
def list_feed_tokens(query: FeedTokenQuery) -> FeedTokenListOut:
    return FeedTokenListOut(
        feed_tokens=[
            FeedTokenOut(
                feed_key=t.feed_key,
                kind=t.kind,
                subject_id=t.subject_id,
                label=t.label,
                active=t.active,
                created_at=t.created_at.isoformat(),
                rotated_at=t.rotated_at.isoformat() if t.rotated_at else None,
                revoked_at=t.revoked_at.isoformat() if t.revoked_at else None,
            )
            for t in feed_tokens.list_tokens(get_db(), query.kind)
        ]
    )


@operation(
    "POST",
    "/feed-tokens",
    summary="Give a private feed a token; its links are shown this once",
    description="409 when the feed already has a token (rotate it instead).",
    response=FeedLinkOut,
    status=201,
    body=FeedTokenIn,
    access="admin",
    tag="feeds",
    links={
        "Rotate": Link("POST /feed-tokens/{kind}/{ref}/rotate", _FEED),
        "Revoke": Link("DELETE /feed-tokens/{kind}/{ref}", _FEED),
    },
)
def create_feed_token(body: FeedTokenIn) -> FeedLinkOut:
    user = require_user()
    subject_id = _subject(body.kind, str(body.ref))
    token = feed_tokens.create(
        get_db(), body.kind, subject_id, settings().secret_key, now(), actor=user.email
    )
    return _links(body.kind, subject_id, token)


@operation(
    "POST",
    "/feed-tokens/{kind}/{ref}/rotate",
    summary="Replace a feed's token: the old link stops working at once",
    response=FeedLinkOut,
    access="admin",
    tag="feeds",
    path_schemas=PATH,
    links={"Revoke": Link("DELETE /feed-tokens/{kind}/{ref}", _FEED)},
)
def rotate_feed_token(kind: str, ref: str) -> FeedLinkOut:
    subject_id = _subject(kind, ref)
    token = feed_tokens.rotate(get_db(), kind, subject_id, settings().secret_key, now())
    return _links(kind, subject_id, token)


@operation(
    "DELETE",
    "/feed-tokens/{kind}/{ref}",
    summary="Revoke a feed's token",
    response=None,
    status=204,
    access="admin",
    tag="feeds",
    path_schemas=PATH,
)
def revoke_feed_token(kind: str, ref: str) -> None:
    feed_tokens.revoke(get_db(), kind, _subject(kind, ref), now())
