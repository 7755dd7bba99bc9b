"""The one confidentiality label: how a case is named where its organisation may not show."""

from __future__ import annotations

from dataclasses import replace

import pytest

from booking.domain.visibility import FULL, NOTHING, case_title, confidential_title


@pytest.mark.parametrize(
    ("organisation_seen", "confidential", "title"),
    [
        (True, False, "MORA-2027-0001 · Bageriet AB"),
        (True, True, "MORA-2027-0001 · Bageriet AB"),  # a handler sees it all
        (False, True, "Forum – sekretess (MORA-2027-0001)"),
        (False, False, "MORA-2027-0001"),
    ],
)
def test_the_title_follows_what_the_reader_may_see(
    organisation_seen: bool, confidential: bool, title: str
) -> None:
    seen = replace(NOTHING, organisation=organisation_seen)
    assert (
        case_title("MORA-2027-0001", "Bageriet AB", confidential=confidential, seen=seen) == title
    )


def test_pages_pass_their_own_words_for_the_label() -> None:
    title = case_title(
        "R-1", "X AB", confidential=True, seen=NOTHING, confidential_label="Forum – confidential"
    )
    assert (
        title == "Forum – confidential (R-1)" == confidential_title("R-1", "Forum – confidential")
    )
    assert case_title("R-1", "X AB", confidential=True, seen=FULL) == "R-1 · X AB"
