"""Building blocks shared by every document model.

Every document that enters the store passes through a subclass of `Document`, so
the rules that keep the store safe live here once: unknown fields are rejected,
keys that MongoDB would read as operators or paths are rejected, and every string
and list has an upper bound.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

MAX_LIST = 100
"""Upper bound for every list in a document (skills, members, federal states, ...)."""

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$", strip_whitespace=True),
]
"""Stable natural key: lower-case letters, digits and dashes, at most 80 characters."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=5000, strip_whitespace=True)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]


def _find_unsafe_key(value: Any, path: str = "") -> str | None:
    """Return the path of the first key MongoDB would treat as an operator or a path."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (key.startswith("$") or "." in key):
                return here
            found = _find_unsafe_key(item, here)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_unsafe_key(item, f"{path}[{index}]")
            if found:
                return found
    return None


class Document(BaseModel):
    """Base of every validated model: camelCase on the wire, strict about shape."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=True,
        use_enum_values=False,
        frozen=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_operator_keys(cls, data: Any) -> Any:
        bad = _find_unsafe_key(data)
        if bad:
            raise ValueError(
                f"key {bad!r} is not allowed: keys must not start with '$' or contain '.'"
            )
        return data


class FederalState(enum.StrEnum):
    """German federal states by their ISO 3166-2:DE suffix."""

    BW = "BW"
    BY = "BY"
    BE = "BE"
    BB = "BB"
    HB = "HB"
    HH = "HH"
    HE = "HE"
    MV = "MV"
    NI = "NI"
    NW = "NW"
    RP = "RP"
    SL = "SL"
    SN = "SN"
    ST = "ST"
    SH = "SH"
    TH = "TH"


class Location(Document):
    """A place in Germany; coordinates are optional but must be valid when given."""

    postcode: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] | None = None
    city: Name
    state: FederalState
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class Period(Document):
    """A span of days; `end` may be open for permanent positions and open-ended offers."""

    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self


class Status(enum.StrEnum):
    OPEN = "OPEN"
    FILLED = "FILLED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
