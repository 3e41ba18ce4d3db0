"""Turning Strawberry inputs into plain keyword arguments for `gateway`."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry


def given_fields(value: Any) -> dict[str, Any]:
    """The fields of an input object that the caller actually set."""
    if value is None:
        return {}
    return {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)
        if getattr(value, f.name) is not strawberry.UNSET and getattr(value, f.name) is not None
    }
