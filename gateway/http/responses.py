"""Errors answered before GraphQL runs, in GraphQL's shape: `errors[].extensions.code`."""

from __future__ import annotations

from starlette.responses import JSONResponse

from gateway.errors import ClusterHubError, RateLimited


def error_response(error: ClusterHubError) -> JSONResponse:
    """The error as a GraphQL-shaped JSON body with its HTTP status."""
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, RateLimited) else None
    body = {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}
    return JSONResponse(body, status_code=error.status, headers=headers)
