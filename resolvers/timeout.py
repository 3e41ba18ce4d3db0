"""The execution timeout: the second line behind the cost limit.

The cost is an estimate; a slow database or lists longer than assumed can still make an
accepted operation run long. `OperationTimeout` cuts execution off after `seconds` with
`TIMEOUT`: a query's work is cancelled, a subscription's setup too (not its stream,
which lives as long as its socket).

A mutation is not cut off half-way: each mutation field runs its use case through
`run_to_completion`, which the timeout does not cancel, so a write that started is
finished and audited as usual, and the caller is told to read the data again before
retrying. Mutation fields after it in the same document do not start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.errors import OperationTimedOut

log = logging.getLogger("clusterhub.timeout")

T = TypeVar("T")

_finishing: set[asyncio.Task[Any]] = set()
"""Writes whose operation timed out, held until they finish (the loop keeps weak refs)."""


class OperationTimeout(SchemaExtension):
    """Cancels an operation's execution after `seconds` and answers `TIMEOUT`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def on_execute(self) -> AsyncIterator[None]:
        deadline = asyncio.timeout(self.seconds)
        try:
            async with deadline:
                yield
        except TimeoutError:
            if not deadline.expired():
                raise
            context = self.execution_context
            log.warning(
                "%s cut off after %g s", context.operation_name or "operation", self.seconds
            )
            error = OperationTimedOut(
                self.seconds, mutation=context.operation_type is OperationType.MUTATION
            )
            # coded here: an error raised from this hook skips the other extensions
            raise GraphQLError(
                str(error), original_error=error, extensions={"code": error.code}
            ) from None


async def run_to_completion(work: Awaitable[T]) -> T:
    """Await a mutation's use case; if the operation is cut off meanwhile, the write goes
    on to its end (and its outcome is logged) instead of stopping half-done."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _finishing.add(task)
        task.add_done_callback(_finished)
        raise


def _finished(task: asyncio.Task[Any]) -> None:
    _finishing.discard(task)
    if task.cancelled():
        log.warning("a write whose operation timed out was cancelled (shutdown)")
    elif task.exception() is not None:
        log.warning("a write whose operation timed out failed: %s", task.exception())
    else:
        log.info("a write whose operation timed out finished and is saved")
