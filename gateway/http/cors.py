"""Which browser pages on other origins may use the hub: `cors_origins`, for HTTP and
WebSockets alike.

Off by default: without `cors_origins` no response carries CORS headers, so browsers
keep pages on other origins from reading the hub's answers, and a preflight is
refused. Browsers apply no CORS to WebSockets: Strawberry checks their handshake's
`Origin` against the same list instead (`GraphQLApp`), refusing other pages with 403,
so that a web page opened inside the intranet cannot reach the hub through the
browser. The hub's own pages and clients that are not browsers (no `Origin`) pass.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway import request_id
from gateway.settings import Settings

ALLOWED_HEADERS = ("authorization", "content-type", request_id.HEADER)
"""Request headers a GraphQL client sends."""
EXPOSED_HEADERS = (request_id.HEADER, "retry-after")
"""Response headers a page may read."""
PREFLIGHT_MAX_AGE = 600
"""Seconds a browser may reuse a preflight's answer."""


def cors_middleware(settings: Settings) -> list[Middleware]:
    """CORS for the pages of `settings.cors_origins`; none when there are none."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=("GET", "POST", "OPTIONS"),
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )
    ]
