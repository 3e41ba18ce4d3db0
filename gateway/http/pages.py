"""The hub's browser pages: the live match dashboard and GraphiQL, both offline.

Their scripts and styles, GraphiQL's vendored bundles included (`static/vendor/`), are
served from the package, never a CDN, so both pages work on an intranet without
internet access. Each page carries a Content-Security-Policy that lets it load from and
connect to the hub only; pages link their assets relatively, so they also work behind a
proxy that mounts the hub under a path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

_SELF_ONLY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""'self' in connect-src covers ws:/wss: to the same host and port (CSP Level 3)."""
DASHBOARD_POLICY = f"{_SELF_ONLY}; style-src 'self'"
GRAPHIQL_POLICY = f"{_SELF_ONLY}; style-src 'self' 'unsafe-inline'; font-src 'self' data:"
"""GraphiQL's components inject <style> elements at run time (react-remove-scroll, the
explorer) and its CSS embeds its fonts as data: URLs; scripts stay 'self' only, no eval."""


@cache
def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _page(name: str, policy: str) -> HTMLResponse:
    return HTMLResponse(
        _template(name),
        headers={
            "content-security-policy": policy,
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "cache-control": "no-cache",
        },
    )


def graphiql_page() -> HTMLResponse:
    """GraphiQL, for a browser's GET of /graphql."""
    return _page("graphiql.html", GRAPHIQL_POLICY)


async def dashboard(request: Request) -> HTMLResponse:
    return _page("dashboard.html", DASHBOARD_POLICY)


async def index(request: Request) -> RedirectResponse:
    """`/` leads to the dashboard (relative, so a path prefix in front is kept)."""
    return RedirectResponse("dashboard", status_code=302)


ROUTES: list[BaseRoute] = [
    Route("/", index),
    Route("/dashboard", dashboard),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]
