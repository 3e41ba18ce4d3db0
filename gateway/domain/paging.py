"""Keyset pages: what a caller asks for and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.errors import InputError

MAX_PAGE = 100
"""Largest page a connection may ask for; bigger requests are an error, not a silent cut."""


@dataclass(frozen=True)
class PageRequest:
    """`first` items after the sort key `after`; `count` whether a total is wanted."""

    first: int | None = None
    after: str | int | None = None
    count: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.limit <= MAX_PAGE:
            raise InputError.one(
                "first", f"must be between 0 and {MAX_PAGE}, got {self.first}", "OUT_OF_RANGE"
            )

    @property
    def limit(self) -> int:
        return MAX_PAGE if self.first is None else self.first


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paginated listing, ordered by `order`."""

    order: str
    documents: list[dict[str, Any]]
    total_count: int | None
    """None when the caller did not ask for a count."""
    has_next_page: bool
    has_previous_page: bool
