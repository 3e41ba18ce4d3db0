"""The GraphQL schema: an Apollo Federation 2 subgraph, and its plain SDL."""

from __future__ import annotations

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema, print_schema
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

from gateway.settings import Settings
from resolvers.errors import ClientErrors
from resolvers.mutation import Mutation
from resolvers.query import Query
from resolvers.subscription import Subscription


def build_schema(settings: Settings | None = None) -> strawberry.federation.Schema:
    """The schema with the request limits of `settings` (defaults when None)."""
    settings = settings or Settings()
    extensions: list = [
        ClientErrors,
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.federation.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


schema = build_schema()

_FEDERATION_FIELDS = {"_entities", "_service"}


def subgraph_sdl() -> str:
    """The SDL a federation gateway composes: `@link`, `@key` and the entity union."""
    return schema.as_str()


def plain_sdl() -> str:
    """The SDL for ordinary GraphQL clients: no federation fields, types or directives."""
    full = schema._schema
    query = full.query_type
    assert query is not None
    plain_query = GraphQLObjectType(
        query.name,
        {n: f for n, f in query.fields.items() if n not in _FEDERATION_FIELDS},
        interfaces=query.interfaces,
        description=query.description,
    )
    types = [t for name, t in full.type_map.items() if not name.startswith("_") and t is not query]
    return print_schema(
        GraphQLSchema(
            query=plain_query,
            mutation=full.mutation_type,
            subscription=full.subscription_type,
            types=types,
        )
    )
