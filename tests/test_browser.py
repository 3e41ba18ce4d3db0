"""The dashboard and GraphiQL in headless Chromium, with no route off the machine.

Playwright drives Debian's `chromium` (never a browser of its own). Every request the
pages make to anything but the test's hub on 127.0.0.1 is aborted and recorded, so a
page that still reached for a CDN fails here as it would on an intranet.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Request, Route, async_playwright, expect

from tests.records import welder_need, welders_cluster
from tests.relay import Relay

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it",
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these Chromium reaches for Google's services at start, which a closed
    # network refuses (and which these tests would record as off-machine requests)
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CREATE_NEED = """
mutation ($input: CreateNeedInput!) { createNeed(input: $input) { userErrors { code message } } }
"""
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@dataclass
class Tab:
    """A page in its own browser context, with what it tried beyond the machine."""

    page: Page
    offsite: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def csp_violations(self) -> list[str]:
        return await self.page.evaluate("window.cspViolations")

    async def assert_self_contained(self) -> None:
        """Nothing was sent off the machine, no script failed, no policy was violated."""
        assert self.offsite == []
        assert self.errors == []
        assert await self.csp_violations() == []


@pytest.fixture
async def tabs(browser: Browser) -> AsyncIterator[Callable[[], Awaitable[Tab]]]:
    """Opens tabs that reach only 127.0.0.1; closes them after the test."""
    contexts = []

    async def open_tab() -> Tab:
        context = await browser.new_context()
        contexts.append(context)
        tab = Tab(await context.new_page())

        async def only_loopback(route: Route, request: Request) -> None:
            tab.requested.append(request.url)
            if urlsplit(request.url).hostname == "127.0.0.1":
                await route.continue_()
            else:
                tab.offsite.append(request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_loopback)
        await context.add_init_script(RECORD_VIOLATIONS)
        tab.page.on("websocket", lambda ws: _note_socket(tab, ws.url))
        tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
        return tab

    yield open_tab
    for context in contexts:
        await context.close()


def _note_socket(tab: Tab, url: str) -> None:
    if urlsplit(url).hostname != "127.0.0.1":
        tab.offsite.append(url)


async def _dashboard(tab: Tab, base_url: str, headers: dict[str, str]) -> Page:
    """The dashboard connected with the key of `headers`, typed in and sent from the
    keyboard."""
    key = headers["authorization"].removeprefix("Bearer ")
    page = tab.page
    await page.goto(base_url + "/")  # `/` leads to the dashboard
    await expect(page).to_have_title("ClusterHub · Live matches")
    await page.get_by_label("API key").focus()
    await page.keyboard.type(key)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Connected: matches arrive live")
    assert key not in page.url
    return page


def _card(page: Page, need_title: str):
    return page.locator("#matches > li").filter(has_text=need_title)


async def _create_need(hub, member: dict[str, str], need: dict[str, Any]) -> None:
    answer = await hub.query(CREATE_NEED, {"input": need}, member)
    assert answer["createNeed"]["userErrors"] == []


async def test_a_match_appears_within_two_seconds_of_create_need(hub, tabs):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    tab = await tabs()
    page = await _dashboard(tab, hub.base_url, viewer)
    await hub.wait_subscribers(1)

    started = time.perf_counter()
    await _create_need(hub, member, welder_need(1))
    card = _card(page, "Schweißer 1")
    await expect(card).to_be_visible(timeout=2000)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed

    text = await card.inner_text()
    for shown in ("Zwei Schweißer in Kurzarbeit", "Testbetrieb 0 GmbH", "Testbetrieb 1 GmbH"):
        assert shown in text
    assert "Score " in text and "Welding" in text  # the matched skill, by its label
    counts = page.locator("#counts tbody tr")
    await expect(counts).to_have_text(["Testnetzwerk Nord\t1"], use_inner_text=True)
    await page.get_by_role("button", name="Compute coverage").click()
    await expect(page.locator("#coverage")).to_have_text(
        "1 of 1 positions covered (100 %); 1 (100 %) when people take the suggested trainings first."
    )
    await tab.assert_self_contained()


async def test_matches_missed_while_the_network_was_down_appear_once_after_reconnecting(hub, tabs):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    port = urlsplit(hub.base_url).port
    assert port is not None
    async with Relay(port) as relay:
        tab = await tabs()
        page = await _dashboard(tab, relay.url, viewer)
        await hub.wait_subscribers(1)
        await _create_need(hub, member, welder_need(0))
        await expect(_card(page, "Schweißer 0")).to_be_visible()

        relay.cut()
        status = page.get_by_role("status")
        await expect(status).to_contain_text("reconnecting")
        for n in (1, 2, 3):  # made while the dashboard cannot hear of them
            await _create_need(hub, member, welder_need(n))
        await asyncio.sleep(1)  # a few failed attempts to reconnect
        relay.restore()

        await expect(status).to_have_text("Connected: matches arrive live", timeout=10_000)
        for n in (1, 2, 3):
            await expect(_card(page, f"Schweißer {n}")).to_have_count(1)
        await _create_need(hub, member, welder_need(4))  # and it is live again
        await expect(_card(page, "Schweißer 4")).to_have_count(1)

    cards = page.locator("#matches > li")
    await expect(cards).to_have_count(5)  # each match exactly once
    keys = [await card.get_attribute("data-key") for card in await cards.all()]
    assert len(set(keys)) == 5
    await expect(page.locator("#counts tbody tr")).to_have_text(
        ["Testnetzwerk Nord\t5"], use_inner_text=True
    )
    await tab.assert_self_contained()


def _closed_cluster(slug: str) -> dict[str, Any]:
    """A cluster whose members' listings only its members see; x-0 offers a welder."""
    data = welders_cluster()
    data["cluster"] |= {"id": slug, "name": f"Cluster {slug}", "sharing": {"policy": "CLUSTER"}}
    for i, organisation in enumerate(data["organisations"]):
        organisation |= {"id": f"{slug}-{i}", "name": f"{slug} Betrieb {i}"}
        organisation["memberships"] = [{"cluster": slug, "binding": True}]
    data["offers"][0] |= {"id": f"{slug}-welders", "organisation": f"{slug}-0"}
    return data


