"""Errors answered before GraphQL runs, in GraphQL's shape: `errors[].extensions.code`
and the request's id (`extensions.requestId`)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from gateway import request_id
from gateway.errors import ClusterHubError, RateLimited


def error_response(error: ClusterHubError) -> JSONResponse:
    """The error as a GraphQL-shaped JSON body with its HTTP status."""
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, RateLimited) else None
    extensions = request_id.in_extensions({"code": error.code})
    body = {"errors": [{"message": str(error), "extensions": extensions}]}
    return JSONResponse(body, status_code=error.status, headers=headers)
