"""Ownership: a CLUSTER_ADMIN's import changes only what its cluster owns; refusals are audited.

Cluster `a` (sharing HUB), `b` (sharing with its partner `a`) and `c` (sharing with
nobody) each have three members; `b-org-0` offers a welder and refers a candidate,
`shared-org` belongs to `a` and `b`. The admin of `a` tries every takeover the
penetration test found (issue #12), each next to a record of its own that must still land.
"""

from __future__ import annotations

import copy

import pytest

from gateway.services import audit
from tests.records import OFFER, ORGANISATIONS, at, day
from tests.test_access import _cluster

IMPORT = """mutation ($i: [ClusterImportInput!]!, $strict: Boolean! = false) {
  importClusters(input: $i, strict: $strict) {
    ok written rejections { record field message } } }"""
CONSENT = """mutation ($o: ID!, $org: ID!) { recordContactConsent(offerId: $o, organisationId: $org) {
  offer { key } userErrors { field message code } } }"""
CANDIDATES = """{ offers(filter: {kinds: [TALENT]}) { edges { node { key
  talent { candidate { name email phone } } } } } }"""
CREATE_NEED = """mutation ($i: CreateNeedInput!) { createNeed(input: $i) {
  need { key } userErrors { field message code } } }"""

CANDIDATE = {"name": "Erika Muster", "email": "erika@example.org", "phone": "+49 40 123456"}
REFERRAL = {k: v for k, v in OFFER.items() if k != "headcount"} | {
    "id": "b-talent",
    "organisation": "b-org-0",
    "kind": "TALENT",
    "source": "RUNNER_UP",
    "skills": ["welding"],
    "candidate": CANDIDATE,
    "consent": {"givenAt": at(-17)},
}
SHARED = dict(
    copy.deepcopy(ORGANISATIONS[0]),
    id="shared-org",
    memberships=[{"cluster": "a", "binding": True}, {"cluster": "b", "binding": True}],
)


def _b() -> dict:
    data = _cluster("b", "PARTNERS", ["a"])
    data["offers"].append(copy.deepcopy(REFERRAL))
    data["organisations"].append(copy.deepcopy(SHARED))
    return data


@pytest.fixture
async def clusters(hub):
    await hub.seed(_cluster("a", "HUB"), _b(), _cluster("c", "CLUSTER"))
    return hub


def _stored(hub, collection: str, key: str):
    return hub.store.db[collection].find_one({"_id": key})


def _own_batch(**records: list[dict]) -> dict:
    """A file of cluster `a` with one new member of its own, plus `records`."""
    data = _cluster("a", "HUB")
    own = dict(copy.deepcopy(ORGANISATIONS[0]), id="a-newcomer", memberships=[{"cluster": "a"}])
    data["organisations"] = [own, *records.get("organisations", [])]
    data["offers"] = records.get("offers", [])
    data["needs"] = []
    return data


def _organisation(key: str, **changes) -> dict:
    """Organisation `key` of the fixture as a seed record, with `changes`."""
    cid = key.split("-")[0]
    index = int(key.rsplit("-", 1)[1])
    base = dict(
        copy.deepcopy(ORGANISATIONS[index]), id=key, memberships=[{"cluster": cid, "binding": True}]
    )
    return base | changes


def _offer(**changes) -> dict:
    return dict(copy.deepcopy(OFFER), id="b-offer", organisation="b-org-0") | changes


