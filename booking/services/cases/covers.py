"""What each required department will cover in the case's meeting (issue 14 §4).

The coordinator writes it per department on the case page; the customer's confirmation names
every department with it, and the forum afternoon's agenda lists it. Empty: the department's
name alone is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.models import CaseDepartment, Department
from booking.services import audit
from booking.services.cases.queries import get_case
from booking.services.errors import Invalid
from booking.services.inputs import CONTROL_CHARACTER, checked, clean_line

MAX_COVERS = 500  # case_departments.covers is String(500)


def covers_of(db: Db, case_id: int) -> list[tuple[Department, str]]:
    """The case's required departments, by name, each with what it will cover ("" if not
    written yet)."""
    rows = db.execute(
        select(Department, CaseDepartment.covers)
        .join(CaseDepartment, CaseDepartment.department_id == Department.id)
        .where(CaseDepartment.case_id == case_id)
        .order_by(Department.name, Department.id)
    )
    return [(department, covers or "") for department, covers in rows]


def _checked(texts: Mapping[int, str], names: Mapping[int, str]) -> dict[int, str]:
    """Each text trimmed and on one line; every problem named by its department."""
    clean: dict[int, str] = {}
    too_long: list[str] = []
    control: list[str] = []
    for department_id, raw in texts.items():
        value, problem = checked(clean_line, " ".join(raw.split()))
        if problem == CONTROL_CHARACTER:
            control.append(names[department_id])
        elif len(value) > MAX_COVERS:
            too_long.append(names[department_id])
        clean[department_id] = value
    if too_long:
        raise Invalid(
            f"At most {MAX_COVERS} characters per department ({', '.join(too_long)}).",
            {"names": too_long, "max": MAX_COVERS},
            reason="covers_too_long",
        )
    if control:
        raise Invalid(
            "Remove control characters from the text.",
            {"names": control},
            reason=CONTROL_CHARACTER,
        )
    return clean


def set_covers(
    db: Db, case_id: int, texts: Mapping[int, str], actor: audit.Actor, now: datetime
) -> bool:
    """Save what the given required departments will cover (department id → text; a
    department left out keeps its text). Audited; commits. False when nothing changed."""
    case = get_case(db, case_id)
    rows = {
        row.department_id: row
        for row in db.scalars(select(CaseDepartment).where(CaseDepartment.case_id == case.id))
    }
    unknown = [i for i in texts if i not in rows]
    if unknown:
        raise Invalid(
            "Only the case's required departments can be given what they cover.",
            {"department_ids": unknown},
            reason="covers_department",
        )
    names = {d.id: d.name for d, _covers in covers_of(db, case.id)}
    clean = _checked(texts, names)
    changed = {i: text for i, text in clean.items() if (rows[i].covers or "") != text}
    if not changed:
        return False
    before = {names[i]: rows[i].covers or "" for i in changed}
    for department_id, text in changed.items():
        rows[department_id].covers = text
    audit.record(
        db,
        actor,
        "case",
        case.id,
        "covers",
        before={"covers": before},
        after={"covers": {names[i]: text for i, text in changed.items()}},
        case_id=case.id,
        at=now,
    )
    db.commit()
    return True
