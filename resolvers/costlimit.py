"""The cost budget: an operation whose static cost (`resolvers.cost`) is over the limit is
refused before it runs; an accepted one reports its cost in `extensions.cost`.

Depth, alias and token limits bound a document's size, not its work: a 3 KB query
nesting lists under aliases stays within all three and still asks for millions of
objects. The cost counts those objects, so it is checked as part of validation: the
refusal takes the path every validation error takes, over HTTP and both WebSocket
protocols alike, and nothing is executed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.errors import CostLimitExceeded
from resolvers.cost import operation_cost


class QueryCost(SchemaExtension):
    """Computes each operation's cost ahead of validation; over `limit`, validation gets a
    rule that refuses the document with `COST_LIMIT` and the computed cost."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            self.cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
        if self.cost is not None and self.cost > self.limit:
            context.validation_rules = (
                *context.validation_rules,
                _refusal(CostLimitExceeded(self.cost, self.limit)),
            )
        yield

    def get_results(self) -> dict[str, Any]:
        """The cost of a query or mutation, next to its data (not on each subscription
        event: a stream's cost was checked once, when it started)."""
        if self.cost is None or self.cost > self.limit:
            return {}
        try:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                return {}
        except RuntimeError:  # no operation to run: GraphQL reports that
            return {}
        return {"cost": {"requested": self.cost, "limit": self.limit}}


def _refusal(error: CostLimitExceeded) -> type[ValidationRule]:
    """A validation rule that reports `error` once, with the cost and limit for clients."""

    class CostLimit(ValidationRule):
        def enter_document(self, *_: Any) -> None:
            self.report_error(
                GraphQLError(
                    str(error),
                    original_error=error,
                    extensions={"cost": error.cost, "limit": error.limit},
                )
            )

    return CostLimit
