"""Access control, sharing between clusters, personal data, and API hardening."""

from __future__ import annotations

import copy
import json

import pytest
import websockets

from gateway.services.keys import create_key
from schemas.access import ApiKeySpec
from tests.client import running_hub
from tests.records import CLUSTER, NEED, OFFER, ORGANISATIONS, at, cluster_file, day

OFFERS = "query ($f: OfferFilter) { offers(filter: $f) { totalCount edges { node { id key } } } }"
MATCHES = "{ matches { totalCount edges { node { key } } } }"
ENTITIES = """query ($r: [_Any!]!) { _entities(representations: $r) { ... on Offer { key } } }"""
NODE = "query ($id: ID!) { node(id: $id) { id } }"


def _cluster(cid: str, policy: str, partners: list[str] | None = None) -> dict:
    """A cluster with two members: one offers a welder, the other needs one."""
    data = cluster_file()
    data["cluster"] = dict(
        copy.deepcopy(CLUSTER), id=cid, sharing={"policy": policy, "partners": partners or []}
    )
    for i, org in enumerate(data["organisations"]):
        org.update(id=f"{cid}-org-{i}", memberships=[{"cluster": cid}])
    data["offers"] = [dict(copy.deepcopy(OFFER), id=f"{cid}-offer", organisation=f"{cid}-org-0")]
    data["needs"] = [
        dict(
            copy.deepcopy(NEED),
            id=f"{cid}-need",
            organisation=f"{cid}-org-1",
            requiredSkills=["welding"],
            period={"start": day(-6), "end": day(114)},
        )
    ]
    return data


@pytest.fixture
async def shared(hub):
    """closed (CLUSTER only), partnered (PARTNERS with 'friend'), friend and open (HUB)."""
    await hub.seed(
        _cluster("closed", "CLUSTER"),
        _cluster("partnered", "PARTNERS", ["friend"]),
        _cluster("friend", "HUB"),
        _cluster("open", "HUB"),
    )
    return hub


async def _offer_keys(hub, headers, **filter) -> set[str]:
    data = await hub.query(OFFERS, {"f": filter or None}, headers)
    return {e["node"]["key"] for e in data["offers"]["edges"]}


async def test_sharing_policies_decide_who_sees_what(shared):
    hub = shared
    open_viewer = await hub.key("VIEWER", cluster="open")
    friend_viewer = await hub.key("VIEWER", cluster="friend")
    closed_viewer = await hub.key("VIEWER", cluster="closed")
    assert await _offer_keys(hub, open_viewer) == {"open-offer", "friend-offer"}
    assert await _offer_keys(hub, friend_viewer) == {
        "friend-offer",
        "open-offer",
        "partnered-offer",
    }
    assert await _offer_keys(hub, closed_viewer) == {"closed-offer", "open-offer", "friend-offer"}
    # a filter narrows and never widens
    assert await _offer_keys(hub, open_viewer, clusterIds=["closed", "open"]) == {"open-offer"}


async def test_a_viewer_cannot_reach_a_closed_clusters_offer_by_any_path(shared):
    hub = shared
    outsider = await hub.key("VIEWER", cluster="open")
    insider = await hub.key("VIEWER", cluster="closed")
    [edge] = (await hub.query(OFFERS, {"f": {"clusterIds": ["closed"]}}, insider))["offers"][
        "edges"
    ]
    hidden = edge["node"]["id"]

    assert "closed-offer" not in await _offer_keys(hub, outsider, clusterIds=["closed"])
    assert (await hub.query(NODE, {"id": hidden}, outsider))["node"] is None
    entities = await hub.query(ENTITIES, {"r": [{"__typename": "Offer", "id": hidden}]}, outsider)
    assert entities["_entities"] == [None]
    insider_matches = {
        e["node"]["key"] for e in (await hub.query(MATCHES, headers=insider))["matches"]["edges"]
    }
    outsider_matches = {
        e["node"]["key"] for e in (await hub.query(MATCHES, headers=outsider))["matches"]["edges"]
    }
    assert "closed-offer|closed-need" in insider_matches
    assert not any(k.startswith("closed") for k in outsider_matches)


