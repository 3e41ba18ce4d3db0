"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from strawberry.types import Info as _Info

from gateway.events import EventStream
from gateway.store import Store
from resolvers.loaders import Loaders
from schemas.graphql.viewer import Viewer


@dataclass
class Context:
    request: HTTPConnection
    store: Store
    events: EventStream
    viewer: Viewer | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)


Info = _Info[Context, None]
