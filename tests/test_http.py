"""The HTTP surface: GraphQL over POST and GET, GraphiQL, probes, subscriptions."""

from __future__ import annotations

import pytest

from gateway.store.embedded import EmbeddedServer
from tests.client import running_hub
from tests.records import cluster_file, day

OFFER_PUBLISHED = """
subscription ($filter: OfferFilter) {
  offerPublished(filter: $filter) { id kind title status }
}
"""


async def test_graphql_answers_post_and_get(hub):
    assert await hub.query("{ __typename }") == {"__typename": "Query"}
    response = await hub.http.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    cost = {"requested": 0, "limit": 50_000}  # the static cost of every accepted operation
    assert response.json() == {"data": {"__typename": "Query"}, "extensions": {"cost": cost}}


async def test_browser_gets_graphiql(hub):
    response = await hub.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_probes(hub):
    assert (await hub.http.get("/healthz")).json() == {"status": "ok"}
    ready = await hub.http.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_readyz_fails_while_database_is_down(settings, tmp_path):
    server = EmbeddedServer(tmp_path / "own")
    uri = server.start()
    try:
        async with running_hub(settings.model_copy(update={"mongodb_uri": uri})) as hub:
            assert (await hub.http.get("/readyz")).status_code == 200
            server.stop()
            down = await hub.http.get("/readyz")
            assert down.status_code == 503
            assert down.json()["status"] == "unavailable"
            # the process itself is still alive
            assert (await hub.http.get("/healthz")).status_code == 200
    finally:
        server.stop()


async def test_clusters_lists_the_store(hub):
    await hub.store.db.clusters.insert_many(
        [
            {
                "_id": "alpha",
                "name": "Alpha",
                "kind": "ALLIANCE",
                "region": "Nord",
                "federal_states": ["HH"],
                "binding_member_count": 3,
                "member_count": 4,
            },
            {
                "_id": "beta",
                "name": "Beta",
                "kind": "TALENT_POOL",
                "region": "Harz",
                "federal_states": ["NI", "ST"],
                "binding_member_count": 1,
                "member_count": 1,
            },
        ]
    )
    data = await hub.query(
        "{ clusters { totalCount edges { node { name qualifiesAsNetwork memberCount } } } }"
    )
    assert data["clusters"]["totalCount"] == 2
    assert [e["node"] for e in data["clusters"]["edges"]] == [
        {"name": "Alpha", "qualifiesAsNetwork": True, "memberCount": 4},
        {"name": "Beta", "qualifiesAsNetwork": False, "memberCount": 1},
    ]


REFER = """
mutation ($input: ReferCandidateInput!) {
  referCandidate(input: $input) { offer { id title } userErrors { field message } }
}
"""


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_subscription_round_trip(hub, protocol):
    await hub.seed(cluster_file())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-0")
    async with hub.subscribe(
        OFFER_PUBLISHED,
        {"filter": {"kinds": ["TALENT"]}},
        protocol=protocol,
        init={"Authorization": viewer["authorization"]},
    ) as subscription:
        await hub.wait_subscribers(1)
        referral = {
            "organisationId": "test-org-0",
            "title": "Zweitplatzierte Bewerberin Lagerlogistik",
            "source": "RUNNER_UP",
            "candidate": {"name": "Erika Beispiel"},
            "skills": ["logistics-warehousing"],
            "period": {"start": day(-6)},
        }
        result = await hub.query(REFER, {"input": referral}, member)
        assert result["referCandidate"]["userErrors"] == []
        data = await subscription.next()
    assert data["offerPublished"]["title"] == "Zweitplatzierte Bewerberin Lagerlogistik"
    assert data["offerPublished"]["kind"] == "TALENT"
