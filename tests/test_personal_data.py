"""Candidates' personal data: every read is logged, only HUB_ADMINs read the log, and a key
an admin mints for an organisation is recorded with its creator."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from asyncio.subprocess import PIPE
from contextlib import AsyncExitStack

import pytest

from gateway.services.keys import create_key
from schemas.access import ApiKeySpec
from tests.commands import recorded
from tests.records import day, welder_need, welders_cluster

REFER = """mutation ($i: ReferCandidateInput!) {
  referCandidate(input: $i) { offer { key } userErrors { code } } }"""
CONSENT = """mutation ($o: ID!, $org: ID!) {
  recordContactConsent(offerId: $o, organisationId: $org) { userErrors { code } } }"""
CREATE_NEED = "mutation ($i: CreateNeedInput!) { createNeed(input: $i) { need { key } } }"
CANDIDATES = """{ offers(filter: {kinds: [TALENT]}) { edges { node { key talent {
  candidate { name email } } } } } }"""
LOG = """query ($f: PersonalDataAccessFilter, $first: Int, $after: String) {
  personalDataAccess(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { at keyId role organisationId offerId referringOrganisationId grounds
      fields live keyCreatedBy { keyId role } } } } }"""


def _referral(name: str) -> dict:
    return {
        "organisationId": "test-org-0",
        "title": f"Zweitplatzierte Schweißerin {name}",
        "source": "RUNNER_UP",
        "candidate": {"name": name, "email": f"{name.lower()}@example.org", "phone": "040 1"},
        "skills": ["welding"],
        "period": {"start": day(-6), "end": day(114)},
    }


async def _key(hub, role: str, **scope: str) -> tuple[dict[str, str], str]:
    """Headers with a fresh key of `role` made on the command line, and the key's id."""
    key, record = await create_key(hub.store, ApiKeySpec(role=role, **scope))
    return {"authorization": f"Bearer {key}"}, record["_id"]


@pytest.fixture
async def referred(hub):
    """test-org-0 referred Erika; returns (hub, referral key, referrer headers, key id)."""
    await hub.seed(welders_cluster())
    referrer, referrer_id = await _key(hub, "MEMBER", organisation="test-org-0")
    created = await hub.query(REFER, {"i": _referral("Erika")}, referrer)
    assert created["referCandidate"]["userErrors"] == []
    return hub, created["referCandidate"]["offer"]["key"], referrer, referrer_id


async def _log(hub, **filter) -> list[dict]:
    admin, _ = await _key(hub, "HUB_ADMIN")
    data = await hub.query(LOG, {"f": filter or None}, admin)
    return [e["node"] for e in data["personalDataAccess"]["edges"]]


async def _candidates(hub, headers) -> dict[str, dict | None]:
    data = await hub.query(CANDIDATES, headers=headers)
    return {e["node"]["key"]: e["node"]["talent"]["candidate"] for e in data["offers"]["edges"]}


async def test_a_read_of_a_candidate_is_logged_with_who_what_and_when(referred):
    hub, offer, referrer, referrer_id = referred
    assert await _log(hub) == []  # referring without reading the candidate back is no read

    before = dt.datetime.now(dt.UTC)
    assert (await _candidates(hub, referrer))[offer] == {
        "name": "Erika",
        "email": "erika@example.org",
    }
    after = dt.datetime.now(dt.UTC)

    [entry] = await _log(hub)
    at = dt.datetime.fromisoformat(entry.pop("at"))
    assert before - dt.timedelta(milliseconds=1) <= at <= after
    assert entry == {
        "keyId": referrer_id,
        "role": "MEMBER",
        "organisationId": "test-org-0",
        "offerId": offer,
        "referringOrganisationId": "test-org-0",
        "grounds": "REFERRER",
        "fields": ["email", "name"],
        "live": False,
        "keyCreatedBy": None,  # made on the command line
    }


