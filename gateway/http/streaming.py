"""What every streaming transport (both WebSocket protocols, SSE) does around its operations.

- Subscriptions with the same operation, variables and view of the data join one cohort
  (`gateway.live.cohorts`): executed once per event for all of them. One that reads a
  candidate's personal data shares only with the same key, so the access log names every
  key it reaches. One that resumes (`matchFound(after:)`, or an SSE `Last-Event-ID`)
  replays the stored matches it missed on its own, then reads the live cohort of the same
  operation without `after` (`CohortSchema._resumed`): a dashboard resuming after a drop
  shares the live work again.
- A connection (a socket, an SSE response) is registered under the API key it
  authenticated with (`KeyWatch`): when the key is revoked (on any hub process) or
  expires, the connection is cut off and no further operation runs on it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from contextlib import aclosing, suppress
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

from gateway.domain.cursors import decode_sequence
from gateway.errors import ClientError
from gateway.http.metrics import Metrics
from gateway.live.connections import Close, Connection
from gateway.services.keyring import REVOKED
from resolvers.context import Context
from resolvers.eventids import event_id
from resolvers.subscription import LIVE_ONLY, StoredOnly

SUBSCRIPTION = OperationType.SUBSCRIPTION
Run = Callable[..., Awaitable[Any]]
"""How a transport runs an operation: `schema.subscribe` or `schema.stream`."""


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

    def live(self, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        """The variables without those passed as `after`: the live part's."""
        return {k: v for k, v in (variables or {}).items() if k not in self.after_variables}

    def resumes_after(self, variables: Mapping[str, Any] | None) -> str | None:
        """The cursor passed as `after` through a variable, if any."""
        given = variables or {}
        return next((given[v] for v in self.after_variables if given.get(v) is not None), None)


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
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    context: Context,
    *,
    live_only: bool = False,
) -> tuple[Any, ...] | None:
    """What makes two subscriptions compute the same: None for what is not shared. One
    that resumes is not shared, unless `live_only` (its replay is done apart)."""
    viewer = context.viewer
    if viewer is None or operation_type(query, operation_name) is not OperationType.SUBSCRIPTION:
        return None
    shape = _shape(query)
    if not live_only and (context.resume_after is not None or shape.replays(variables)):
        return None
    scope = (viewer.role, viewer.cluster, viewer.organisation, viewer.clusters)
    if shape.reads_candidates:  # the access log names each key that reads personal data
        scope += (viewer.key_id,)
    return (query, operation_name, json.dumps(shape.live(variables), sort_keys=True), scope)


def _sequence(result: Any, default: int | None) -> int | None:
    """The cursor number of the match `result` was computed for (`default` if none)."""
    cursor = event_id(result)
    return decode_sequence(cursor) if cursor is not None else default


def _streams(results: Any) -> bool:
    """Whether an operation produced a stream (not an error before execution)."""
    return hasattr(results, "__aiter__")


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

    async def _run(self, run: Run, query: str, options: dict) -> Any:
        name, variables = options.get("operation_name"), options.get("variable_values")
        key = _cohort_key(query, name, variables, self._context)
        if key is not None:
            cohorts = self._context.hub.cohorts
            results = cohorts.stream(key, lambda: run(query, **options), self._context.cut_off)
        elif (after := self._resume_point(query, name, variables)) is not None:
            results = await self._resumed(run, query, options, after)
        else:
            results = await run(query, **options)
        if operation_type(query, name) is OperationType.SUBSCRIPTION:
            return self._metrics.stream(results)
        return results

    def _resume_point(
        self, query: str, name: str | None, variables: dict[str, Any] | None
    ) -> int | None:
        """The cursor number a subscription resumes after, when its live part can be
        shared (not for `after` written inline, nor for an invalid cursor: the ordinary
        path reports that)."""
        if self._context.viewer is None or operation_type(query, name) is not SUBSCRIPTION:
            return None
        shape = _shape(query)
        cursor = self._context.resume_after or shape.resumes_after(variables)
        if cursor is None or shape.after_inline or not isinstance(cursor, str):
            return None
        try:
            return decode_sequence(cursor)
        except ClientError:
            return None

    async def _resumed(self, run: Run, query: str, options: dict, after: int) -> Any:
        """A resumed subscription: its missed matches replayed alone, the live ones read
        from the cohort of the same operation without `after`."""
        replay = await run(query, **{**options, "root_value": StoredOnly(after)})
        if not _streams(replay):
            return replay  # an error before execution, answered as it is
        name, variables = options.get("operation_name"), options.get("variable_values")
        shape = _shape(query)
        live_key = _cohort_key(query, name, variables, self._context, live_only=True)
        live_options = {
            **options,
            "variable_values": shape.live(variables),
            "root_value": LIVE_ONLY,
        }
        return self._replay_then_live(run, query, options, after, replay, live_key, live_options)

    async def _replay_then_live(
        self,
        run: Run,
        query: str,
        options: dict,
        after: int,
        replay: AsyncIterator[Any],
        live_key: Hashable,
        live_options: dict,
    ) -> AsyncIterator[Any]:
        """Joins the live cohort first, so that its results from then on queue up; then
        yields the replay; then the cohort's results after the last match replayed. The
        cohort's first event may come later than a match committed after the replay read
        the store: before it, the matches between are read once more. Cursors follow
        commit order, so those are all stored by then, and every later one is live."""
        cohorts, cut_off = self._context.hub.cohorts, self._context.cut_off
        start = lambda: run(query, **live_options)  # noqa: E731
        async with cohorts.member(live_key, start, cut_off) as live, aclosing(replay):
            last = after
            async for result in replay:
                last = _sequence(result, last)
                yield result
            filled = False
            async for result in live:
                sequence = _sequence(result, None)
                if sequence is not None and sequence <= last:
                    continue  # replayed already
                if sequence is not None and not filled:
                    filled = True
                    gap = StoredOnly(last, before=sequence)
                    missed = await run(query, **{**options, "root_value": gap})
                    if _streams(missed):
                        async with aclosing(missed):
                            async for result_between in missed:
                                yield result_between
                last = sequence if sequence is not None else last
                yield result


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