TAKEOVERS = {
    "join a foreign organisation": (
        {
            "organisations": [
                _organisation("b-org-0", memberships=[{"cluster": "b"}, {"cluster": "a"}])
            ]
        },
        "organisations[1] (b-org-0)",
        "id",
        "is not a member of 'a'",
    ),
    "rename a foreign organisation": (
        {"organisations": [_organisation("b-org-1", name="Gekapert GmbH")]},
        "organisations[1] (b-org-1)",
        "id",
        "is not a member of 'a'",
    ),
    "move a foreign organisation to the own cluster": (
        {"organisations": [_organisation("b-org-2", memberships=[{"cluster": "a"}])]},
        "organisations[1] (b-org-2)",
        "id",
        "is not a member of 'a'",
    ),
    "reassign a foreign offer": (
        {"offers": [_offer(organisation="a-org-0")]},
        "offers[0] (b-offer)",
        "id",
        "taken by a listing of an organisation you may not write for",
    ),
    "reassign a foreign referral": (
        {"offers": [copy.deepcopy(REFERRAL) | {"organisation": "a-org-0"}]},
        "offers[0] (b-talent)",
        "id",
        "taken by a listing of an organisation you may not write for",
    ),
    "move an offer to another member of the own cluster": (
        {"offers": [_offer(id="a-offer", organisation="a-org-1")]},
        "offers[0] (a-offer)",
        "organisation",
        "belongs to 'a-org-0': a listing keeps its organisation",
    ),
    "rename a shared organisation": (
        {"organisations": [copy.deepcopy(SHARED) | {"name": "Gekapert GmbH"}]},
        "organisations[1] (shared-org)",
        "name",
        "also a member of ['b']",
    ),
    "drop the other cluster of a shared organisation": (
        {"organisations": [copy.deepcopy(SHARED) | {"memberships": [{"cluster": "a"}]}]},
        "organisations[1] (shared-org)",
        "memberships",
        "also a member of ['b']",
    ),
}


@pytest.mark.parametrize("path", TAKEOVERS)
async def test_a_cluster_admin_cannot_take_over_what_another_cluster_owns(clusters, path):
    hub = clusters
    records, label, field, fragment = TAKEOVERS[path]
    before = {
        name: {d["_id"]: d async for d in hub.store.db[name].find({}, {"version": 1})}
        for name in ("organisations", "offers")
    }
    admin = await hub.key("CLUSTER_ADMIN", cluster="a")
    report = (await hub.query(IMPORT, {"i": [_own_batch(**records)]}, admin))["importClusters"]

    assert not report["ok"] and report["written"]
    [rejection] = report["rejections"]
    assert (rejection["record"], rejection["field"]) == (label, field)
    assert fragment in rejection["message"]
    # the rest of the batch landed; nothing of b's moved
    assert await _stored(hub, "organisations", "a-newcomer") is not None
    for name, versions in before.items():
        for key, doc in versions.items():
            assert (await _stored(hub, name, key))["version"] == doc["version"], key

    refused = await hub.store.db.audit.find_one({"action": "refused import records"})
    assert refused["key_id"] and refused["cluster"] == "a"
    assert refused["details"]["rejections"] == [
        {"source": "input[0]", "record": label, "field": field, "message": rejection["message"]}
    ]


async def test_a_strict_import_with_a_takeover_writes_nothing(clusters):
    hub = clusters
    admin = await hub.key("CLUSTER_ADMIN", cluster="a")
    records, *_ = TAKEOVERS["join a foreign organisation"]
    report = (await hub.query(IMPORT, {"i": [_own_batch(**records)], "strict": True}, admin))[
        "importClusters"
    ]
    assert not report["ok"] and not report["written"]
    assert await _stored(hub, "organisations", "a-newcomer") is None
    assert await hub.store.db.audit.count_documents({"action": "refused import records"}) == 1


