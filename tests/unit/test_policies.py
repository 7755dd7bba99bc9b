"""The policies: built once from the settings, carried by every session the factory makes,
and required: a session without them is refused, never given defaults."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.db import make_engine, make_session_factory
from booking.services.meetings import policy as booking_service
from booking.services.policies import MissingPolicies, Policies, policies_of
from config import Settings

SETTINGS = dataclasses.replace(
    Settings(),
    public_base_url="https://forum.mora.example",
    secret_key="s" * 40,
    min_notice_working_days=7,
    feed_refresh_minutes=30,
    deputy_on_decline=False,
    reminder_working_days=(3,),
    outbox_max_attempts=4,
    survey_scale=5,
    retention_years=2,
    rsvp_sync_seconds=90,
    worker_poll_seconds=5,
    mail_from="Forum <forum@mora.example>",
)


def test_every_policy_is_built_from_the_settings() -> None:
    policies = Policies.from_settings(SETTINGS)
    assert policies.booking.min_notice_working_days == 7
    assert policies.booking.uid_host == "forum.mora.example"
    assert policies.feeds.refresh_minutes == 30
    assert policies.feeds.base_url == "https://forum.mora.example"
    assert policies.invitations.mail_domain == "mora.example"
    assert policies.invitations.secret_key == "s" * 40
    assert policies.rsvp.deputy_on_decline is False
    assert policies.rsvp.reminder_working_days == (3,)
    assert policies.outbox.max_attempts == 4
    assert policies.followup.survey_scale == 5 and policies.followup.retention_years == 2
    assert policies.worker.rsvp_sync_seconds == 90 and policies.worker.poll_seconds == 5
    for policy in (policies, *(getattr(policies, f.name) for f in dataclasses.fields(policies))):
        assert dataclasses.is_dataclass(policy)
        assert type(policy).__dataclass_params__.frozen, type(policy)  # type: ignore[attr-defined]


def test_the_session_factory_carries_the_policies() -> None:
    policies = Policies.from_settings(SETTINGS)
    engine = make_engine("sqlite://")
    factory = make_session_factory(engine, FixedClock(datetime(2026, 12, 1, tzinfo=UTC)), policies)
    with factory() as db:
        assert policies_of(db) is policies
        assert booking_service.policy_of(db) is policies.booking
    engine.dispose()


def test_a_session_without_policies_is_refused_not_given_defaults() -> None:
    with Session() as bare:
        with pytest.raises(MissingPolicies, match="session factory"):
            policies_of(bare)
        with pytest.raises(MissingPolicies):
            booking_service.policy_of(bare)
