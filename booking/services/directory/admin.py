"""Administration of departments, representatives (absences, deputies) and users.

Every change is audited and, where feeds show the changed thing, tells meeting_events in the
same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from booking.domain.vocabulary import Role
from booking.models import Absence, Department, Forum, Representative, User
from booking.services import audit
from booking.services.access.login import end_sessions
from booking.services.access.users import hash_password
from booking.services.errors import Conflict, Forbidden, Invalid, NotFound
from booking.services.meetings import events as meeting_events

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


# ---------------------------------------------------------------- departments


@dataclass
class DepartmentData:
    name: str
    slug: str
    kind: str = "department"
    email: str = ""
    areas: list[str] = field(default_factory=list)
    capacity_per_session: int = 4
    forum_ids: list[int] = field(default_factory=list)
    active: bool = True


def list_departments(db: Session) -> list[Department]:
    return list(
        db.scalars(
            select(Department)
            .options(
                selectinload(Department.forums),
                selectinload(Department.representatives).selectinload(Representative.absences),
            )
            .order_by(Department.name)
        )
    )


def get_department(db: Session, department_id: int) -> Department:
    department = db.get(Department, department_id)
    if department is None:
        raise NotFound(f"No department with id {department_id}.")
    return department


def _department_snapshot(d: Department) -> dict[str, Any]:
    return {
        "name": d.name,
        "slug": d.slug,
        "kind": d.kind,
        "email": d.email,
        "areas": list(d.responsibility_areas or []),
        "capacity_per_session": d.capacity_per_session,
        "forums": sorted(f.slug for f in d.forums),
        "active": d.active,
    }


def save_department(
    db: Session, department_id: int | None, data: DepartmentData, actor: audit.Actor, now: datetime
) -> Department:
    """Create (``department_id`` None) or update a department."""
    slug = data.slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise Invalid(
            "The short name may hold lower-case letters a-z, digits and hyphens only.",
            {"slug": slug},
            reason="bad_slug",
        )
    clash = db.scalar(select(Department).where(Department.slug == slug))
    if clash is not None and clash.id != department_id:
        raise Conflict(
            f"Another department already uses the short name {slug}.",
            {"slug": slug},
            reason="slug_taken",
        )
    department = Department() if department_id is None else get_department(db, department_id)
    before = None if department_id is None else _department_snapshot(department)
    department.name = data.name.strip()
    department.slug = slug
    department.kind = data.kind
    department.email = data.email.strip()
    department.responsibility_areas = [a.strip() for a in data.areas if a.strip()]
    department.capacity_per_session = data.capacity_per_session
    department.active = data.active
    department.forums = list(db.scalars(select(Forum).where(Forum.id.in_(data.forum_ids))))
    if department_id is None:
        db.add(department)
    db.flush()
    audit.record(
        db,
        actor,
        "department",
        department.id,
        "create" if before is None else "update",
        before=before,
        after=_department_snapshot(department),
        at=now,
    )
    if before is not None:
        meeting_events.department_changed(db, department)
    for representative in department.representatives:
        meeting_events.representative_changed(db, representative, now)
    db.commit()
    return department


# ---------------------------------------------------------------- representatives


@dataclass
class RepresentativeData:
    name: str
    email: str
    department_id: int
    is_deputy: bool = False
    active: bool = True
    user_id: int | None = None


def get_representative(db: Session, representative_id: int) -> Representative:
    representative = db.scalar(
        select(Representative)
        .where(Representative.id == representative_id)
        .options(selectinload(Representative.absences), selectinload(Representative.department))
    )
    if representative is None:
        raise NotFound(f"No representative with id {representative_id}.")
    return representative


def _rep_snapshot(r: Representative) -> dict[str, Any]:
    return {
        "name": r.name,
        "email": r.email,
        "department_id": r.department_id,
        "is_deputy": r.is_deputy,
        "active": r.active,
        "user_id": r.user_id,
    }


def save_representative(
    db: Session,
    representative_id: int | None,
    data: RepresentativeData,
    actor: audit.Actor,
    now: datetime,
) -> Representative:
    get_department(db, data.department_id)
    email = data.email.strip().lower()
    if "@" not in email:
        raise Invalid(f"{email!r} is not an e-mail address.", {"email": email}, reason="bad_email")
    if data.user_id is not None and db.get(User, data.user_id) is None:
        raise NotFound(f"No user with id {data.user_id}.")
    if representative_id is None:
        representative = Representative(calendar_address=f"mailto:{email}")
        before = None
    else:
        representative = get_representative(db, representative_id)
        before = _rep_snapshot(representative)
        if representative.calendar_address in ("", f"mailto:{representative.email}"):
            representative.calendar_address = f"mailto:{email}"
    representative.name = data.name.strip()
    representative.email = email
    representative.department_id = data.department_id
    representative.is_deputy = data.is_deputy
    representative.active = data.active
    representative.user_id = data.user_id
    if representative_id is None:
        db.add(representative)
    db.flush()
    audit.record(
        db,
        actor,
        "representative",
        representative.id,
        "create" if before is None else "update",
        before=before,
        after=_rep_snapshot(representative),
        at=now,
    )
    meeting_events.representative_changed(db, representative, now)
    db.commit()
    return representative


def add_absence(
    db: Session,
    representative_id: int,
    start: date,
    end: date,
    reason: str,
    actor: audit.Actor,
    now: datetime,
) -> Absence:
    representative = get_representative(db, representative_id)
    if end < start:
        raise Invalid(
            "The last day of an absence cannot be before the first.",
            {"end": end},
            reason="absence_end_before_start",
        )
    absence = Absence(start_date=start, end_date=end, reason=reason.strip())
    representative.absences.append(absence)
    db.flush()
    audit.record(
        db,
        actor,
        "absence",
        absence.id,
        "create",
        after={"representative_id": representative.id, "start": start, "end": end},
        note=absence.reason,
        at=now,
    )
    db.commit()
    return absence


def remove_absence(db: Session, absence_id: int, actor: audit.Actor, now: datetime) -> int:
    """Delete an absence; returns the representative's id."""
    absence = db.get(Absence, absence_id)
    if absence is None:
        raise NotFound(f"No absence with id {absence_id}.")
    representative_id = absence.representative_id
    audit.record(
        db,
        actor,
        "absence",
        absence.id,
        "delete",
        before={
            "representative_id": representative_id,
            "start": absence.start_date,
            "end": absence.end_date,
        },
        at=now,
    )
    db.delete(absence)
    db.commit()
    return representative_id


