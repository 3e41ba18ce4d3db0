"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from strawberry.types import Info as _Info

from gateway.auth import Principal
from gateway.events import EventStream
from gateway.store import Store
from gateway.taxonomy import TaxonomyCache
from resolvers.loaders import Loaders


@dataclass
class Context:
    request: HTTPConnection
    store: Store
    events: EventStream
    taxonomy: TaxonomyCache
    viewer: Principal | None = None
    """The authenticated caller; None for anonymous callers."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket `connection_init` payload (set by Strawberry)."""
    _loaders: Loaders | None = field(default=None, init=False)

    @property
    def loaders(self) -> Loaders:
        """Created on first use, after a WebSocket's `connection_init` set the viewer."""
        if self._loaders is None:
            self._loaders = Loaders(self.store, self.viewer, self.taxonomy)
        return self._loaders

    def fresh_loaders(self) -> None:
        """New loaders for the next live event, sharing recent loads with other subscribers."""
        self._loaders = Loaders(self.store, self.viewer, self.taxonomy, self.events.recent)


Info = _Info[Context, None]
