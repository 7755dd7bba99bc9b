"""The hand-written visibility table (tests/visibility_table.py) is the policy of
booking.domain.visibility, cell by cell; no database (the doors are checked in
tests/integration/test_case_visibility.py)."""

from __future__ import annotations

from visibility_table import FIELDS, KINDS, expected

from booking.domain.vocabulary import Role


def test_the_table_is_the_policy() -> None:
    """The hand-written table and booking.domain.visibility agree on every cell."""
    from booking.domain.visibility import staff_visibility

    readers = {
        "admin": ("admin", False, True),
        "coordinator": ("coordinator", False, True),
        "viewer": ("viewer", False, True),
        "rep_invited": ("representative", True, True),
        "rep_external_invited": ("representative", True, False),
        "rep_not_invited": ("representative", False, True),
        "receiver": ("receiver", False, True),
        "nobody": (None, False, True),
    }
    for name, (role, participant, municipal) in readers.items():
        for confidential, scope in KINDS:
            seen = staff_visibility(
                role,
                confidential=confidential,
                consent=scope,
                participant=participant,
                municipal=municipal,
            )
            shown = {f for f in FIELDS if seen.shown(f)}
            assert shown == expected(name, confidential, scope), (name, confidential, scope)


def test_role_enum_is_what_the_policy_names() -> None:
    from booking.domain.visibility import HANDLER_ROLES

    assert {Role.ADMIN.value, Role.COORDINATOR.value} == HANDLER_ROLES