async def test_match_found_never_streams_what_the_subscriber_may_not_see(shared):
    hub = shared
    outsider = await hub.key("VIEWER", cluster="open")
    member = await hub.key("MEMBER", organisation="closed-org-2")
    open_member = await hub.key("MEMBER", organisation="open-org-2")
    need = {
        "kind": "STAFF",
        "title": "Schweißer",
        "requiredSkills": ["welding"],
        "headcount": 1,
        "period": {"start": day(-6), "end": day(83)},
    }
    create = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key } } }"
    async with hub.subscribe(
        "subscription { matchFound { key } }", init={"Authorization": outsider["authorization"]}
    ) as live:
        await hub.wait_subscribers(1)
        await hub.query(create, {"i": need | {"organisationId": "closed-org-2"}}, member)
        await hub.query(create, {"i": need | {"organisationId": "open-org-2"}}, open_member)
        first = (await live.next())["matchFound"]["key"]
        assert not first.startswith("closed")
        with pytest.raises(TimeoutError):
            while True:
                assert not (await live.next(timeout=1.0))["matchFound"]["key"].startswith("closed")


async def test_matching_never_pairs_sides_that_may_not_see_each_other(shared):
    hub = shared
    admin = await hub.key("HUB_ADMIN")
    keys = {e["node"]["key"] for e in (await hub.query(MATCHES, headers=admin))["matches"]["edges"]}
    for key in keys:
        offer, need = key.split("|")
        a, b = offer.removesuffix("-offer"), need.removesuffix("-need")
        assert a == b or {a, b} <= {"open", "friend"} or {a, b} == {"friend", "partnered"}
    assert "closed-offer|open-need" not in keys and "open-offer|closed-need" not in keys


REFERRAL = """
query ($f: OfferFilter) { offers(filter: $f) { edges { node { key talent {
  source consentGivenAt candidate { name email } } } } } }
"""


async def test_candidate_data_only_for_the_referrer_and_consented_organisations(shared):
    hub = shared
    referrer = await hub.key("MEMBER", organisation="open-org-0")
    neighbour = await hub.key("MEMBER", organisation="open-org-1")
    admin = await hub.key("HUB_ADMIN")
    refer = """mutation ($i: ReferCandidateInput!) { referCandidate(input: $i) {
        offer { key } userErrors { field } } }"""
    created = await hub.query(
        refer,
        {
            "i": {
                "organisationId": "open-org-0",
                "title": "Zweitplatzierte Mechatronikerin",
                "source": "RUNNER_UP",
                "candidate": {"name": "Erika Muster", "email": "erika@example.org"},
                "skills": ["mechatronics"],
                "period": {"start": day(-6)},
                "consentNote": "schriftlich am 20.11.",
            }
        },
        referrer,
    )
    key = created["referCandidate"]["offer"]["key"]

    async def candidate(headers):
        data = await hub.query(REFERRAL, {"f": {"kinds": ["TALENT"]}}, headers)
        [talent] = [e["node"]["talent"] for e in data["offers"]["edges"] if e["node"]["key"] == key]
        assert talent["source"] == "RUNNER_UP" and talent["consentGivenAt"]
        return talent["candidate"]

    assert await candidate(referrer) == {"name": "Erika Muster", "email": "erika@example.org"}
    assert await candidate(neighbour) is None
    assert await candidate(admin) is None  # not even the hub's administrators
    consent = """mutation ($o: ID!, $org: ID!) { recordContactConsent(offerId: $o, organisationId: $org) {
        userErrors { code } } }"""
    denied = await hub.query(consent, {"o": key, "org": "open-org-1"}, neighbour)
    assert denied["recordContactConsent"]["userErrors"] == [{"code": "FORBIDDEN"}]
    await hub.query(consent, {"o": key, "org": "open-org-1"}, referrer)
    assert (await candidate(neighbour))["name"] == "Erika Muster"


