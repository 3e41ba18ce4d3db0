"""Opaque cursors: a sort key, tagged and base64-encoded, so clients cannot build them."""

from __future__ import annotations

import base64
import binascii

from gateway.errors import InputError


def encode_cursor(key: str | int) -> str:
    """`k:` for natural keys, `s:` for match sequence numbers."""
    tag = "s" if isinstance(key, int) else "k"
    return base64.urlsafe_b64encode(f"{tag}:{key}".encode()).decode()


def _invalid(field: str) -> InputError:
    return InputError.one(field, "not a cursor this API issued", "INVALID_CURSOR")


def decode_cursor(cursor: str, field: str = "after") -> str | int:
    """The sort key behind `cursor`; `InputError` (INVALID_CURSOR) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        tag, _, key = raw.partition(":")
        if tag == "s":
            return int(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid(field) from None
    if tag != "k" or not key:
        raise _invalid(field)
    return key


def decode_sequence(cursor: str, field: str = "after") -> int:
    """A match cursor's sequence number; other cursors are refused."""
    key = decode_cursor(cursor, field)
    if not isinstance(key, int):
        raise InputError.one(field, "not a match cursor", "INVALID_CURSOR")
    return key
