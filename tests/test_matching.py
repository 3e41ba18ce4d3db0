"""Matching, live match delivery, back-pressure and coverage."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import signal
import socket

import httpx
import pytest
import websockets

from gateway.store.embedded import free_port
from tests.client import running_hub, serve, wait_ready
from tests.records import NEED, OFFER, at, cluster_file, day, insert_raw_offers, welder_need

MATCH_FOUND = """
subscription ($filter: MatchFilter, $after: String) {
  matchFound(filter: $filter, after: $after) {
    id key score cursor status
    offer { key } need { key }
    explanation { matchedSkills { id } missingSkills { id } distanceKm overlappingDays }
    suggestedTrainings { key }
  }
}
"""

CREATE_NEED = """
mutation ($input: CreateNeedInput!) {
  createNeed(input: $input) { need { id key } userErrors { field message code } }
}
"""

MATCHES = """
query ($filter: MatchFilter) {
  matches(filter: $filter) {
    totalCount
    edges { node { key score status active offer { key } need { key }
      explanation { matchedSkills { id } relatedSkills { id } missingSkills { id } }
      suggestedTrainings { key } } }
  }
}
"""


def _warehouse_need(**changes) -> dict:
    need = {
        "organisationId": "elbkai-kontraktlogistik",
        "kind": "STAFF",
        "title": "Lagerkräfte mit Staplerschein für das Weihnachtsgeschäft",
        "requiredSkills": ["logistics-warehousing", "Staplerschein"],
        "headcount": 2,
        "period": {"start": day(0), "end": day(55)},
        "radiusKm": 40,
    }
    return need | changes


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_new_need_reaches_subscribed_dashboards_within_a_second(demo_hub, protocol):
    hub = demo_hub
    viewer = await hub.key("VIEWER", cluster="logistik-initiative-hamburg")
    member = await hub.key("MEMBER", organisation="elbkai-kontraktlogistik")
    async with hub.subscribe(
        MATCH_FOUND,
        {"filter": {"organisationIds": ["elbkai-kontraktlogistik"]}},
        protocol=protocol,
        init={"Authorization": viewer["authorization"]},
    ) as dashboard:
        await hub.wait_subscribers(1)
        created = await hub.query(CREATE_NEED, {"input": _warehouse_need()}, member)
        need = created["createNeed"]["need"]
        answered = asyncio.get_running_loop().time()
        first = (await dashboard.next(timeout=1.0))["matchFound"]
        assert asyncio.get_running_loop().time() - answered < 1.0
    assert first["need"]["key"] == need["key"]
    matched = {s["id"] for s in first["explanation"]["matchedSkills"]}
    assert matched and matched <= {"logistics-warehousing", "forklift-licence"}
    assert 0 < first["score"] <= 1 and first["status"] == "PROPOSED"
    await hub.query(
        "mutation ($id: ID!) { closeNeed(id: $id, status: WITHDRAWN) { need { status } } }",
        {"id": need["id"]},
        member,
    )


def _two_sided(offers: int = 0) -> dict:
    """A cluster where test-org-0 offers welders and test-org-1 needs them."""
    data = cluster_file()
    data["offers"] = [
        dict(copy.deepcopy(OFFER), id=f"welders-{i}", skills=["welding"], headcount=1)
        for i in range(offers)
    ]
    data["needs"] = []
    return data


async def test_resume_after_a_cursor_replays_every_missed_match_exactly_once(hub):
    await hub.seed(_two_sided(offers=2))
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    async with hub.subscribe(MATCH_FOUND, init={"Authorization": viewer["authorization"]}) as live:
        await hub.wait_subscribers(1)
        await hub.query(CREATE_NEED, {"input": welder_need(0)}, member)
        seen = [(await live.next())["matchFound"] for _ in range(2)]
    last_cursor = seen[-1]["cursor"]

    # while the dashboard is away: three more needs, two matches each
    for n in range(1, 4):
        await hub.query(CREATE_NEED, {"input": welder_need(n)}, member)
    missed = (await hub.query(MATCHES, {}, viewer))["matches"]["totalCount"] - 2
    assert missed == 6

    async with hub.subscribe(
        MATCH_FOUND, {"after": last_cursor}, init={"Authorization": viewer["authorization"]}
    ) as resumed:
        await hub.wait_subscribers(1)
        replayed = [(await resumed.next())["matchFound"] for _ in range(3)]
        # a match made during/after the replay arrives once, after the replayed ones
        await hub.query(CREATE_NEED, {"input": welder_need(4)}, member)
        rest = [(await resumed.next())["matchFound"] for _ in range(5)]
        with pytest.raises(TimeoutError):
            await resumed.next(timeout=1.0)
    delivered = replayed + rest
    keys = [m["key"] for m in delivered]
    assert len(keys) == len(set(keys)) == 8
    assert not {m["key"] for m in seen} & set(keys)
    # the missed six come first, in cursor order; then the new two
    replay_order = [_seq(m["cursor"]) for m in delivered[:6]]
    assert replay_order == sorted(replay_order)
    assert min(_seq(m["cursor"]) for m in delivered[6:]) > max(replay_order)


async def test_a_dashboard_that_starts_at_match_cursor_misses_nothing_before_its_first_match(
    hub,
):
    await hub.seed(_two_sided(offers=1))
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    await hub.query(CREATE_NEED, {"input": welder_need(0)}, member)  # history: not replayed
    start = (await hub.query("{ matchCursor }", {}, viewer))["matchCursor"]
    # the dashboard's socket drops before it saw any match; meanwhile one is made
    await hub.query(CREATE_NEED, {"input": welder_need(1)}, member)
    async with hub.subscribe(
        MATCH_FOUND, {"after": start}, init={"Authorization": viewer["authorization"]}
    ) as resumed:
        [missed] = [(await resumed.next())["matchFound"]]
        with pytest.raises(TimeoutError):
            await resumed.next(timeout=1.0)
    assert missed["need"]["key"].startswith("test-org-1") and _seq(missed["cursor"]) > _seq(start)
    assert (await hub.query("{ matchCursor }", {}))["matchCursor"] is None  # anonymous


def _seq(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor).decode().split(":")[1])


async def test_withdrawing_an_offer_retracts_its_matches(hub):
    await hub.seed(_two_sided(offers=1))
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    owner = await hub.key("MEMBER", organisation="test-org-0")
    await hub.query(CREATE_NEED, {"input": welder_need(0)}, member)
    assert (await hub.query(MATCHES, {}, viewer))["matches"]["totalCount"] == 1

    await hub.query(
        "mutation ($id: ID!) { withdrawOffer(id: $id) { offer { status } } }",
        {"id": "welders-0"},
        owner,
    )
    assert (await hub.query(MATCHES, {}, viewer))["matches"]["totalCount"] == 0
    retracted = await hub.query(MATCHES, {"filter": {"includeRetracted": True}}, viewer)
    [match] = retracted["matches"]["edges"]
    assert match["node"]["active"] is False


async def test_match_status_moves_along_for_the_parties_only(hub):
    await hub.seed(_two_sided(offers=1))
    member = await hub.key("MEMBER", organisation="test-org-1")
    outsider = await hub.key("MEMBER", organisation="test-org-2")
    await hub.query(CREATE_NEED, {"input": welder_need(0)}, member)
    match_id = (await hub.query(MATCHES, {}, member))["matches"]["edges"][0]["node"]["key"]
    set_status = """mutation ($id: ID!, $s: MatchStatus!) {
        setMatchStatus(id: $id, status: $s) { match { status } userErrors { field code } } }"""

    denied = await hub.query(set_status, {"id": match_id, "s": "CONTACTED"}, outsider)
    assert denied["setMatchStatus"]["userErrors"][0]["code"] == "FORBIDDEN"
    skipped = await hub.query(set_status, {"id": match_id, "s": "PLACED"}, member)
    assert skipped["setMatchStatus"]["userErrors"] == [
        {"field": "status", "code": "INVALID_TRANSITION"}
    ]
    for status in ("CONTACTED", "ACCEPTED", "PLACED"):
        done = await hub.query(set_status, {"id": match_id, "s": status}, member)
        assert done["setMatchStatus"]["match"] == {"status": status}
    placements = await hub.query('{ cluster(id: "test-cluster") { placements } }')
    assert placements["cluster"]["placements"] == 1


async def test_missing_skills_a_training_teaches_still_match_with_the_training(hub):
    data = _two_sided(offers=1)
    data["offers"].append(
        dict(
            copy.deepcopy(OFFER),
            id="kurs-stapler",
            organisation="test-org-2",
            kind="TRAINING",
            title="Staplerschein in zwei Wochen",
            skills=["forklift-licence"],
            seats=12,
            headcount=None,
            period={"start": day(0), "end": day(11)},  # done early in the need
        )
    )
    del data["offers"][-1]["headcount"]
    await hub.seed(data)
    member = await hub.key("MEMBER", organisation="test-org-1")
    need = welder_need(0) | {"requiredSkills": ["welding", "forklift-licence"]}
    await hub.query(CREATE_NEED, {"input": need}, member)
    [edge] = (await hub.query(MATCHES, {}, member))["matches"]["edges"]
    match = edge["node"]
    assert match["offer"]["key"] == "welders-0"
    assert match["explanation"]["missingSkills"] == [{"id": "forklift-licence"}]
    assert match["suggestedTrainings"] == [{"key": "kurs-stapler"}]


async def test_two_hub_processes_deliver_a_match_made_on_either(hub, settings):
    await hub.seed(_two_sided(offers=1))
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-1")
    port = free_port()
    other = serve(settings, port)
    try:
        other_url = f"http://127.0.0.1:{port}"
        await wait_ready(other_url)
        async with httpx.AsyncClient(base_url=other_url, headers=member, timeout=30) as http:
            async with hub.subscribe(
                MATCH_FOUND, init={"Authorization": viewer["authorization"]}
            ) as here:
                await hub.wait_subscribers(1)
                # made by the other process, delivered by this one
                response = await http.post(
                    "/graphql", json={"query": CREATE_NEED, "variables": {"input": welder_need(1)}}
                )
                assert response.json()["data"]["createNeed"]["userErrors"] == []
                assert (await here.next())["matchFound"]["need"]["key"].startswith("test-org-1")

            # made here, delivered by the other process
            async with websockets.connect(
                other_url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
            ) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "type": "connection_init",
                            "payload": {"Authorization": viewer["authorization"]},
                        }
                    )
                )
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await ws.send(
                    json.dumps({"id": "1", "type": "subscribe", "payload": {"query": MATCH_FOUND}})
                )
                await asyncio.sleep(0.5)  # the other process registers the subscription
                await hub.query(CREATE_NEED, {"input": welder_need(2)}, member)
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert message["type"] == "next"
                assert message["payload"]["data"]["matchFound"]["need"]["key"].startswith(
                    "test-org-1"
                )
    finally:
        other.send_signal(signal.SIGTERM)
        other.wait(30)


OFFER_PUBLISHED = "subscription { offerPublished { key description } }"


async def test_a_stalled_subscriber_is_cut_off_while_others_keep_receiving(settings):
    events = 1500  # 7.5 MB of descriptions: more than the sockets buffer for a stalled reader
    async with running_hub(settings.model_copy(update={"subscriber_queue": 16})) as hub:
        await hub.seed(cluster_file())
        admin = (await hub.key("HUB_ADMIN"))["authorization"]
        stalled_socket = socket.socket()  # a small receive window, set before connecting
        stalled_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled_socket.connect(("127.0.0.1", int(hub.base_url.rsplit(":", 1)[1])))
        async with (
            websockets.connect(
                hub.ws_url,
                subprotocols=["graphql-transport-ws"],
                sock=stalled_socket,
                max_size=None,
                max_queue=4,
                compression=None,  # uncompressed: the bytes really queue up
            ) as stalled,
            hub.subscribe(OFFER_PUBLISHED, init={"Authorization": admin}) as healthy,
        ):
            await stalled.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": admin}})
            )
            assert json.loads(await stalled.recv())["type"] == "connection_ack"
            await stalled.send(
                json.dumps({"id": "s", "type": "subscribe", "payload": {"query": OFFER_PUBLISHED}})
            )
            await hub.wait_subscribers(2)

            async def read_all() -> list[str]:  # a healthy dashboard reads as events come
                return [
                    (await healthy.next(timeout=10))["offerPublished"]["key"] for _ in range(events)
                ]

            reading = asyncio.create_task(read_all())
            published = await insert_raw_offers(hub.store, events)
            assert await reading == published

            # the stalled one, reading at last, finds what was buffered and a clear close
            got = 0
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    message = json.loads(await asyncio.wait_for(stalled.recv(), 10))
                    got += message["type"] == "next"
            assert got < events
            assert closed.value.rcvd.code == 4008
            assert "too slow" in closed.value.rcvd.reason
        # operators see it: one subscriber cut off, its full queue and the event it had
        # no room for lost
        samples = await hub.metrics()
        assert samples[("clusterhub_subscribers_cut_off_total", frozenset())] == 1
        assert samples[("clusterhub_subscription_events_dropped_total", frozenset())] == 16 + 1


COVERAGE = """
query ($needs: PartyFilter!, $offers: PartyFilter!) {
  coverage(needs: $needs, offers: $offers) {
    needed covered share coveredWithTraining shareWithTraining
    bySkill { skill { id } needed covered share }
    unmet { need { key } missing }
  }
}
"""


async def test_coverage_of_a_small_case_equals_the_known_optimum(hub):
    """Needs: 2 welders (A), 1 welder-or-electrician... the greedy trap.

    Offers: Tom can weld and wire (staff, 1), Ute can only wire (talent).
    Needs: one welder, one electrician. Greedy "Tom to the first need that fits" can
    leave the electrician need to Tom and the welder unfilled; the optimum fills both.
    A third need (a cook) nobody can fill.
    """
    data = cluster_file()
    offer = copy.deepcopy(OFFER)
    data["offers"] = [
        dict(offer, id="tom", skills=["welding", "electrical-installation"], headcount=1),
        {
            **{k: v for k, v in offer.items() if k not in ("headcount",)},
            "id": "ute",
            "kind": "TALENT",
            "skills": ["electrical-installation"],
            "source": "JOB_CUT",
            "candidate": {"name": "Ute Beispiel"},
            "consent": {"givenAt": at(-36)},
        },
    ]
    need = copy.deepcopy(NEED)
    data["needs"] = [
        dict(need, id="need-electrician", requiredSkills=["electrical-installation"], headcount=1),
        dict(need, id="need-welder", requiredSkills=["welding"], headcount=1),
        dict(need, id="need-cook", requiredSkills=["cooking"], headcount=1),
    ]
    await hub.seed(data)
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    report = (
        await hub.query(
            COVERAGE,
            {
                "needs": {"organisationIds": ["test-org-1"]},
                "offers": {"organisationIds": ["test-org-0"]},
            },
            viewer,
        )
    )["coverage"]
    assert (report["needed"], report["covered"], report["share"]) == (3, 2, 0.6667)
    assert report["unmet"] == [{"need": {"key": "need-cook"}, "missing": 1}]
    by_skill = {s["skill"]["id"]: (s["needed"], s["covered"]) for s in report["bySkill"]}
    assert by_skill == {"electrical-installation": (1, 1), "welding": (1, 1), "cooking": (1, 0)}


async def test_coverage_of_the_city_of_hannover_by_continental(demo_hub):
    viewer = await demo_hub.key("VIEWER", cluster="allianz-der-chancen")
    report = (
        await demo_hub.query(
            COVERAGE,
            {
                "needs": {"organisationIds": ["landeshauptstadt-hannover"]},
                "offers": {"organisationIds": ["continental-ag", "agentur-fuer-arbeit-hannover"]},
            },
            viewer,
        )
    )["coverage"]
    assert report["needed"] >= 50
    assert 0.5 <= report["share"] <= report["shareWithTraining"] <= 1
    assert report["unmet"]