async def test_erasure_removes_the_person_and_every_trace(shared):
    hub = shared
    referrer = await hub.key("MEMBER", organisation="open-org-0")
    offer = copy.deepcopy(OFFER)
    talent = {k: v for k, v in offer.items() if k != "headcount"} | {
        "id": "erase-me",
        "organisation": "open-org-0",
        "kind": "TALENT",
        "source": "JOB_CUT",
        "skills": ["welding"],
        "candidate": {"name": "Max Beispiel"},
        "consent": {"givenAt": at(-17)},
    }
    data = _cluster("open", "HUB")
    data["offers"] = [talent]
    await hub.seed(data)
    assert await hub.store.db.matches.count_documents({"offer": "erase-me"}) >= 1
    match = await hub.store.db.matches.find_one({"offer": "erase-me"})
    assert "talent_consent_at" in match  # expires with the referral

    erased = await hub.query(
        'mutation { eraseReferral(offerId: "erase-me") { erased matchesRemoved userErrors { code } } }',
        headers=referrer,
    )
    assert erased["eraseReferral"]["erased"] and erased["eraseReferral"]["matchesRemoved"] >= 1
    assert await hub.store.db.offers.find_one({"_id": "erase-me"}) is None
    assert await hub.store.db.matches.count_documents({"offer": "erase-me"}) == 0
    trail = await hub.store.db.audit.find({"target": "erase-me"}).to_list(None)
    assert [t["action"] for t in trail] == ["erase referral"]
    assert "Max Beispiel" not in json.dumps(trail, default=str)


async def test_referrals_expire_through_ttl_indexes(hub, settings):
    for collection, field in (("offers", "consent.given_at"), ("matches", "talent_consent_at")):
        indexes = await hub.store.db[collection].index_information()
        ttl = indexes["referral_ttl"]
        assert ttl["key"] == [(field, 1)]
        assert ttl["expireAfterSeconds"] == settings.referral_ttl_days * 86_400


@pytest.mark.parametrize(
    ("query", "variables", "fragment"),
    [
        # an operator smuggled into strings: compared as text, never interpreted
        (OFFERS, {"f": {"text": '{"$gt": ""}'}}, None),
        (OFFERS, {"f": {"clusterIds": ['{"$ne": null}']}}, None),
        (OFFERS, {"f": {"organisationIds": ["$where"]}}, None),
        (OFFERS, {"f": {"skills": {"anyOf": ["$where"]}}}, "unknown skill '$where'"),
    ],
)
async def test_operators_in_strings_are_just_strings(shared, query, variables, fragment):
    hub = shared
    admin = await hub.key("HUB_ADMIN")
    body = await hub.execute(query, variables, admin)
    if fragment is None:
        assert body["data"]["offers"]["totalCount"] == 0
    else:
        assert fragment in body["errors"][0]["message"]


async def test_operator_keys_in_imports_are_rejected(shared):
    hub = shared
    admin = await hub.key("HUB_ADMIN")
    data = _cluster("open", "HUB")
    data["offers"][0]["$set"] = {"status": "FILLED"}
    data["organisations"][0]["location"] = {"$ne": None}
    report = (
        await hub.query(
            """mutation ($i: [ClusterImportInput!]!) { importClusters(input: $i) {
            ok rejections { record field message } } }""",
            {"i": [data]},
            admin,
        )
    )["importClusters"]
    assert not report["ok"]
    messages = " ".join(r["message"] for r in report["rejections"])
    assert "'$set' is not allowed" in messages and "'location.$ne' is not allowed" in messages


async def test_imports_are_for_admins_and_a_cluster_admin_imports_only_its_cluster(shared):
    hub = shared
    imports = """mutation ($i: [ClusterImportInput!]!) { importClusters(input: $i) {
        ok rejections { record field message } } }"""
    viewer = await hub.key("VIEWER", cluster="open")
    denied = await hub.execute(imports, {"i": [_cluster("open", "HUB")]}, viewer)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    cluster_admin = await hub.key("CLUSTER_ADMIN", cluster="open")
    foreign = _cluster("friend", "HUB")
    own = _cluster("open", "HUB")
    own["organisations"][0]["memberships"].append({"cluster": "closed"})
    report = (await hub.query(imports, {"i": [own, foreign]}, cluster_admin))["importClusters"]
    fields = {(r["record"].split(" ")[0], r["field"]) for r in report["rejections"]}
    assert ("cluster", "id") in fields  # friend is not theirs
    assert ("organisations[0]", "memberships") in fields  # nor is adding a member to closed


