"""Base class for input models: strict about unknown fields and about text PostgreSQL refuses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def _check_text(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            _check_text(item)
    return value


class Input(BaseModel):
    """Unknown fields are an error (a typo must not be silently ignored); NUL bytes too."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _check_text(value)
