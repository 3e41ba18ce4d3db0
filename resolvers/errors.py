"""Errors as clients see them: a message and a stable `code`, never a stack trace.

The hub's own errors carry their code (`gateway.errors`); GraphQL's get Apollo's
names (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT for bad
variables). Anything else is masked as INTERNAL. Field paths are turned from the
domain's snake_case names into the schema's names on the way out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from gateway.errors import ClientError, InputError, error_code
from schemas.graphql.common import UserError

log = logging.getLogger("clusterhub.errors")

_FIELD_NAMES = {"organisation": "organisationId"}
"""Domain field names whose GraphQL name differs by more than camelCase."""


def graphql_field(path: str) -> str:
    """A domain field path (`near.radius_km`) as the schema names it (`near.radiusKm`)."""
    parts = []
    for part in path.split("."):
        head, *rest = part.split("_")
        camel = head + "".join(p.title() for p in rest)
        parts.append(_FIELD_NAMES.get(camel, camel))
    return ".".join(parts)


def user_errors(error: ClientError) -> list[UserError]:
    """A client error as `userErrors` entries, one per problem."""
    if isinstance(error, InputError):
        return [
            UserError(field=graphql_field(p.field), message=p.message, code=p.code)
            for p in error.problems
        ]
    return [UserError(field="id", message=str(error), code=error.code)]


def _message(error: ClientError) -> str:
    if isinstance(error, InputError):
        return "; ".join(f"{graphql_field(p.field)}: {p.message}" for p in error.problems)
    return str(error)


def _graphql_code(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def client_error(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: the hub's code, GraphQL's, or masked."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None or isinstance(original, GraphQLError):
        extensions.setdefault("code", _graphql_code(error))
        message = error.message
    elif isinstance(original, ClientError):
        extensions["code"] = original.code
        message = _message(original)
        if isinstance(original, InputError):
            extensions["problems"] = [
                {"field": graphql_field(p.field), "message": p.message, "code": p.code}
                for p in original.problems
            ]
    else:
        return GraphQLError(
            "internal error", error.nodes, path=error.path, extensions={"code": "INTERNAL"}
        )
    return GraphQLError(message, error.nodes, path=error.path, extensions=extensions)


def log_errors(errors: list[GraphQLError], context: ExecutionContext | None) -> None:
    """Client mistakes at INFO without a traceback; the hub's faults once, with one."""
    operation = context.operation_name if context else None
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError) or error_code(original):
            log.info("client error in %s: %s", operation or "operation", error.message)
        else:
            log.error("unexpected error in %s at %s", operation, error.path, exc_info=original)


class ClientErrors(SchemaExtension):
    """Gives every error a code and masks unexpected ones as `internal error`."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [client_error(e) for e in result.errors]
