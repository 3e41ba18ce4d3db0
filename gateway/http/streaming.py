"""What every streaming transport (both WebSocket protocols, SSE) does around its operations.

- Subscriptions with the same operation, variables and view of the data join one cohort
  (`gateway.live.cohorts`): executed once per event for all of them. One that reads a
  candidate's personal data shares only with the same key, so the access log names every
  key it reaches. One that replays (`matchFound(after:)`, or an SSE `Last-Event-ID`)
  computes alone: a cohort's replay is over when a second subscriber joins it, so the
  joiner would miss what was replayed.
- A connection (a socket, an SSE response) is registered under the API key it
  authenticated with (`KeyWatch`): when the key is revoked (on any hub process) or
  expires, the connection is cut off and no further operation runs on it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationType,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)
from strawberry.schema.base import BaseSchema

from gateway.http.metrics import Metrics
from gateway.live.connections import Close, Connection
from gateway.services.keyring import REVOKED
from resolvers.context import Context


@lru_cache(maxsize=1024)
def operation_type(query: str, operation_name: str | None) -> OperationType | None:
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return None  # the ordinary path reports it
    return operation.operation if operation is not None else None


@dataclass(frozen=True)
class _Shape:
    """What in a document decides whom its subscription may share a cohort with."""

    reads_candidates: bool
    """It selects a referral's `candidate` (personal data) somewhere."""
    after_inline: bool
    """It passes a non-null `after` inline."""
    after_variables: frozenset[str]
    """The variables it passes as `after`."""

    def replays(self, variables: Mapping[str, Any] | None) -> bool:
        given = variables or {}
        return self.after_inline or any(given.get(v) is not None for v in self.after_variables)


class _ShapeFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.reads_candidates = False
        self.after_inline = False
        self.after_variables: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.reads_candidates |= node.name.value == "candidate"

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        if node.name.value != "after":
            return
        if isinstance(node.value, VariableNode):
            self.after_variables.add(node.value.name.value)
        elif not isinstance(node.value, NullValueNode):
            self.after_inline = True


@lru_cache(maxsize=1024)
def _shape(query: str) -> _Shape:
    finder = _ShapeFinder()
    with suppress(GraphQLError):  # not shared anyway: `operation_type` refused it
        visit(parse(query), finder)
    return _Shape(finder.reads_candidates, finder.after_inline, frozenset(finder.after_variables))


def _cohort_key(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, context: Context
) -> tuple[Any, ...] | None:
    """What makes two subscriptions compute the same: None for what is not shared."""
    viewer = context.viewer
    if viewer is None or operation_type(query, operation_name) is not OperationType.SUBSCRIPTION:
        return None
    shape = _shape(query)
    if context.resume_after is not None or shape.replays(variables):
        return None
    scope = (viewer.role, viewer.cluster, viewer.organisation, viewer.clusters)
    if shape.reads_candidates:  # the access log names each key that reads personal data
        scope += (viewer.key_id,)
    return (query, operation_name, json.dumps(variables or {}, sort_keys=True), scope)


class CohortSchema:
    """The schema as a transport runs operations on it: a subscription joins the cohort
    of the same operation, variables and view; anything else runs on its own. Each
    subscriber's stream is counted in `metrics`."""

    def __init__(self, schema: BaseSchema, context: Context, metrics: Metrics) -> None:
        self._schema = schema
        self._context = context
        self._metrics = metrics

    async def stream(self, query: str, **options: Any) -> Any:
        return await self._run(self._schema.stream, query, options)

    async def subscribe(self, query: str, **options: Any) -> Any:
        return await self._run(self._schema.subscribe, query, options)

    async def _run(self, run: Callable[..., Awaitable[Any]], query: str, options: dict) -> Any:
        key = _cohort_key(
            query, options.get("operation_name"), options.get("variable_values"), self._context
        )
        if key is not None:
            cohorts = self._context.hub.cohorts
            results = cohorts.stream(key, lambda: run(query, **options), self._context.cut_off)
        else:
            results = await run(query, **options)
        if operation_type(query, options.get("operation_name")) is OperationType.SUBSCRIPTION:
            return self._metrics.stream(results)
        return results


class KeyWatch:
    """Keeps a connection registered under its caller's key while it is open, so that
    revoking the key (or its expiry) cuts it off: `cut_off` is set at once, then `close`
    ends the connection."""

    def __init__(self, context: Context, close: Close) -> None:
        self.context = context
        self.close = close
        self.connection: Connection | None = None
        self.cut_off = False

    def start(self) -> None:
        viewer = self.context.viewer
        if viewer is None or self.connection:
            return
        keys = self.context.hub.keys
        self.connection = keys.connections.add(viewer.key_id, self._close, viewer.expires_at)
        if keys.was_revoked(viewer.key_id):  # revoked while the connection was being opened
            keys.connections.cut_off(viewer.key_id, REVOKED)

    def stop(self) -> None:
        if self.connection is not None:
            self.context.hub.keys.connections.remove(self.connection)
            self.connection = None

    def _close(self, reason: str) -> None:
        self.cut_off = True  # at once: no operation starts from now on
        self.connection = None
        self.close(reason)
