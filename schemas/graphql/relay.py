"""Relay-style connections with `totalCount`, built from a store `Page`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, Self, TypeVar

import strawberry
from strawberry import relay

from gateway.domain.cursors import encode_cursor
from gateway.domain.paging import Page

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Counted only when selected.")

    @classmethod
    def from_page(cls, page: Page, to_node: Callable[[dict[str, Any]], T]) -> Connection[T]:
        edges = [Edge(node=to_node(d), cursor=encode_cursor(d[page.order])) for d in page.documents]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total_count if page.total_count is not None else -1,
        )


@strawberry.interface(description="A node with a natural key, loaded in batches.")
class Entity(relay.Node):
    """A Relay node backed by one collection, loaded in batches through a DataLoader.

    Subclasses name their loader and build themselves `from_document`; `node`,
    federation `_entities` and by-id fields then share one batched load.
    """

    loader_name: ClassVar[str]

    @strawberry.field(description="The natural key (slug); accepted wherever an id is.")
    def key(self) -> str:
        return str(self.id)

    @classmethod
    def node_key(cls, id: str) -> str:
        """The natural key behind a global id; a bare natural key is accepted as well."""
        try:
            global_id = relay.GlobalID.from_id(id)
        except relay.GlobalIDValueError:
            return str(id)
        return global_id.node_id if global_id.type_name == cls.__name__ else str(id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        loader = getattr(info.context.loaders, cls.loader_name)
        docs = await loader.load_many(list(node_ids))
        return [cls.from_document(d) if d else None for d in docs]  # type: ignore[attr-defined]

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Self | None:
        """Federation `_entities`: the same batched, access-checked load as `node`."""
        found = await cls.resolve_nodes(info=info, node_ids=[cls.node_key(id)])
        return found[0]