async def test_a_key_never_sees_a_match_of_a_cluster_hidden_from_it(hub, tabs):
    await hub.seed(_closed_cluster("alpha"), _closed_cluster("beta"))
    keys = [
        await hub.key("MEMBER", organisation="beta-1"),
        await hub.key("CLUSTER_ADMIN", cluster="beta"),
    ]
    pages = []
    for key in keys:
        tab = await tabs()
        pages.append(await _dashboard(tab, hub.base_url, key))
    await hub.wait_subscribers(len(keys))

    hidden = dict(welder_need(1), organisationId="alpha-1", title="Geheim in alpha")
    visible = dict(welder_need(2), organisationId="beta-1", title="Offen in beta")
    await _create_need(hub, await hub.key("MEMBER", organisation="alpha-1"), hidden)
    await _create_need(hub, keys[0], visible)
    alpha_matches = await hub.query(
        '{ matches(filter: {clusterIds: ["alpha"]}) { totalCount } }',
        headers=await hub.key("HUB_ADMIN"),
    )
    assert alpha_matches["matches"]["totalCount"] == 1  # the hidden match exists

    for page in pages:  # the later match arrived, so the earlier one would have too
        await expect(_card(page, "Offen in beta")).to_be_visible()
        await expect(page.locator("#matches > li")).to_have_count(1)
        await expect(page.get_by_text("Geheim in alpha")).to_have_count(0)
        await expect(page.locator("#counts tbody tr")).to_have_text(
            ["Cluster beta\t1"], use_inner_text=True
        )


async def test_graphiql_runs_a_query_and_a_subscription_without_the_internet(hub, tabs):
    await hub.seed(welders_cluster())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    tab = await tabs()
    page = tab.page
    await page.goto(hub.base_url + "/graphql")
    await expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()

    await page.get_by_role("button", name="Headers").click()
    await _set_editor(
        page,
        ".graphiql-editor-tool .graphiql-editor:not(.hidden)",
        f'{{"Authorization": "{viewer["authorization"]}"}}',
    )
    await _set_query(page, "{ viewer { role clusterId } clusters { edges { node { name } } } }")
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    result = page.locator(".result-window")
    await expect(result).to_contain_text('"role": "VIEWER"')
    await expect(result).to_contain_text('"name": "Testnetzwerk Nord"')

    # a subscription over the WebSocket, the key from the Headers tab in connection_init
    await _set_query(page, "subscription { matchFound { need { title } score } }")
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    await hub.wait_subscribers(1)
    await _create_need(hub, member, welder_need(7))
    await expect(result).to_contain_text('"title": "Schweißer 7"')

    assert any(url.endswith("/static/vendor/graphiql/graphiql.min.js") for url in tab.requested)
    await tab.assert_self_contained()


async def _set_editor(page: Page, editor: str, text: str) -> None:
    """Replace the text of one of GraphiQL's CodeMirror editors."""
    await page.locator(f"{editor} .CodeMirror").evaluate(
        "(node, text) => node.CodeMirror.setValue(text)", text
    )


async def _set_query(page: Page, text: str) -> None:
    """Replace the query, and wait until GraphiQL has parsed it (after a debounce): its
    operation type decides between HTTP and the WebSocket."""
    await _set_editor(page, ".graphiql-query-editor", text)
    async with asyncio.timeout(5):
        while await page.evaluate("localStorage.getItem('graphiql:query')") != text:
            await asyncio.sleep(0.05)


async def test_a_tab_reaches_nothing_beyond_the_machine(tabs):
    """The harness itself: a request to a CDN is refused and recorded, not sent."""
    tab = await tabs()
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        await tab.page.goto("https://unpkg.com/graphiql/graphiql.min.js")
    assert tab.offsite == ["https://unpkg.com/graphiql/graphiql.min.js"]
