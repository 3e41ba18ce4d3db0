"""N+1-free loading and the Apollo Federation subgraph."""

from __future__ import annotations

import copy

import pytest

from tests.commands import recorded
from tests.records import CLUSTER, OFFER, ORGANISATIONS, day

PORTAL = """
query ($first: Int) {
  clusters(first: $first) {
    edges { node { name members { name offers { title skills { en related { en } } } } } }
  }
}
"""


def _network(clusters: int, members: int) -> list[dict]:
    files = []
    for c in range(clusters):
        cluster = dict(copy.deepcopy(CLUSTER), id=f"net-{c}", name=f"Netzwerk {c}")
        orgs, offers = [], []
        for m in range(members):
            org = copy.deepcopy(ORGANISATIONS[0])
            org.update(
                id=f"net-{c}-org-{m}",
                name=f"Betrieb {c}-{m}",
                memberships=[{"cluster": cluster["id"]}],
            )
            orgs.append(org)
            for k in range(2):
                offers.append(
                    dict(
                        copy.deepcopy(OFFER),
                        id=f"net-{c}-{m}-{k}",
                        organisation=org["id"],
                        skills=["welding", "cad"],
                    )
                )
        files.append({"cluster": cluster, "organisations": orgs, "offers": offers})
    return files


@pytest.mark.parametrize("members", [5, 50])
async def test_portal_query_costs_a_constant_number_of_commands(hub, settings, members):
    await hub.seed(*_network(3, members))
    admin = await hub.key("HUB_ADMIN")
    await hub.app.state.hub.taxonomy.get()  # skills are served from memory, loaded once a minute
    with recorded(settings.database) as commands:
        data = await hub.query(PORTAL, {"first": 3}, admin)
    clusters = data["clusters"]["edges"]
    assert [len(c["node"]["members"]) for c in clusters] == [members] * 3
    assert all(len(m["offers"]) == 2 for c in clusters for m in c["node"]["members"])
    # whatever the sizes: api key, clusters page (not counted: totalCount is not asked for),
    # members, and offers in one query per 100 organisations (large $in lists are chunked)
    chunks = -(-3 * members // 100)
    # (reads only: the hub's background worker may count its queue meanwhile)
    assert [str(c) for c in commands if c.name == "find"] == [
        "find api_keys",
        "find clusters",
        "find organisations",
        *["find offers"] * chunks,
    ]


SERVICE = "{ _service { sdl } }"
ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Cluster { key name }
    ... on Organisation { key name }
    ... on Offer { key title }
    ... on Need { key title }
    ... on Match { key score }
  }
}
"""


async def test_subgraph_sdl_declares_the_entities(hub):
    sdl = (await hub.query(SERVICE))["_service"]["sdl"]
    for entity in ("Cluster", "Organisation", "Offer", "Need", "Match"):
        assert f"type {entity} implements Entity & Node" in sdl
        line = next(li for li in sdl.splitlines() if li.startswith(f"type {entity} "))
        assert '@key(fields: "id")' in line
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl


async def test_entities_resolve_each_type_in_one_batch(hub, settings):
    await hub.seed(*_network(1, 3))
    viewer = await hub.key("VIEWER", cluster="net-0")
    ids = {}
    for field, typename in (
        ("clusters", "Cluster"),
        ("organisations", "Organisation"),
        ("offers", "Offer"),
    ):
        body = await hub.query(
            f"{{ {field}(first: 1) {{ edges {{ node {{ id }} }} }} }}", headers=viewer
        )
        ids[typename] = body[field]["edges"][0]["node"]["id"]
    member = await hub.key("MEMBER", organisation="net-0-org-1")
    need = await hub.query(
        "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { id } } }",
        {
            "i": {
                "organisationId": "net-0-org-1",
                "kind": "STAFF",
                "title": "CAD-Zeichner",
                "requiredSkills": ["cad"],
                "headcount": 1,
                "period": {"start": day(25)},
            }
        },
        member,
    )
    ids["Need"] = need["createNeed"]["need"]["id"]
    match = await hub.query("{ matches(first: 1) { edges { node { id } } } }", headers=viewer)
    ids["Match"] = match["matches"]["edges"][0]["node"]["id"]  # the new need met the CAD offers
    representations = [{"__typename": t, "id": i} for t, i in ids.items()]
    with recorded(settings.database) as commands:
        data = await hub.query(ENTITIES, {"representations": representations}, viewer)
    assert [e["__typename"] for e in data["_entities"]] == list(ids)
    assert data["_entities"][0] == {"__typename": "Cluster", "key": "net-0", "name": "Netzwerk 0"}
    assert data["_entities"][3]["title"] == "CAD-Zeichner"
    # the sharing policies (the key was read on its first use), then one batched load per type
    assert len(commands) == 1 + len(ids), commands


async def test_entities_obey_visibility(hub):
    files = _network(2, 1)
    files[1]["cluster"]["sharing"] = {"policy": "CLUSTER"}
    await hub.seed(*files)
    outsider = await hub.key("VIEWER", cluster="net-0")
    admin = await hub.key("HUB_ADMIN")
    body = await hub.query(
        '{ offers(filter: {clusterIds: ["net-1"]}) { edges { node { id } } } }', headers=admin
    )
    hidden = body["offers"]["edges"][0]["node"]["id"]
    data = await hub.query(
        ENTITIES, {"representations": [{"__typename": "Offer", "id": hidden}]}, outsider
    )
    assert data["_entities"] == [None]
    node = await hub.query("query ($id: ID!) { node(id: $id) { id } }", {"id": hidden}, outsider)
    assert node["node"] is None
