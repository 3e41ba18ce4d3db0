"""The schema as SDL, for `clusterhub export-schema`: the subgraph, or plain GraphQL."""

from __future__ import annotations

from graphql import GraphQLObjectType, GraphQLSchema, print_schema

from resolvers.schema import build_schema

_FEDERATION_FIELDS = {"_entities", "_service"}


def subgraph_sdl() -> str:
    """The SDL a federation gateway composes: `@link`, `@key` and the entity union."""
    return build_schema().as_str()


def plain_sdl() -> str:
    """The SDL for ordinary GraphQL clients: no federation fields, types or directives."""
    full = build_schema()._schema
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
