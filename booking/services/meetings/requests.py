"""What a coordinator asks for when booking: the slot (or "earliest") and who should come."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, field_validator

from booking.services.errors import Invalid
from booking.services.inputs import Id, Input, Text


def slot_or_earliest(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One clear message instead of one per branch of ``int | "earliest"``."""
    try:
        return handler(value)
    except ValidationError:
        raise ValueError(
            f'slot must be a slot id (a positive integer) or "earliest", got {value!r}'
        ) from None


class Assignment(Input):
    department_id: Id
    representative_id: Id


class BookingRequest(Input):
    """What a coordinator asks for; everything but the slot is optional."""

    slot: Id | Literal["earliest"] = Field(
        default="earliest", description='A slot id, or "earliest" for the first feasible slot.'
    )
    representatives: list[Assignment] = Field(
        default_factory=list,
        description="One representative per required department; the allocator picks the rest.",
        max_length=100,
    )
    convener_id: Id | None = Field(default=None, description="Chairs the meeting.")
    minute_taker_id: Id | None = None
    extra_attendee_ids: list[Id] = Field(
        default_factory=list, description="Optional attendees.", max_length=50
    )
    override_reason: Text = Field(
        default="",
        max_length=2000,
        description="Needed to break a capacity rule or the minimum notice; recorded.",
    )

    _v_slot = field_validator("slot", mode="wrap")(slot_or_earliest)

    def chosen(self) -> dict[int, int]:
        return {a.department_id: a.representative_id for a in self.representatives}


def parse_booking_request(request: BookingRequest | Any) -> BookingRequest:
    """A BookingRequest as given, or validated from a mapping (Invalid on a bad one)."""
    if isinstance(request, BookingRequest):
        return request
    try:
        return BookingRequest.model_validate(request)
    except ValidationError as exc:
        raise Invalid(f"Invalid booking request: {exc.errors()[0]['msg']}", {}) from None