async def test_reads_that_show_no_personal_data_are_not_logged(referred):
    hub, offer, referrer, _ = referred
    neighbour, neighbour_id = await _key(hub, "MEMBER", organisation="test-org-1")
    for role, scope in (
        ("HUB_ADMIN", {}),
        ("CLUSTER_ADMIN", {"cluster": "test-cluster"}),
        ("VIEWER", {"cluster": "test-cluster"}),
    ):
        headers, _ = await _key(hub, role, **scope)
        assert (await _candidates(hub, headers))[offer] is None
    assert (await _candidates(hub, neighbour))[offer] is None
    no_fields = "{ offers { edges { node { talent { source candidate { __typename } } } } } }"
    assert await hub.query(no_fields, headers=referrer)
    assert await _log(hub) == []

    # positive control: once the candidate agreed, the neighbour's read is shown and logged
    consent = await hub.query(CONSENT, {"o": offer, "org": "test-org-1"}, referrer)
    assert consent["recordContactConsent"]["userErrors"] == []
    assert (await _candidates(hub, neighbour))[offer]["name"] == "Erika"
    [entry] = await _log(hub)
    assert (entry["keyId"], entry["organisationId"], entry["grounds"]) == (
        neighbour_id,
        "test-org-1",
        "CONTACT_CONSENT",
    )


async def test_one_entry_per_referral_per_request_written_in_one_batch(referred, settings):
    hub, erika, referrer, _ = referred
    created = await hub.query(REFER, {"i": _referral("Max")}, referrer)
    max_ = created["referCandidate"]["offer"]["key"]
    twice = """{
      a: offers(filter: {kinds: [TALENT]}) { edges { node { talent { candidate { name } } } } }
      b: offers(filter: {kinds: [TALENT]}) { edges { node { talent { candidate {
        email ... on Candidate { phone } } } } } } }"""
    with recorded(settings.database) as commands:
        await hub.query(twice, headers=referrer)
    writes = [c for c in commands if c.collection == "personal_data_access"]
    assert len(writes) <= 2  # one insert for both referrals, at most one widening update
    entries = await _log(hub)
    assert sorted(e["offerId"] for e in entries) == sorted([erika, max_])
    assert all(e["fields"] == ["email", "name", "phone"] for e in entries)

    single = """{ offers(filter: {kinds: [TALENT]}) { edges { node { talent {
      candidate { name } } } } } }"""
    with recorded(settings.database) as commands:
        await hub.query(single, headers=referrer)
    assert [c.name for c in commands if c.collection == "personal_data_access"] == ["insert"]
    assert len(await _log(hub)) == 4


async def test_candidate_data_in_subscription_events_is_logged_for_every_key(hub):
    await hub.seed(welders_cluster())
    keys = [await _key(hub, "MEMBER", organisation="test-org-0") for _ in range(2)]
    neighbour, _ = await _key(hub, "MEMBER", organisation="test-org-1")
    published = """subscription { offerPublished(filter: {kinds: [TALENT]}) {
      key talent { candidate { name } } } }"""
    matched = """subscription { matchFound { offer { key talent { candidate { phone } } } } }"""
    async with AsyncExitStack() as stack:

        async def subscribe(query: str, headers: dict):
            init = {"Authorization": headers["authorization"]}
            return await stack.enter_async_context(hub.subscribe(query, init=init))

        live = [await subscribe(published, headers) for headers, _ in keys]
        outsider = await subscribe(published, neighbour)
        matches = await subscribe(matched, keys[0][0])
        await hub.wait_subscribers(4)
        created = await hub.query(REFER, {"i": _referral("Erika")}, keys[0][0])
        offer = created["referCandidate"]["offer"]["key"]
        for subscription in live:
            event = (await subscription.next())["offerPublished"]
            assert (event["key"], event["talent"]["candidate"]) == (offer, {"name": "Erika"})
        assert (await outsider.next())["offerPublished"]["talent"]["candidate"] is None

        need = await hub.query(CREATE_NEED, {"i": welder_need(0)}, neighbour)
        assert need["createNeed"]["need"]
        seen = {}
        while offer not in seen:
            match = (await matches.next())["matchFound"]["offer"]
            seen[match["key"]] = match["talent"]
    assert seen[offer]["candidate"] == {"phone": "040 1"}

    entries = await _log(hub, offerId=offer)
    published_reads = sorted((e["keyId"], e["fields"]) for e in entries if e["fields"] == ["name"])
    assert published_reads == sorted((key_id, ["name"]) for _, key_id in keys)
    [match_read] = [e for e in entries if e["fields"] == ["phone"]]
    assert match_read["keyId"] == keys[0][1]
    assert all(e["live"] and e["organisationId"] == "test-org-0" for e in entries)
    assert len(entries) == 3  # the neighbour saw no personal data


