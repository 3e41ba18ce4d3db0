"""Errors as clients see them: a message and a stable `code`, never a stack trace.

The hub's own errors carry their code (`gateway.errors`); GraphQL's get Apollo's
names (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT for bad
variables). Anything else is masked as INTERNAL. Field paths are turned from the
domain's snake_case names into the schema's names on the way out. Every error names
the request it happened in (`extensions.requestId`), which its log lines carry too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext

from gateway import request_id
from gateway.errors import ClientError, InputError, Unavailable, error_code, is_outage
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


_OPERATION_ERRORS = (InvalidOperationTypeError, CannotGetOperationTypeError, MissingQueryError)
"""Strawberry's refusals of an operation it cannot run (e.g. a query over WebSocket)."""


def _graphql_code(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def _code(error: GraphQLError) -> str | None:
    """The client code of an error; None for the hub's own faults."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return (error.extensions or {}).get("code") or _graphql_code(error)
    if isinstance(original, _OPERATION_ERRORS):
        return "GRAPHQL_VALIDATION_FAILED"
    return error_code(original)


def client_code(error: GraphQLError) -> str:
    """The code the client sees for an error."""
    return _code(error) or "INTERNAL"


def client_error(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: the hub's code, GraphQL's, or masked."""
    code = _code(error)
    if code is None:
        extensions = request_id.in_extensions({"code": "INTERNAL"})
        return GraphQLError("internal error", error.nodes, path=error.path, extensions=extensions)
    extensions = request_id.in_extensions({**(error.extensions or {}), "code": code})
    original = error.original_error
    if original is not None and is_outage(original):
        message = "the database is not available right now; retry in a few seconds"
    elif isinstance(original, ClientError):
        message = _message(original)
    else:
        message = error.message
    if isinstance(original, InputError):
        extensions["problems"] = [
            {"field": graphql_field(p.field), "message": p.message, "code": p.code}
            for p in original.problems
        ]
    return GraphQLError(message, error.nodes, path=error.path, extensions=extensions)


def log_errors(errors: list[GraphQLError], context: ExecutionContext | None) -> None:
    """Client mistakes at INFO without a traceback; the hub's faults once, with one."""
    operation = (context.operation_name if context else None) or "operation"
    for error in errors:
        original = error.original_error
        if original is not None and is_outage(original):
            log.warning("%s: the database did not answer (%s)", operation, original)
        elif (code := _code(error)) is not None:
            log.info("client error %s in %s: %s", code, operation, error.message)
        else:
            log.error(
                "unexpected error in %s at %s", operation, error.path, exc_info=error.original_error
            )


class ClientErrors(SchemaExtension):
    """Gives every error a code and masks unexpected ones as `internal error`.

    Results over HTTP pass `on_operation`, each streamed result (WebSocket) passes
    `on_stream_result`; both rewrite the errors the same way.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        self._rewrite(result)
        if result is not None and any(
            (e.extensions or {}).get("code") == Unavailable.code for e in result.errors or []
        ):  # the database is out of reach: over HTTP, answer 503 like the edge does
            response = getattr(self.execution_context.context, "response", None)
            if response is not None:
                response.status_code = Unavailable.status

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._rewrite(result)
        yield

    @staticmethod
    def _rewrite(result: Any) -> None:
        if result is not None and result.errors:
            result.errors = [client_error(e) for e in result.errors]
