"""The browser pages over plain HTTP: where `/` leads, their security headers, and that
every asset they load comes from the hub, unchanged (tests/test_browser.py runs them)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

ASSET = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"([^>]*)>')
INTEGRITY = re.compile(r'integrity="sha384-([^"]+)"')


async def test_the_root_leads_to_the_dashboard(hub):
    response = await hub.http.get("/")
    assert response.status_code == 302
    assert response.headers["location"] == "dashboard"  # relative: a path prefix is kept
    page = await hub.http.get("/", follow_redirects=True)
    assert page.url.path == "/dashboard"
    assert '<label for="api-key">API key</label>' in page.text


@pytest.mark.parametrize(
    ("path", "style"),
    [("/dashboard", "style-src 'self'"), ("/graphql", "style-src 'self' 'unsafe-inline'")],
)
async def test_pages_load_only_from_the_hub_and_run_no_eval(hub, path, style):
    response = await hub.http.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200
    policy = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy  # no inline script, no eval
    assert "connect-src 'self'" in policy
    assert style in policy
    assert "frame-ancestors 'none'" in policy

    assets = ASSET.findall(response.text)
    assert assets
    for url, attributes in assets:
        if url.startswith("data:"):
            continue
        assert url.startswith("static/"), url  # relative to the hub, never another host
        served = await hub.http.get("/" + url)
        assert served.status_code == 200, url
        if integrity := INTEGRITY.search(attributes):  # the vendored bundles, unchanged
            digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
            assert digest == integrity.group(1), url