async def test_the_owning_admins_still_change_what_they_own(clusters):
    hub = clusters
    b_admin = await hub.key("CLUSTER_ADMIN", cluster="b")
    mine = _cluster("b", "PARTNERS", ["a"])
    mine["organisations"][1]["name"] = "Umbenannt GmbH"
    mine["offers"] = [_offer(title="Drei Schweißer"), copy.deepcopy(REFERRAL) | {"title": "Neu"}]
    mine["needs"] = []
    report = (await hub.query(IMPORT, {"i": [mine]}, b_admin))["importClusters"]
    assert report["ok"], report["rejections"]
    assert (await _stored(hub, "organisations", "b-org-1"))["name"] == "Umbenannt GmbH"
    assert (await _stored(hub, "offers", "b-talent"))["title"] == "Neu"

    # a shared member: each of its clusters' admins changes its own membership only
    a_admin = await hub.key("CLUSTER_ADMIN", cluster="a")
    loose = copy.deepcopy(SHARED)
    loose["memberships"][0]["binding"] = False
    report = (await hub.query(IMPORT, {"i": [_own_batch(organisations=[loose])]}, a_admin))[
        "importClusters"
    ]
    assert report["ok"], report["rejections"]
    assert (await _stored(hub, "organisations", "shared-org"))["memberships"][0] == {
        "cluster": "a",
        "binding": False,
    }


async def test_a_hub_admin_may_move_anything(clusters):
    hub = clusters
    admin = await hub.key("HUB_ADMIN")
    records = {
        "organisations": [
            _organisation("b-org-0", memberships=[{"cluster": "b"}, {"cluster": "a"}])
        ],
        "offers": [_offer(organisation="a-org-0")],
    }
    report = (await hub.query(IMPORT, {"i": [_own_batch(**records)]}, admin))["importClusters"]
    assert report["ok"], report["rejections"]
    assert (await _stored(hub, "organisations", "b-org-0"))["clusters"] == ["b", "a"]
    assert (await _stored(hub, "offers", "b-offer"))["organisation"] == "a-org-0"


async def _candidates(hub, headers) -> dict:
    data = await hub.query(CANDIDATES, headers=headers)
    return {e["node"]["key"]: e["node"]["talent"]["candidate"] for e in data["offers"]["edges"]}


