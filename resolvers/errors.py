"""Errors as clients see them: a message and a stable code, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.access import Forbidden, Unauthenticated
from gateway.errors import ClusterHubError, InputError, NotFound, VersionConflict
from gateway.store import PageError

log = logging.getLogger("clusterhub.errors")

_CODES: tuple[tuple[type[Exception], str], ...] = (
    (Unauthenticated, "UNAUTHENTICATED"),
    (Forbidden, "FORBIDDEN"),
    (NotFound, "NOT_FOUND"),
    (InputError, "BAD_USER_INPUT"),
    (PageError, "BAD_USER_INPUT"),
    (VersionConflict, "VERSION_CONFLICT"),
    (ClusterHubError, "ERROR"),
)


def error_code(error: Exception) -> str | None:
    return next((code for kind, code in _CODES if isinstance(error, kind)), None)


def _client_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error  # syntax and validation errors are the client's and safe to show
    code = error_code(original)
    if code is None:
        log.error("unexpected error in %s", error.path, exc_info=original)
        return GraphQLError(
            "internal error", error.nodes, path=error.path, extensions={"code": "INTERNAL"}
        )
    return GraphQLError(
        str(original),
        error.nodes,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code},
    )


class ClientErrors(SchemaExtension):
    """Gives known errors a code and masks unexpected ones as `internal error`."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_client_error(e) for e in result.errors]
