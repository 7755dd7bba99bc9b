"""The audit log page for the registrar and the auditor (issue 15): administrators only,
filters by who, what, case and period, pages of 100, a CSV for Swedish Excel that is itself
audited; hostile filter input is a 400 with a message, never a 500."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, text_of

from booking.clock import FixedClock
from booking.models import AuditEvent
from booking.services.audit import Actor, record


def _events(db: Db, clock: FixedClock, count: int) -> None:
    for i in range(count):
        record(
            db,
            Actor.system("importer" if i % 2 else "worker"),
            "case",
            1000 + i,
            "update",
            after={"registry_number": f'=HYPERLINK("x")-{i}'},
            case_id=7 if i < 3 else None,
            at=clock.now() - timedelta(days=i % 20),
        )
    db.commit()


def test_only_administrators_open_the_audit_log(login_as: LoginAs, seeded: Db) -> None:
    for role in ("coordinator", "representative", "viewer"):
        assert login_as(role).get("/admin/audit").status_code == 403, role
    assert login_as("admin").get("/admin/audit").status_code == 200


def test_filters_pages_and_csv(login_as: LoginAs, seeded: Db, clock: FixedClock) -> None:
    _events(seeded, clock, 230)
    client = login_as("admin")
    page1 = text_of(client.get("/admin/audit").get_data(as_text=True))
    assert "Äldre" in page1
    html = client.get("/admin/audit?actor=importer&entity_type=case&page=2").get_data(as_text=True)
    rows = html.count("<tr>") - 1
    assert 0 < rows <= 100 and "worker" not in text_of(html).replace("importer", "")
    only_case = client.get("/admin/audit?case=7").get_data(as_text=True)
    assert only_case.count('href="/cases/7"') == 3
    day = (clock.now() - timedelta(days=2)).date().isoformat()
    one_day = client.get(f"/admin/audit?start={day}&end={day}&entity_type=case")
    assert one_day.get_data(as_text=True).count("<tr>") - 1 == 12  # 230 events over 20 days

    exported = client.get("/admin/audit.csv?case=7")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    body = exported.get_data(as_text=True)
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:3] == ["Tidpunkt (UTC)", "Vem", "API-token"] and len(table) == 4
    assert all(not cell.startswith("=") for row in table for cell in row)  # no formulas
    export = seeded.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert export is not None and export.after == {"case": "7"}


def test_hostile_filters_get_a_message_not_a_500(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("admin")
    for query in ("start=2026-13-45", "end=igår", "case=" + "9" * 40, "actor=%00%25_"):
        answer = client.get(f"/admin/audit?{query}")
        assert answer.status_code in (200, 400), query
    bad = client.get("/admin/audit?start=2026-13-45")
    assert bad.status_code == 400
    assert "Rätta följande" in text_of(bad.get_data(as_text=True)), text_of(
        bad.get_data(as_text=True)
    )[:600]
    assert client.get("/admin/audit.csv?start=nonsense").status_code == 400
