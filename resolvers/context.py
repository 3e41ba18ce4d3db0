"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from strawberry.types import Info as _Info

from gateway.auth import Principal
from gateway.events import EventStream
from gateway.store import Store
from resolvers.loaders import Loaders


@dataclass
class Context:
    request: HTTPConnection
    store: Store
    events: EventStream
    viewer: Principal | None = None
    """The authenticated caller; None for anonymous callers."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket `connection_init` payload (set by Strawberry)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)


Info = _Info[Context, None]