# ---------------------------------------------------------------- users


@dataclass
class UserData:
    name: str
    email: str
    role: str
    active: bool = True
    password: str = ""


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.name)))


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def _user_snapshot(u: User) -> dict[str, Any]:
    return {"name": u.name, "email": u.email, "role": u.role, "active": u.active}


def save_user(
    db: Session, user_id: int | None, data: UserData, actor: audit.Actor, now: datetime
) -> User:
    email = data.email.strip().lower()
    if "@" not in email:
        raise Invalid(f"{email!r} is not an e-mail address.", {"email": email}, reason="bad_email")
    try:
        role = Role(data.role)
    except ValueError:
        raise Invalid(f"Unknown role {data.role!r}.", {"role": data.role}) from None
    if user_id is None and len(data.password) < 10:
        raise Invalid(
            "A new user needs a password of at least 10 characters.",
            {"password": ""},
            reason="password_required",
        )
    if data.password and len(data.password) < 10:
        raise Invalid(
            "The password must be at least 10 characters.",
            {"password": ""},
            reason="password_too_short",
        )
    clash = db.scalar(select(User).where(func.lower(User.email) == email))
    if clash is not None and clash.id != user_id:
        raise Conflict(
            f"A user with e-mail {email} already exists.", {"email": email}, reason="email_taken"
        )
    user = User() if user_id is None else get_user(db, user_id)
    before = None if user_id is None else _user_snapshot(user)
    if user_id is not None and actor.user_id == user_id and (role != user.role or not data.active):
        raise Forbidden(
            "You cannot change your own role or deactivate yourself.", reason="own_role"
        )
    user.name = data.name.strip()
    user.email = email
    user.role = role
    user.active = data.active
    if data.password:
        user.password_hash = hash_password(data.password)
        user.failed_logins = 0
        user.locked_until = None
    if user_id is None:
        db.add(user)
    db.flush()
    if data.password and user_id is not None:
        # A new password ends every session of the user, a copied cookie's too.
        end_sessions(db, user.id)
        db.expire(user, ["session_generation"])
    audit.record(
        db,
        actor,
        "user",
        user.id,
        "create" if before is None else "update",
        before=before,
        after=_user_snapshot(user) | ({"password": "changed"} if data.password else {}),
        at=now,
    )
    db.commit()
    return user


def unlock_user(db: Session, user_id: int, actor: audit.Actor, now: datetime) -> User:
    user = get_user(db, user_id)
    user.locked_until = None
    user.failed_logins = 0
    audit.record(db, actor, "user", user.id, "unlock", at=now)
    db.commit()
    return user
