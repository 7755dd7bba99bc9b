"""Every policy the services apply, built once from the settings by the composition root.

``booking.app.create_app`` calls ``Policies.from_settings(settings)`` once; the session factory
carries the result (``Session.info["policies"]``, booking.db.make_session_factory) and the web
layers find it in ``app.extensions["policies"]``. A service asks ``policies_of(db)``: a session
made any other way has no policies, and that is an error, never a silent fall-back to defaults.

Each policy is a frozen dataclass owned by its service package, with ``from_settings``. No
service imports ``config`` at run time (``Settings`` only for type checking).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from booking.db import POLICIES_KEY

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from booking.services.feeds.policy import FeedConfig
    from booking.services.followup.policy import FollowupPolicy
    from booking.services.invitations.outbox import OutboxPolicy
    from booking.services.invitations.ports import InvitationConfig
    from booking.services.invitations.replies import RsvpPolicy
    from booking.services.meetings.policy import BookingPolicy
    from booking.services.worker import WorkerPolicy
    from config import Settings


class MissingPolicies(RuntimeError):
    """A service was given a session that carries no policies."""


@dataclass(frozen=True)
class Policies:
    booking: BookingPolicy
    feeds: FeedConfig
    invitations: InvitationConfig
    outbox: OutboxPolicy
    rsvp: RsvpPolicy
    followup: FollowupPolicy
    worker: WorkerPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> Policies:
        # Imported here, not at the top: the policy modules ask policies_of() themselves.
        from booking.services.feeds.policy import FeedConfig
        from booking.services.followup.policy import FollowupPolicy
        from booking.services.invitations.outbox import OutboxPolicy
        from booking.services.invitations.ports import InvitationConfig
        from booking.services.invitations.replies import RsvpPolicy
        from booking.services.meetings.policy import BookingPolicy
        from booking.services.worker import WorkerPolicy

        return cls(
            booking=BookingPolicy.from_settings(settings),
            feeds=FeedConfig.from_settings(settings),
            invitations=InvitationConfig.from_settings(settings),
            outbox=OutboxPolicy.from_settings(settings),
            rsvp=RsvpPolicy.from_settings(settings),
            followup=FollowupPolicy.from_settings(settings),
            worker=WorkerPolicy.from_settings(settings),
        )


def policies_of(db: Session) -> Policies:
    """The policies the session carries; raises MissingPolicies for a session made without
    them (never the defaults: a service must apply the configured rules or none)."""
    policies = db.info.get(POLICIES_KEY)
    if not isinstance(policies, Policies):
        raise MissingPolicies(
            "this database session carries no policies: make sessions with the app's "
            "session factory (app.extensions['session_factory']) or with "
            "booking.db.make_session_factory(engine, clock, Policies.from_settings(settings))"
        )
    return policies