async def test_only_hub_admins_read_the_access_log(referred):
    hub, offer, referrer, referrer_id = referred
    await _candidates(hub, referrer)
    await _candidates(hub, referrer)
    for role, scope in (
        ("CLUSTER_ADMIN", {"cluster": "test-cluster"}),
        ("MEMBER", {"organisation": "test-org-0"}),
        ("VIEWER", {"cluster": "test-cluster"}),
    ):
        headers, _ = await _key(hub, role, **scope)
        body = await hub.execute(LOG, headers=headers)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await hub.execute(LOG))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # positive control, with filters and pages
    admin, _ = await _key(hub, "HUB_ADMIN")
    first = (await hub.query(LOG, {"first": 1}, admin))["personalDataAccess"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    after = {"first": 1, "after": first["pageInfo"]["endCursor"]}
    second = (await hub.query(LOG, after, admin))["personalDataAccess"]
    assert not second["pageInfo"]["hasNextPage"]
    assert first["edges"][0]["node"]["at"] <= second["edges"][0]["node"]["at"]
    assert len(await _log(hub, keyId=referrer_id, offerId=offer)) == 2
    assert await _log(hub, keyId="someone-else") == []
    assert await _log(hub, organisationId="test-org-1") == []
    assert len(await _log(hub, since="2000-01-01T00:00:00Z")) == 2
    assert await _log(hub, since="2999-01-01T00:00:00Z") == []


async def test_a_key_a_hub_admin_mints_is_recorded_with_its_creator(referred, settings):
    hub, offer, _, _ = referred
    admin, admin_id = await _key(hub, "HUB_ADMIN")
    mint = """mutation { createApiKey(input: {role: MEMBER, organisation: "test-org-0",
      label: "minted"}) { key keyId userErrors { code } } }"""
    minted = (await hub.query(mint, headers=admin))["createApiKey"]
    record = await hub.store.find_one("api_keys", {"_id": minted["keyId"]})
    assert record["created_by"] == {"key_id": admin_id, "role": "HUB_ADMIN"}

    assert (await _candidates(hub, admin))[offer] is None  # the admin's own key sees nothing
    through = {"authorization": f"Bearer {minted['key']}"}
    assert (await _candidates(hub, through))[offer]["name"] == "Erika"
    [entry] = await _log(hub)
    assert entry["keyId"] == minted["keyId"]
    assert entry["keyCreatedBy"] == {"keyId": admin_id, "role": "HUB_ADMIN"}

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    env |= {"MONGODB_URI": settings.mongodb_uri, "CLUSTERHUB_DATABASE": settings.database}
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.tools.cli", "keys", "list", env=env, stdout=PIPE
    )
    out, _ = await asyncio.wait_for(cli.communicate(), 60)
    assert cli.returncode == 0
    listed = out.decode().splitlines()
    [line] = [row for row in listed if row.startswith(minted["keyId"])]
    assert f"by {admin_id} (HUB_ADMIN)" in line
    [line] = [row for row in listed if row.startswith(admin_id)]
    assert "by command line" in line