async def test_the_takeover_chain_never_reaches_the_candidate(clusters):
    """Re-import b's referrer into a, record contact consent for a's member, read the person."""
    hub = clusters
    admin = await hub.key("CLUSTER_ADMIN", cluster="a")
    member = await hub.key("MEMBER", organisation="a-org-0")
    join = _organisation("b-org-0", memberships=[{"cluster": "b"}, {"cluster": "a"}])
    report = (await hub.query(IMPORT, {"i": [_own_batch(organisations=[join])]}, admin))[
        "importClusters"
    ]
    assert not report["ok"]
    consent = (await hub.query(CONSENT, {"o": "b-talent", "org": "a-org-0"}, admin))[
        "recordContactConsent"
    ]
    assert consent["offer"] is None and consent["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await _candidates(hub, member))["b-talent"] is None
    assert (await _candidates(hub, admin))["b-talent"] is None

    # positive control: the referrer records the consent, and then a's member may read
    referrer = await hub.key("MEMBER", organisation="b-org-0")
    assert (await _candidates(hub, referrer))["b-talent"] == CANDIDATE
    b_member = await hub.key("MEMBER", organisation="b-org-1")
    granted = await hub.query(CONSENT, {"o": "b-talent", "org": "b-org-1"}, referrer)
    assert granted["recordContactConsent"]["userErrors"] == []
    assert (await _candidates(hub, b_member))["b-talent"] == CANDIDATE


def _need(organisation: str) -> dict:
    return {
        "organisationId": organisation,
        "kind": "STAFF",
        "title": "Schweißer",
        "requiredSkills": ["welding"],
        "headcount": 1,
        "period": {"start": day(-6), "end": day(114)},
    }


async def test_hidden_and_absent_organisations_answer_alike(clusters):
    hub = clusters
    member = await hub.key("MEMBER", organisation="a-org-0")
    answers = {}
    for organisation in ("c-org-1", "b-org-1", "a-org-1", "no-such-org"):
        payload = (await hub.query(CREATE_NEED, {"i": _need(organisation)}, member))["createNeed"]
        assert payload["need"] is None
        [error] = payload["userErrors"]
        answers[organisation] = (error["field"], error["code"], error["message"])
    # hidden (c's), visible but not its own (b's, a's neighbour) and absent: the same answer
    assert len({(f, c, m.replace(o, "X")) for o, (f, c, m) in answers.items()}) == 1
    assert answers["no-such-org"][:2] == ("organisationId", "NOT_FOUND")

    created = (await hub.query(CREATE_NEED, {"i": _need("a-org-0")}, member))["createNeed"]
    assert created["userErrors"] == [] and created["need"]["key"]


async def test_refused_writes_are_audited_with_who_what_and_why(clusters):
    hub = clusters
    member = await hub.key("MEMBER", organisation="a-org-0")
    await hub.query(CREATE_NEED, {"i": _need("c-org-1")}, member)
    await hub.query(CONSENT, {"o": "b-talent", "org": "a-org-0"}, member)
    await hub.query(CONSENT, {"o": "c-offer", "org": "a-org-0"}, member)
    refused = [
        (e["action"], e["target"], e["organisation"], e["details"]["code"])
        async for e in hub.store.db.audit.find({"action": {"$regex": "^refused "}})
    ]
    assert refused == [
        ("refused createNeed", "c-org-1", "a-org-0", "NOT_FOUND"),
        ("refused recordContactConsent", "b-talent", "a-org-0", "FORBIDDEN"),
        ("refused recordContactConsent", "c-offer", "a-org-0", "NOT_FOUND"),
    ]
    entry = await hub.store.db.audit.find_one({"action": "refused createNeed"})
    assert "c-org-1" in entry["details"]["reason"] and entry["key_id"]

    # a role that may not run the mutation at all (a top-level error) is audited too
    create_key = "mutation { createApiKey(input: {role: HUB_ADMIN}) { key } }"
    denied = await hub.execute(create_key, headers=member)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    escalation = await hub.store.db.audit.find_one({"action": "refused createApiKey"})
    assert escalation["organisation"] == "a-org-0" and escalation["details"]["code"] == "FORBIDDEN"

    # positive control: an entitled write is audited as a change, not a refusal
    await hub.query(CREATE_NEED, {"i": _need("a-org-0")}, member)
    assert await hub.store.db.audit.count_documents({"action": "create need"}) == 1
    assert await hub.store.db.audit.count_documents({"action": {"$regex": "^refused "}}) == 4


async def test_imports_audit_the_ids_they_changed(clusters):
    hub = clusters
    admin = await hub.key("CLUSTER_ADMIN", cluster="a")
    batch = _own_batch(offers=[_offer(id="a-offer", organisation="a-org-0", title="Neu")])
    await hub.query(IMPORT, {"i": [batch]}, admin)
    [entry] = [
        e async for e in hub.store.db.audit.find({"action": "import", "key_id": {"$ne": None}})
    ]
    changed = entry["details"]["changed"]
    assert changed["organisations"] == {"inserted": ["a-newcomer"], "updated": []}
    assert changed["offers"] == {"inserted": [], "updated": ["a-offer"]}
    assert entry["details"]["counts"]["clusters"]["unchanged"] == 1


async def test_a_large_import_spreads_its_ids_over_several_entries(clusters, monkeypatch):
    hub = clusters
    monkeypatch.setattr(audit, "PER_ENTRY", 2)
    admin = await hub.key("HUB_ADMIN")
    await hub.query(IMPORT, {"i": [_cluster("d", "HUB")]}, admin)
    entries = [
        e["details"]
        async for e in hub.store.db.audit.find({"action": "import", "key_id": {"$ne": None}})
    ]
    assert [(e["part"], e["parts"]) for e in entries] == [(1, 3), (2, 3), (3, 3)]
    assert len({e["import_id"] for e in entries}) == 1
    inserted = [i for e in entries for kinds in e["changed"].values() for i in kinds["inserted"]]
    assert sorted(inserted) == ["d", "d-need", "d-offer", "d-org-0", "d-org-1", "d-org-2"]
