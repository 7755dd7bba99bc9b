"""Documents uploaded at once never pass the limit of files per case, on SQLite (the embedded
default, where the count once raced: five uploads at once made 23 files) and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db
from test_concurrency import make_case, own_departments, race

from booking.clock import FixedClock
from booking.domain import documents as document_rules
from booking.models import CaseDocument
from booking.services.audit import Actor
from booking.services.errors import ServiceError
from booking.services.preparation import documents


def test_uploads_at_once_never_pass_the_documents_limit(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    # Two places left: of five uploads at once, two get in and three hear the limit.
    case_id = make_case(seeded, clock, [own_departments(seeded, 1)[0].id])
    room = 2
    for i in range(document_rules.MAX_FILES_PER_CASE - room):
        documents.upload(seeded, case_id, f"{i}.pdf", b"%PDF-1.4", Actor.system("t"), clock.now())

    def uploader(i: int) -> Callable[[Db], Any]:
        def job(db: Db) -> int:
            pdf = b"%PDF-1.4 race"
            return documents.upload(
                db, case_id, f"race{i}.pdf", pdf, Actor.system("race"), clock.now()
            ).id

        return job

    results = race(app, [uploader(i) for i in range(5)])
    assert sum(isinstance(r, int) for r in results) == room, results
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert [r.reason for r in refused] == ["document_limit"] * (5 - room), results
    seeded.expire_all()
    count = seeded.scalar(select(func.count()).where(CaseDocument.case_id == case_id))
    assert count == document_rules.MAX_FILES_PER_CASE
