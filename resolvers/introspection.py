"""Introspection off means the schema is not handed out by any field.

`DisableIntrospection` refuses `__schema` and `__type`; a federation subgraph also
answers `_service { sdl }` with its whole SDL, so that field is refused with them, for
every caller. A gateway composing the subgraph then takes its SDL from
`clusterhub export-schema --federation` instead.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import AddValidationRules

SERVICE_FIELD = "_service"


class NoServiceSdl(ValidationRule):
    """Refuses the federation `_service` field on the query root."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if (
            node.name.value == SERVICE_FIELD
            and self.context.get_parent_type() is self.context.schema.query_type
        ):
            self.report_error(
                GraphQLError(
                    "GraphQL introspection has been disabled, but the requested query "
                    f"contained the field '{SERVICE_FIELD}'.",
                    node,
                )
            )


class NoIntrospection(AddValidationRules):
    """Neither introspection nor the subgraph's `_service { sdl }`."""

    def __init__(self) -> None:
        super().__init__([NoSchemaIntrospectionCustomRule, NoServiceSdl])
