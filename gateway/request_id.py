"""The request id of the work under way: one per HTTP request and per WebSocket operation.

The HTTP edge sets it (`gateway.http.requestids`), taking a caller's `X-Request-ID`
when it is sane, so a proxy's or client's id follows the request into the hub; every
log line and every error's `extensions.requestId` then name it, whichever layer writes
them. A context variable carries it: it follows the request into the tasks it starts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

HEADER = "x-request-id"

_SANE = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
"""What an incoming id may be: bounded and safe to echo in headers and log lines."""

_current: ContextVar[str | None] = ContextVar("clusterhub_request_id", default=None)


def current() -> str | None:
    """The id of the request under way; None outside one (start-up, background work)."""
    return _current.get()


def accept(incoming: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    """`request_id` is the current one within the block (and in tasks started in it)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def in_extensions(extensions: dict[str, Any]) -> dict[str, Any]:
    """An error's `extensions` naming the request it happened in, when there is one."""
    current_id = current()
    return extensions if current_id is None else {**extensions, "requestId": current_id}
