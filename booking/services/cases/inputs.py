"""What a case is registered and edited with: one pydantic model for the API and the web forms.

``parse_case_input`` turns a plain mapping into the model and a validation failure into
``Invalid`` with one message per field (booking.services.inputs.parse).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from booking.domain import cases as case_rules
from booking.domain.visibility import ConsentScope
from booking.domain.vocabulary import CaseCategory
from booking.services.inputs import Email, Id, Input, Line, Moment, Text, parse

EDITABLE = (
    "registry_number",
    "org_name",
    "org_number",
    "contact_name",
    "contact_email",
    "contact_phone",
    "category",
    "description",
    "responsibility_areas",
    "confidential",
    "consent_scope",
    "received_at",
)


def _org_number(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    return case_rules.normalise_org_number(value)


def _areas(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [a.strip() for a in value if a.strip()]


class CaseInput(Input):
    """A new case, as the coordinator registers it."""

    forum: Line = Field(min_length=1, max_length=64, description="Forum slug, e.g. mora.")
    registry_number: Line = Field(default="", max_length=64, description="Diarienummer, if any.")
    org_name: Line = Field(
        min_length=1,
        max_length=300,
        description="The business or organisation; for an internal case (category internal, "
        "no customer) a short title of the matter.",
    )
    org_number: Line = Field(
        default="",
        max_length=20,
        description="Swedish organisation number, NNNNNN-NNNN; empty for an internal case.",
    )
    contact_name: Line = Field(default="", max_length=200)
    contact_email: Email = Field(
        default="", max_length=320, description="One address; empty for an internal case."
    )
    contact_phone: Line = Field(default="", max_length=64)
    category: CaseCategory = Field(
        description="new_establishment, major_change or event (a business's case), or internal "
        "(Forum internt: the forum's own matter, no organisation number, no customer)."
    )
    description: Text = Field(default="", max_length=20000)
    responsibility_areas: list[Line] = Field(default_factory=list, max_length=50)
    department_ids: list[Id] = Field(
        min_length=1, max_length=60, description="Required departments (at least one)."
    )
    confidential: bool = False
    consent_to_share: bool = Field(
        default=False,
        description="The customer agrees to share the case with the participating municipal "
        "departments (consent_scope=municipal; consent_scope wins when both are given).",
    )
    consent_scope: ConsentScope | None = Field(
        default=None,
        description="How far the customer agrees to share the case: none, municipal (the "
        "municipality's departments and companies only) or external (also external parties).",
    )
    received_at: Moment | None = Field(default=None, description="Defaults to now.")

    _v_org = field_validator("org_number")(_org_number)
    _v_areas = field_validator("responsibility_areas")(_areas)


class CaseUpdate(Input):
    """A partial edit: only the fields given change."""

    registry_number: Line | None = Field(default=None, max_length=64)
    org_name: Line | None = Field(default=None, min_length=1, max_length=300)
    org_number: Line | None = Field(default=None, max_length=20)
    contact_name: Line | None = Field(default=None, max_length=200)
    contact_email: Email | None = Field(default=None, max_length=320)
    contact_phone: Line | None = Field(default=None, max_length=64)
    category: CaseCategory | None = None
    description: Text | None = Field(default=None, max_length=20000)
    responsibility_areas: list[Line] | None = Field(default=None, max_length=50)
    department_ids: list[Id] | None = Field(default=None, min_length=1, max_length=60)
    confidential: bool | None = None
    consent_to_share: bool | None = None
    consent_scope: ConsentScope | None = None
    received_at: Moment | None = None

    _v_org = field_validator("org_number")(_org_number)
    _v_areas = field_validator("responsibility_areas")(_areas)


def parse_case_input(data: Mapping[str, Any] | CaseInput) -> CaseInput:
    return parse(CaseInput, data)
