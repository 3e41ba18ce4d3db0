"""The GraphQL schema: an Apollo Federation 2 subgraph with the hub's request limits,
cost budget and execution timeout."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from gateway.settings import Settings
from resolvers.costlimit import QueryCost
from resolvers.errors import ClientErrors, log_errors
from resolvers.eventids import EventIds
from resolvers.introspection import NoIntrospection
from resolvers.metrics import Observer, OperationMetrics
from resolvers.mutation import Mutation
from resolvers.query import Query
from resolvers.subscription import Subscription
from resolvers.timeout import OperationTimeout


class Schema(strawberry.federation.Schema):
    """The federation schema, logging errors the hub's way (see `resolvers.errors`)."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        log_errors(errors, execution_context)


def build_schema(settings: Settings | None = None, observer: Observer | None = None) -> Schema:
    """The schema with the request limits, cost budget and timeout of `settings`
    (defaults when None), reporting its operations to `observer` (`resolvers.metrics`)."""
    settings = settings or Settings()
    extensions: list = [
        ClientErrors,
        EventIds,
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: QueryCost(limit=settings.max_query_cost),
        lambda: OperationTimeout(seconds=settings.operation_timeout_seconds),
    ]
    if not settings.introspection:
        extensions.append(NoIntrospection)
    if observer is not None:  # first, so that its time covers the others' work
        extensions.insert(0, lambda: OperationMetrics(observer))
    return Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)
