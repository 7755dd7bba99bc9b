"""What each audience may see of a case (DESIGN.md §3.6, research/domain.md §0.8).

A feed many people subscribe to is treated as public: a department, representative or forum
feed shows category, reference and organisation name only when the case is not confidential
and the customer consented to sharing; a confidential case is "Forum – sekretess" and its
reference. Contact details appear only to the customer. Named attendees of a meeting (an
invitation) see the organisation and the description when the customer consented.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    DEPARTMENT = "department"
    REPRESENTATIVE = "representative"
    FORUM = "forum"
    ATTENDEE = "attendee"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Visibility:
    category: bool
    organisation: bool
    description: bool
    contact: bool

    @property
    def redacted(self) -> bool:
        return not self.organisation


FEED_AUDIENCES = frozenset({Audience.DEPARTMENT, Audience.REPRESENTATIVE, Audience.FORUM})


def visibility(audience: Audience, *, confidential: bool, consent: bool) -> Visibility:
    if audience == Audience.CUSTOMER:
        return Visibility(category=True, organisation=True, description=True, contact=True)
    if audience == Audience.ATTENDEE:
        shared = consent
        return Visibility(category=True, organisation=shared, description=shared, contact=False)
    shared = consent and not confidential
    return Visibility(category=shared, organisation=shared, description=False, contact=False)
