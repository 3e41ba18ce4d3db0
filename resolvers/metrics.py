"""GraphQL operations counted for the hub's metrics, whoever keeps them.

`OperationMetrics` reports every query and mutation, over any transport, to the
`Observer` the HTTP edge gives the schema (`gateway.http.metrics`): its type, how long
it took, and the codes of its errors. Subscriptions are left to the transports: the
subscribers of one cohort share a single execution here, and a subscription's length
is its subscriber's, not the hub's work.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from typing import Protocol

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from resolvers.errors import client_code

UNKNOWN = "unknown"
"""The type of an operation refused before its type was known (e.g. it does not parse)."""


class Observer(Protocol):
    def operation(self, kind: str, seconds: float | None, codes: Collection[str]) -> None:
        """One operation of type `kind` answered in `seconds` (None: not timed), with
        errors of `codes` (none: it succeeded)."""


def operation_kind(context: ExecutionContext) -> str:
    """`query`, `mutation`, `subscription`, or `unknown`."""
    try:
        return context.operation_type.value
    except RuntimeError:  # no operation to run: the error says why
        return UNKNOWN


class OperationMetrics(SchemaExtension):
    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        kind = operation_kind(context)
        if kind == OperationType.SUBSCRIPTION.value:
            return
        errors = context.result.errors if context.result is not None else None
        codes = {client_code(error) for error in errors or ()}
        self.observer.operation(kind, time.perf_counter() - started, codes)
