"""Cohorts: identical subscriptions share one computation; different views never share, nor
replays."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from tests.records import day, welder_need, welders_cluster

MATCH_FOUND = "subscription { matchFound { key score need { key } } }"
RESUMED = "subscription ($after: String) { matchFound(after: $after) { key cursor } }"
TALENT = """subscription { offerPublished(filter: {kinds: [TALENT]}) {
  key talent { candidate { name } } } }"""
CREATE_NEED = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key version } } }"
UPDATE_NEED = """mutation ($id: ID!, $i: UpdateNeedInput!) {
  updateNeed(id: $id, input: $i) { need { version } userErrors { code } } }"""
REFER = """mutation ($i: ReferCandidateInput!) {
  referCandidate(input: $i) { offer { key } userErrors { code } } }"""


@pytest.fixture
async def welders(hub):
    await hub.seed(welders_cluster())
    return hub


async def _subscribed(stack: AsyncExitStack, hub, query: str, headers: dict, count: int) -> list:
    init = {"Authorization": headers["authorization"]}
    return [await stack.enter_async_context(hub.subscribe(query, init=init)) for _ in range(count)]


async def test_identical_subscriptions_share_one_cohort_and_each_gets_every_event_once(welders):
    hub = welders
    viewers = [await hub.key("VIEWER", cluster="test-cluster") for _ in range(2)]
    member = await hub.key("MEMBER", organisation="test-org-1")
    async with AsyncExitStack() as stack:
        live = []
        for viewer in viewers:  # two keys, one view of the data: one cohort
            live += await _subscribed(stack, hub, MATCH_FOUND, viewer, 10)
        await hub.wait_subscribers(20)
        assert (hub.app.state.hub.cohorts.count, hub.app.state.hub.events.subscriber_count) == (
            1,
            1,
        )

        created = (await hub.query(CREATE_NEED, {"i": welder_need(0)}, member))["createNeed"]
        first = await asyncio.gather(*(s.next() for s in live))
        # re-scored: the need now wants three people, so the offer covers a third
        changed = {"headcount": 3, "expectedVersion": created["need"]["version"]}
        updated = await hub.query(UPDATE_NEED, {"id": created["need"]["key"], "i": changed}, member)
        assert updated["updateNeed"]["userErrors"] == []
        second = await asyncio.gather(*(s.next() for s in live))
        for s in live:
            with pytest.raises(TimeoutError):
                await s.next(timeout=0.3)  # once each, nothing more
    assert len({r["matchFound"]["score"] for r in first}) == 1
    assert len({r["matchFound"]["score"] for r in second}) == 1
    assert second[0]["matchFound"]["score"] < first[0]["matchFound"]["score"]


async def test_the_same_selection_under_different_views_gives_different_payloads(welders):
    hub = welders
    referrer = await hub.key("MEMBER", organisation="test-org-0")
    neighbour = await hub.key("MEMBER", organisation="test-org-1")  # same cluster, other org
    async with AsyncExitStack() as stack:
        [mine] = await _subscribed(stack, hub, TALENT, referrer, 1)
        [theirs] = await _subscribed(stack, hub, TALENT, neighbour, 1)
        await hub.wait_subscribers(2)
        assert hub.app.state.hub.cohorts.count == 2
        referral = {
            "organisationId": "test-org-0",
            "title": "Zweitplatzierte Schweißerin",
            "source": "RUNNER_UP",
            "candidate": {"name": "Erika Muster"},
            "skills": ["welding"],
            "period": {"start": day(-6)},
        }
        assert (await hub.query(REFER, {"i": referral}, referrer))["referCandidate"][
            "userErrors"
        ] == []
        seen_by_referrer = (await mine.next())["offerPublished"]
        seen_by_neighbour = (await theirs.next())["offerPublished"]
    assert seen_by_referrer["talent"]["candidate"] == {"name": "Erika Muster"}
    assert seen_by_neighbour["talent"]["candidate"] is None


async def test_a_subscriber_resuming_later_from_the_same_cursor_gets_the_replay_too(welders):
    hub = welders
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    await hub.query(CREATE_NEED, {"i": welder_need(0)}, member)
    [first] = (await hub.query("{ matches { edges { node { cursor } } } }", headers=viewer))[
        "matches"
    ]["edges"]
    resume = {"after": first["node"]["cursor"]}
    init = {"Authorization": viewer["authorization"]}
    async with hub.subscribe(RESUMED, resume, init=init) as early:
        await hub.wait_subscribers(1)
        await hub.query(CREATE_NEED, {"i": welder_need(1)}, member)
        missed = await early.next()
        # joining the early one's cohort, the late one would find its replay over
        async with hub.subscribe(RESUMED, resume, init=init) as late:
            assert await late.next() == missed


async def test_dashboards_resuming_from_different_cursors_replay_alone_then_share_one_cohort(
    welders,
):
    hub = welders
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    for n in range(3):
        await hub.query(CREATE_NEED, {"i": welder_need(n)}, member)
    edges = (await hub.query("{ matches { edges { node { key cursor } } } }", headers=viewer))[
        "matches"
    ]["edges"]
    keys = [e["node"]["key"] for e in edges]
    cursors = [e["node"]["cursor"] for e in edges]
    init = {"Authorization": viewer["authorization"]}
    async with AsyncExitStack() as stack:
        since_first = await stack.enter_async_context(
            hub.subscribe(RESUMED, {"after": cursors[0]}, init=init)
        )
        since_second = await stack.enter_async_context(
            hub.subscribe(RESUMED, {"after": cursors[1]}, init=init)
        )
        fresh = await stack.enter_async_context(hub.subscribe(RESUMED, {}, init=init))
        replayed = [
            [(await since_first.next())["matchFound"]["key"] for _ in range(2)],
            [(await since_second.next())["matchFound"]["key"]],
        ]
        assert replayed == [keys[1:], keys[2:]]  # each its own missed matches, in order
        await hub.wait_subscribers(3)
        cohorts = hub.app.state.hub.cohorts
        assert (cohorts.count, cohorts.member_count) == (1, 3)  # the live part is shared

        await hub.query(CREATE_NEED, {"i": welder_need(3)}, member)
        live = [(await s.next())["matchFound"]["key"] for s in (since_first, since_second, fresh)]
        assert len(set(live)) == 1 and live[0] not in keys
        for s in (since_first, since_second, fresh):
            with pytest.raises(TimeoutError):
                await s.next(timeout=0.3)  # once each, nothing replayed twice
