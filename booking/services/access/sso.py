"""Signing in with the municipality's account (OpenID Connect): who the user is here, and
with which role.

The identity provider (Entra ID, ADFS, Keycloak, ...) proves who signs in; the adapter
(booking.adapters.oidc, wired in by booking.app) checks the ID token and hands over an
:class:`Identity`. The rules are here:

- **Who**: the user whose ``sso_subject`` is the token's ``sub``; else, on the first single
  sign-on, the user with the same e-mail address (case-insensitive), who is linked to the
  subject from then on; else a new user. An e-mail address already linked to another subject
  is refused (two provider accounts cannot share one user here).
- **Inactive users are refused**, with a message to ask an administrator; the refusal is
  audited. Nothing else is written.
- **Role**: the administrators' rules (/admin/sso: "group X → role", "e-mail domain Y →
  role"); the highest matching role wins. A new user without a matching rule gets the lowest
  role, viewer. On later logins a matching rule sets the role (raises or lowers it, audited);
  without a matching rule an existing user keeps the role they have (one an administrator
  gave them by hand stands). A rule for the municipality's own e-mail domain → viewer is the
  floor that also takes a role away from someone who left every group.
- **Audit**: a user created, linked to a subject, given a new role, or refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import Role, SsoMatch
from booking.models import SsoRoleRule, User
from booking.services import audit

# Lowest first: the rank decides which of several matching rules wins.
ROLE_RANK: dict[Role, int] = {
    Role.RECEIVER: 0,
    Role.VIEWER: 1,
    Role.REPRESENTATIVE: 2,
    Role.COORDINATOR: 3,
    Role.ADMIN: 4,
}
# Whoever signs in with the municipality's account and matches no rule: any employee may pass
# a contact on to the forum (issue 14), and sees nothing else until a rule or an admin says so.
LOWEST_ROLE = Role.RECEIVER


@dataclass(frozen=True)
class Identity:
    """Who the identity provider says signs in (from a checked ID token)."""

    subject: str
    email: str
    name: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthRequest:
    """A sign-in under way: where to send the browser, and what the callback must match."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class SsoRefused(Exception):
    """Single sign-on did not let the user in. ``reason``: a stable name (the web layer says it
    in the user's language); the message is for the log and the audit trail."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class IdentityProvider(Protocol):
    """The port the OpenID Connect adapter implements (booking.adapters.oidc.OidcClient)."""

    def begin(self, redirect_uri: str) -> AuthRequest: ...

    def finish(
        self,
        *,
        code: str,
        redirect_uri: str,
        pending: AuthRequest,
        now: datetime,
        issuer_param: str | None = None,
    ) -> Identity: ...

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None: ...


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def mapped_role(identity: Identity, rules: Iterable[SsoRoleRule]) -> Role | None:
    """The highest role a rule gives this identity, or None when no rule matches."""
    groups = {g.casefold() for g in identity.groups}
    domain = email_domain(identity.email)
    best: Role | None = None
    for rule in rules:
        if rule.kind == SsoMatch.GROUP:
            matches = rule.value.casefold() in groups
        else:
            matches = bool(domain) and rule.value.lower() == domain
        if matches and (best is None or ROLE_RANK[rule.role] > ROLE_RANK[best]):
            best = rule.role
    return best


def _refuse(
    db: Session, identity: Identity, user: User | None, reason: str, message: str, now: datetime
) -> SsoRefused:
    audit.record(
        db,
        audit.Actor.system("sso"),
        "user",
        user.id if user is not None else None,
        "sso_refused",
        after={"subject": identity.subject, "email": identity.email, "reason": reason},
        note=message,
        at=now,
    )
    db.commit()
    return SsoRefused(reason, message)


def _find_user(db: Session, identity: Identity, now: datetime) -> User | None:
    user = db.scalar(select(User).where(User.sso_subject == identity.subject))
    if user is not None:
        return user
    user = db.scalar(select(User).where(func.lower(User.email) == identity.email))
    if user is not None and user.sso_subject not in (None, identity.subject):
        raise _refuse(
            db,
            identity,
            user,
            "email_taken",
            f"{identity.email} belongs to another account of the identity provider",
            now,
        )
    return user


def sign_in(db: Session, identity: Identity, *, now: datetime) -> User:
    """The user ``identity`` signs in as: found, linked or created, with the role the rules
    give; raises SsoRefused for an inactive user. Commits."""
    identity = Identity(
        identity.subject,
        identity.email.strip().lower(),
        identity.name.strip(),
        identity.groups,
    )
    if not identity.email or "@" not in identity.email:
        raise SsoRefused("no_email", "the identity provider sent no e-mail address (claim email)")
    user = _find_user(db, identity, now)
    if user is not None and not user.active:
        raise _refuse(db, identity, user, "inactive", f"{user.email} is not active", now)
    role = mapped_role(identity, db.scalars(select(SsoRoleRule)))
    actor = audit.Actor.system("sso")
    if user is None:
        user = User(
            email=identity.email,
            name=(identity.name or identity.email)[:200],
            role=role or LOWEST_ROLE,
            password_hash="",  # no password: this user signs in with the municipality's account
            sso_subject=identity.subject,
        )
        db.add(user)
        db.flush()
        audit.record(
            db,
            actor,
            "user",
            user.id,
            "create",
            after={"email": user.email, "name": user.name, "role": user.role},
            note=f"first single sign-on; groups: {', '.join(identity.groups) or '-'}",
            at=now,
        )
    else:
        if user.sso_subject is None:
            user.sso_subject = identity.subject
            audit.record(
                db,
                actor,
                "user",
                user.id,
                "sso_link",
                after={"sso_subject": identity.subject},
                note=f"{user.email} signed in with the identity provider the first time",
                at=now,
            )
        if role is not None and role != user.role:
            before = {"role": user.role}
            user.role = role
            audit.record(
                db,
                actor,
                "user",
                user.id,
                "role",
                before=before,
                after={"role": role},
                note=f"role from the single sign-on rules; groups: "
                f"{', '.join(identity.groups) or '-'}",
                at=now,
            )
    db.commit()
    return user
