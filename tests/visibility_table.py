"""The visibility rule of issue 11 written out by hand, independently of
booking.domain.visibility, so a change to the policy has to change it too. Used by the unit test
that compares it with the policy cell by cell and by the integration tests that look for each
field's marker behind every door (tests/integration/test_case_visibility.py)."""

from __future__ import annotations

from booking.domain.visibility import ConsentScope

SCOPES = (ConsentScope.NONE, ConsentScope.MUNICIPAL, ConsentScope.EXTERNAL)
KINDS = [(c, s) for c in (False, True) for s in SCOPES]
FIELDS = ("category", "organisation", "description", "contact", "registry_number", "free_text")


def expected(role: str, confidential: bool, scope: ConsentScope) -> set[str]:
    """The fields ``role`` may see of such a case: the rule of issue 11, written out."""
    if role in ("admin", "coordinator"):
        return set(FIELDS)
    if role in ("nobody", "receiver"):
        return set()
    reaches = scope == ConsentScope.EXTERNAL or (
        scope == ConsentScope.MUNICIPAL and role != "rep_external_invited"
    )
    shared = not confidential and reaches
    if role in ("viewer", "rep_not_invited"):
        return {"category", "organisation", "registry_number"} if shared else set()
    # An invited representative sees what the invitation shows.
    seen = set() if confidential else {"category"}
    if shared:
        seen |= {"organisation", "description", "registry_number", "free_text"}
    return seen