async def test_a_revoked_key_is_refused_over_http_and_websocket(hub):
    key, record = await create_key(hub.store, ApiKeySpec(role="HUB_ADMIN"))
    headers = {"authorization": f"Bearer {key}"}
    assert (await hub.query("{ viewer { role } }", headers=headers))["viewer"][
        "role"
    ] == "HUB_ADMIN"
    admin = await hub.key("HUB_ADMIN")  # revoked through this hub: refused from the next request on
    revoke = "mutation ($k: String!) { revokeApiKey(keyId: $k) }"
    assert (await hub.query(revoke, {"k": record["_id"]}, admin))["revokeApiKey"] is True
    response = await hub.http.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers=headers
    )
    assert response.status_code == 401
    async with websockets.connect(hub.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403


async def test_keys_are_managed_by_hub_admins_and_stored_hashed(hub):
    await hub.seed(cluster_file())
    admin = await hub.key("HUB_ADMIN")
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    create = """mutation ($i: ApiKeyInput!) { createApiKey(input: $i) { key keyId userErrors { field code } } }"""
    denied = await hub.execute(create, {"i": {"role": "VIEWER", "cluster": "test-cluster"}}, viewer)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = (await hub.query(create, {"i": {"role": "MEMBER"}}, admin))["createApiKey"]
    assert bad["key"] is None and bad["userErrors"][0]["code"] == "INVALID"
    made = (
        await hub.query(create, {"i": {"role": "MEMBER", "organisation": "test-org-0"}}, admin)
    )["createApiKey"]
    stored = await hub.store.db.api_keys.find_one({"_id": made["keyId"]})
    assert made["key"] not in json.dumps(stored, default=str)
    member = {"authorization": f"Bearer {made['key']}"}
    assert (await hub.query("{ viewer { role organisationId } }", headers=member))["viewer"] == {
        "role": "MEMBER",
        "organisationId": "test-org-0",
    }
    revoke = "mutation ($k: String!) { revokeApiKey(keyId: $k) }"
    assert (await hub.query(revoke, {"k": made["keyId"]}, admin))["revokeApiKey"] is True
    assert (
        await hub.http.post("/graphql", json={"query": "{ __typename }"}, headers=member)
    ).status_code == 401
    actions = [a["action"] async for a in hub.store.db.audit.find({"target": made["keyId"]})]
    assert actions == ["create api key", "revoke api key"]


DEEP = "{ clusters { edges { node { members { offers { organisation { memberships { cluster { members { offers { organisation { name } } } } } } } } } } } }"


async def test_too_deep_too_wide_and_too_long_queries_are_refused(hub):
    deep = await hub.execute(DEEP)
    assert "exceeds maximum operation depth" in deep["errors"][0]["message"]
    wide = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    assert "aliases" in (await hub.execute(wide))["errors"][0]["message"]
    long = "{ " + "__typename " * 5001 + "}"
    assert "token" in (await hub.execute(long))["errors"][0]["message"].lower()


async def test_an_oversized_body_gets_413(hub):
    huge = {"query": "{ __typename }", "variables": {"pad": "x" * (5 * 1024 * 1024)}}
    response = await hub.http.post("/graphql", json=huge)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_introspection_can_be_turned_off(settings):
    async with running_hub(settings.model_copy(update={"introspection": False})) as hub:
        body = await hub.execute("{ __schema { types { name } } }")
        assert "introspection" in body["errors"][0]["message"].lower()
        assert (await hub.query("{ __typename }")) == {"__typename": "Query"}


async def test_rate_limit_per_key(settings):
    async with running_hub(settings.model_copy(update={"rate_limit_per_minute": 5})) as hub:
        answers = [
            await hub.http.post("/graphql", json={"query": "{ __typename }"}) for _ in range(7)
        ]
        assert [r.status_code for r in answers[:5]] == [200] * 5
        limited = answers[5]
        assert limited.status_code == 429
        assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(limited.headers["retry-after"]) >= 1


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_malformed_websocket_messages_close_the_connection(hub, protocol):
    async with websockets.connect(hub.ws_url, subprotocols=[protocol]) as ws:
        await ws.send("this is not json")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code in (4400, 1002, 1003, 1007)


async def test_errors_never_carry_a_stack_trace(hub):
    body = await hub.execute('{ offers(after: "bm9wZQ==") { totalCount } }')
    text = json.dumps(body)
    assert "Traceback" not in text and 'File "' not in text
    assert body["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "BAD_USER_INPUT")


def test_records_fixture_is_consistent():
    assert ORGANISATIONS[0]["memberships"][0]["cluster"] == CLUSTER["id"]
