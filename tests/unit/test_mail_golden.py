"""Golden tests of the mail templates: each mail rendered with fixed sample data and compared,
byte for byte, with its snapshot in tests/golden/mail/<case>.<lang>.txt.

A changed wording fails here until the snapshot is updated on purpose:

    UPDATE_GOLDEN=1 pytest tests/unit/test_mail_golden.py

writes the snapshots anew (review the diff before committing). A missing snapshot fails; it is
never created silently. Every template must be used by at least one case below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from booking.services.mail.render import MailText, render, template_names

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "mail"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

LINK = "http://forum.test/r/3q2-T0k3n_ab"
CASE_LINK = "http://forum.test/c/Zx9-CaSe_42"
WHEN = "tisdag 15 december 2026, 13:00–14:00 (v. 51)"
DEPARTMENTS = ["Bygg & miljö", "Räddningstjänsten Dala Mitt", "Tekniska förvaltningen"]
# The departments of the customer's mails, each with what it will cover ("" not written yet).
COVERED = [
    {"name": "Bygg & miljö", "covers": "Bygglov för uteserveringen, <skyltar>"},
    {"name": "Räddningstjänsten Dala Mitt", "covers": ""},
    {"name": "Tekniska förvaltningen", "covers": "Markupplåtelse på torget"},
]
CUSTOMER = {
    "forum": "Forum Mora",
    "reference": "MORA-2026-0042",
    "greeting": "Karin Ek",
    "when": WHEN,
    "where": "Mora kommunhus, sal <Siljan>",
    "link": CASE_LINK,
}
MINUTES: dict[str, Any] = {
    "reference": "MORA-2026-0042",
    "version": 1,
    "when": "tisdag 15 december 2026, v. 51 kl. 13.00",
    "location": "Mora kommunhus",
    "convener": "Eva Sammankallande",
    "correction_reason": "",
    "present": [
        {"name": "Anna Lind", "department": "Bygg & miljö"},
        {"name": "Oskar Berg", "department": "Räddningstjänsten Dala Mitt"},
    ],
    "customer_present": "Karin Ek",
    "organisation": "Ekens Café AB",
    "statements": [
        {"department": "Bygg & miljö", "text": "Bygglov krävs för uteserveringen."},
        {"department": "Räddningstjänsten Dala Mitt", "text": ""},
    ],
    "decisions": "Kunden lämnar in ansökan om bygglov.\nNytt möte vid behov.",
    "action_points": [
        {"title": "Skicka ansökan", "owner": "Karin Ek", "due_date": "2027-01-15"},
        {"title": "Besked om brandskydd", "owner": "", "due_date": "2027-01-29"},
    ],
    "case_link": "",
}

# case name → (template, language, values). The case named like its template is its main form.
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "invitation": (
        "invitations/invitation",
        "sv",
        {
            "name": "Anna O'Brien",
            "department": "Bygg & miljö",
            "title": "Forum Mora: Nyetablering, Ekens Café AB",
            "when": WHEN,
            "where": "Mora kommunhus",
            "departments": DEPARTMENTS,
            "link": LINK,
            "moved": False,
            "role": None,
            "convener": "Eva Sammankallande",
            "minute_taker": None,
        },
    ),
    **{
        f"invitation_as_{role}": (
            "invitations/invitation",
            "sv",
            {
                "name": "Eva Sammankallande",
                "department": "Näringsliv",
                "title": "Forum Mora: Nyetablering, Ekens Café AB",
                "when": WHEN,
                "where": "Mora kommunhus",
                "departments": DEPARTMENTS,
                "link": LINK,
                "moved": False,
                "role": role,
                "convener": "Eva Sammankallande",
                "minute_taker": "Nils Åberg",
            },
        )
        for role in ("convener", "minute_taker")
    },
    "invitation_moved": (
        "invitations/invitation",
        "sv",
        {
            "name": "Anna Lind",
            "department": "Bygg & miljö",
            "title": "Forum – sekretess (MORA-2026-0042)",
            "when": WHEN,
            "where": "Mora kommunhus",
            "departments": DEPARTMENTS,
            "link": LINK,
            "moved": True,
            "role": None,
            "convener": None,
            "minute_taker": None,
        },
    ),
    "invitation_cancelled": (
        "invitations/invitation_cancelled",
        "sv",
        {
            "name": "Anna Lind",
            "title": "INSTÄLLT: Forum Mora: Nyetablering, Ekens Café AB",
            "when": WHEN,
            "where": "Mora kommunhus",
            "reason": "cancelled",
            "replaced_by": "",
        },
    ),
    **{
        f"invitation_released_{reason}": (
            "invitations/invitation_cancelled",
            "sv",
            {
                "name": "Anna Lind",
                "title": "Forum Mora: Nyetablering, Ekens Café AB",
                "when": WHEN,
                "where": "Mora kommunhus",
                "reason": reason,
                "replaced_by": "Oskar Falk" if "replaced" in reason else "",
            },
        )
        for reason in (
            "declined_replaced",
            "declined",
            "replaced",
            "department_removed",
            "role_removed",
        )
    },
    "request_confirm": (
        "intake/request_confirm",
        "sv",
        {
            "name": "Lisa Krögare",
            "forum": "Forum Mora",
            "link": "http://forum.test/forum/mora/boka/T0k",
        },
    ),
    "request_received": (
        "intake/request_received",
        "sv",
        {
            "name": "Lisa Krögare",
            "forum": "Forum Mora",
            "org_name": "Siljans Krog AB",
            "link": "http://forum.test/foretag/F0ll0w",
            "working_days": 3,
            "ask": ["Hur många gäster?", "Serveras alkohol?"],
            "bring": ["Ritningar", "Meny", "Planlösning"],
        },
    ),
    # A forum whose administrator wrote no guide for the category: no empty headings.
    "request_received_no_guide": (
        "intake/request_received",
        "sv",
        {
            "name": "Lisa Krögare",
            "forum": "Forum Mora",
            "org_name": "Siljans Krog AB",
            "link": "http://forum.test/foretag/F0ll0w",
            "working_days": 3,
            "ask": [],
            "bring": [],
        },
    ),
    "request_declined": (
        "intake/request_declined",
        "sv",
        {"name": "Lisa Krögare", "forum": "Forum Mora", "reason": "Gäller bara bygglov."},
    ),
    "request_accepted": (
        "intake/request_accepted",
        "sv",
        {"name": "Lisa Krögare", "forum": "Forum Mora", "reference": "MORA-2026-0007"},
    ),
    "request_question": (
        "intake/request_question",
        "sv",
        {
            "name": "Lisa Krögare",
            "forum": "Forum Mora",
            "question": "Hur många sittplatser planerar ni?",
            "link": "http://forum.test/foretag/svar/7/3/T0k",
        },
    ),
    "request_forwarded": (
        "intake/request_forwarded",
        "sv",
        {
            "name": "Lisa Krögare",
            "forum": "Forum Mora",
            "department": "Miljökontoret",
            "note": "Det gäller bara en anmälan om livsmedel.",
        },
    ),
    "request_handed_over": (
        "intake/request_handed_over",
        "sv",
        {
            "forum": "Forum Mora",
            "department": "Miljökontoret",
            "org_name": "Siljans Krog AB",
            "org_number": "556677-8899",
            "contact_name": "Lisa Krögare",
            "contact_email": "lisa@krog.example",
            "contact_phone": "070-123 45 67",
            "details": "En food truck vid Zornplatsen.\nPlats / Where: Zornplatsen",
            "note": "",
        },
    ),
    "agenda": (
        "preparation/agenda",
        "sv",
        {
            "name": "Anna O'Brien",
            "forum": "Forum Mora",
            "date": "tisdag 15 december 2026 (v. 51)",
            "time": "13:00–16:30",
            "where": "Mora kommunhus, sal <Siljan>",
            "link": "http://forum.test/sessions/7/dagordning",
            "items": [
                {
                    "time": "13:00–14:00",
                    "title": "MORA-2026-0042 · Ekens Café & Bar AB",
                    "category": "Nyetablering (New establishment)",
                    "brief": "Café med uteservering <30 platser> vid torget.",
                    "questions": [
                        "Livsmedel, servering (Food, serving)",
                        "Alkoholservering (Serving alcohol)",
                    ],
                    "ask": "Öppettider? Antal sittplatser?",
                    "departments": COVERED,
                    "convener": "Eva Sammankallande",
                    "documents": [
                        {
                            "name": "ritning.pdf",
                            "size": "240 kB",
                            "link": "https://forum.mora.se/cases/42/dokument/7",
                        },
                        {
                            "name": "meny & priser.pdf",
                            "size": "18 kB",
                            "link": "https://forum.mora.se/cases/42/dokument/8",
                        },
                    ],
                },
                {
                    "time": "14:15–15:15",
                    "title": "Forum – sekretess (MORA-2026-0043)",
                    "category": None,
                    "brief": None,
                    "questions": None,
                    "ask": None,
                    "departments": None,
                    "convener": None,
                    "documents": None,
                },
                {
                    "time": "15:30–16:30",
                    "title": "MORA-2026-0044",
                    "category": None,
                    "brief": None,
                    "questions": None,
                    "ask": None,
                    "departments": [{"name": "Bygg & miljö", "covers": ""}],
                    "convener": None,
                    "documents": None,
                },
            ],
        },
    ),
    "customer_confirmation": (
        "invitations/customer_confirmation",
        "sv",
        {
            **CUSTOMER,
            "convener": "Eva Sammankallande",
            "departments": COVERED,
            "bring": "Ritning över lokalen <A3>.\nMenyförslag & öppettider.",
        },
    ),
    "customer_confirmation_no_convener": (
        "invitations/customer_confirmation",
        "sv",
        {
            **CUSTOMER,
            "greeting": "Ekens Café AB",
            "convener": None,
            "departments": [],
            "bring": "",
        },
    ),
    "customer_moved": (
        "invitations/customer_moved",
        "sv",
        {
            **CUSTOMER,
            "previously": "tisdag 8 december 2026, 13:00–14:00 (v. 50)",
            "convener": "Eva Sammankallande",
            "departments": COVERED,
            "bring": "",
        },
    ),
    "customer_cancelled": (
        "invitations/customer_cancelled",
        "sv",
        {**CUSTOMER, "reason": ""},
    ),
    "customer_cancelled_with_reason": (
        "invitations/customer_cancelled",
        "sv",
        {**CUSTOMER, "reason": "Sammankallande är sjuk & ingen ersättare finns.\n\nSe <sidan>."},
    ),
    "declined": (
        "invitations/declined",
        "sv",
        {
            "name": "Oskar Berg",
            "department": "Räddningstjänsten Dala Mitt",
            "when": WHEN,
            "reference": "MORA-2026-0042",
            "deputy": "Nils Ersättare",
        },
    ),
    "declined_no_deputy": (
        "invitations/declined",
        "sv",
        {
            "name": "Oskar Berg",
            "department": "Räddningstjänsten Dala Mitt",
            "when": WHEN,
            "reference": "MORA-2026-0042",
            "deputy": None,
        },
    ),
    "reminder": (
        "invitations/reminder",
        "sv",
        {"name": "Anna <O'Brien>", "when": WHEN, "reference": "MORA-2026-0042", "link": LINK},
    ),
    "minutes": ("followup/minutes", "sv", MINUTES),
    "minutes_customer_correction": (
        "followup/minutes",
        "sv",
        {
            **MINUTES,
            "version": 2,
            "convener": None,
            "correction_reason": "Fel datum för ansökan.",
            "organisation": None,
            "action_points": [],
            "decisions": "",
            "case_link": CASE_LINK,
        },
    ),
    "minutes_confidential": (
        "followup/minutes_confidential",
        "sv",
        {
            "reference": "MORA-2026-0042",
            "version": 1,
            "link": "http://forum.test/cases/42",
            "login": True,
        },
    ),
    **{
        f"approval_request_v{version}": (
            "followup/approval_request",
            "sv",
            {
                "name": "Eva Sammankallande",
                "reference": "MORA-2026-0042",
                "when": "tisdag 15 december 2026 kl. 13:00",
                "by": "Nils Åberg",
                "version": version,
                "link": "http://forum.test/meetings/7/minutes",
            },
        )
        for version in (1, 2)
    },
    "minutes_confidential_customer": (
        "followup/minutes_confidential",
        "sv",
        {"reference": "MORA-2026-0042", "version": 3, "link": CASE_LINK, "login": False},
    ),
    "survey": (
        "followup/survey",
        "sv",
        {"name": "Karin Ek", "reference": "MORA-2026-0042", "link": "http://forum.test/s/tok"},
    ),
    "point_reminder": (
        "followup/point_reminder",
        "sv",
        {
            "title": "Skicka ansökan",
            "reference": "MORA-2026-0042",
            "days_left": 1,
            "due": "fredag 15 januari 2027, v. 2",
            "due_iso": "2027-01-15",
        },
    ),
    "point_reminder_days": (
        "followup/point_reminder",
        "sv",
        {
            "title": "Skicka ansökan",
            "reference": "MORA-2026-0042",
            "days_left": 5,
            "due": "fredag 15 januari 2027, v. 2",
            "due_iso": "2027-01-15",
        },
    ),
}


def snapshot(mail: MailText) -> str:
    """One file per mail: the subject, the text and, when there is one, the HTML part."""
    out = f"Subject: {mail.subject}\n\n{mail.text}\n"
    if mail.html:
        out += f"\n----- text/html -----\n{mail.html}\n"
    return out


# The business's mails in English, for a request sent in English (the same values).
ENGLISH_INTAKE = (
    "request_confirm",
    "request_received",
    "request_declined",
    "request_accepted",
    "request_question",
    "request_forwarded",
)
CASES.update({f"{name}_en": (CASES[name][0], "en", CASES[name][2]) for name in ENGLISH_INTAKE})


@pytest.mark.parametrize("case", sorted(CASES))
def test_mail_matches_its_snapshot(case: str) -> None:
    template, lang, values = CASES[case]
    rendered = snapshot(render(template, lang, **values))
    path = GOLDEN / f"{case}.{lang}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"No snapshot {path}; write it with UPDATE_GOLDEN=1 and review it.")
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{case}: the mail differs from {path}; if the change is meant, run with "
        "UPDATE_GOLDEN=1 and review the diff."
    )


def test_every_template_has_a_golden_case() -> None:
    covered = {f"{template}.{lang}" for template, lang, _ in CASES.values()}
    assert set(template_names()) - covered == set()
    assert covered - set(template_names()) == set()


def test_every_snapshot_belongs_to_a_case() -> None:
    """A snapshot left over from a removed case is stale: remove it with its case."""
    expected = {f"{case}.{lang}.txt" for case, (_, lang, _) in CASES.items()}
    assert {p.name for p in GOLDEN.glob("*.txt")} <= expected


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    _, lang, values = CASES["invitation"]
    with pytest.raises(UndefinedError):
        render("invitations/invitation", lang, **{k: v for k, v in values.items() if k != "name"})
