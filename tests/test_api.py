"""The query and mutation API: pagination, filters, access narrowing, mutations."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from gateway.domain.access import visible_listings
from gateway.domain.filters import ListingFilter
from gateway.domain.geo import Circle
from tests.records import OFFER, cluster_file, day

OFFERS = """
query ($filter: OfferFilter, $first: Int, $after: String) {
  offers(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title version skills { id } organisation { name } } }
  }
}
"""

CREATE_OFFER = """
mutation ($input: CreateOfferInput!) {
  createOffer(input: $input) {
    offer { id version title headcount skills { id } }
    userErrors { field message code }
  }
}
"""

UPDATE_OFFER = """
mutation ($id: ID!, $input: UpdateOfferInput!) {
  updateOffer(id: $id, input: $input) {
    offer { id version headcount }
    userErrors { field message code }
  }
}
"""


def _many_offers(count: int) -> dict:
    data = cluster_file()
    munich = copy.deepcopy(data["organisations"][2])
    munich.update(
        id="test-org-munich",
        location={
            "postcode": "80331",
            "city": "München",
            "state": "BY",
            "lat": 48.137,
            "lon": 11.575,
        },
    )
    data["organisations"].append(munich)
    data["offers"] = [
        dict(
            copy.deepcopy(OFFER),
            id=f"offer-{i:02d}",
            title=f"Angebot {i}",
            organisation="test-org-munich" if i % 5 == 0 else "test-org-0",
            skills=["welding"] if i % 2 == 0 else ["logistics-warehousing"],
            period={"start": day(25), "end": day(55)}
            if i % 3 == 0
            else {"start": day(176), "end": day(267)},
        )
        for i in range(count)
    ]
    return data


@pytest.fixture
async def portal(hub):
    await hub.seed(_many_offers(25))
    return hub, await hub.key("VIEWER", cluster="test-cluster")


async def test_pages_are_stable_complete_and_counted(portal):
    hub, viewer = portal
    seen, after = [], None
    while True:
        data = (await hub.query(OFFERS, {"first": 10, "after": after}, viewer))["offers"]
        assert data["totalCount"] == 25
        seen += [e["node"]["title"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == 25 == len(set(seen))


@pytest.mark.parametrize(("first", "after"), [(101, None), (-1, None), (10, "bm9wZQ==")])
async def test_bad_page_requests_are_errors_not_silent_cuts(portal, first, after):
    hub, viewer = portal
    body = await hub.execute(OFFERS, {"first": first, "after": after}, viewer)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert ("first" if after is None else "after") in error["message"]


async def test_skill_filter_resolves_synonyms(portal):
    hub, viewer = portal
    by_synonym = {"skills": {"anyOf": ["Schweißer"]}}
    data = (await hub.query(OFFERS, {"filter": by_synonym}, viewer))["offers"]
    assert data["totalCount"] == 13
    assert all(e["node"]["skills"] == [{"id": "welding"}] for e in data["edges"])


async def test_unknown_skill_in_a_filter_is_named(portal):
    hub, viewer = portal
    body = await hub.execute(OFFERS, {"filter": {"skills": {"anyOf": ["Schweisen"]}}}, viewer)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "skills.anyOf: unknown skill 'Schweisen'" in body["errors"][0]["message"]


async def test_welding_near_hamburg_available_in_january(portal):
    hub, viewer = portal
    search = {
        "skills": {"anyOf": ["welding"]},
        "near": {"postcode": "21129", "radiusKm": 50},
        "available": {"start": day(25), "end": day(55)},
    }
    data = (await hub.query(OFFERS, {"filter": search}, viewer))["offers"]
    # even, divisible by 3, not by 5 (Munich): 6, 12, 18, 24
    assert sorted(e["node"]["title"] for e in data["edges"]) == [
        "Angebot 12",
        "Angebot 18",
        "Angebot 24",
        "Angebot 6",
    ]
    munich = dict(search, near={"lat": 48.14, "lon": 11.58, "radiusKm": 30})
    data = (await hub.query(OFFERS, {"filter": munich}, viewer))["offers"]
    assert [e["node"]["title"] for e in data["edges"]] == ["Angebot 0"]


async def test_text_filter_matches_whole_words_in_any_case(portal):
    hub, viewer = portal
    data = (await hub.query(OFFERS, {"filter": {"text": "ANGEBOT 12"}}, viewer))["offers"]
    assert [e["node"]["title"] for e in data["edges"]] == ["Angebot 12"]
    data = (await hub.query(OFFERS, {"filter": {"text": "angebot"}}, viewer))["offers"]
    assert data["totalCount"] == 25


async def test_anonymous_callers_get_the_directory_and_nothing_else(portal):
    hub, _ = portal
    assert (await hub.query("{ clusters { totalCount } }"))["clusters"]["totalCount"] == 1
    body = await hub.execute(OFFERS)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await hub.query("{ viewer { role } }"))["viewer"] is None


async def test_a_bad_key_is_refused(portal):
    hub, _ = portal
    response = await hub.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_create_and_update_with_optimistic_locking(portal):
    hub, _ = portal
    member = await hub.key("MEMBER", organisation="test-org-1")
    new = {
        "organisationId": "test-org-1",
        "kind": "STAFF",
        "title": "Drei Staplerfahrer frei",
        "skills": ["Gabelstaplerfahrer"],
        "headcount": 3,
        "period": {"start": day(56), "end": day(144)},
    }
    created = (await hub.query(CREATE_OFFER, {"input": new}, member))["createOffer"]
    assert created["userErrors"] == []
    offer = created["offer"]
    assert (offer["version"], offer["skills"]) == (1, [{"id": "forklift-licence"}])

    change = {"expectedVersion": 1, "headcount": 2}
    updated = await hub.query(UPDATE_OFFER, {"id": offer["id"], "input": change}, member)
    assert updated["updateOffer"]["offer"] == {"id": offer["id"], "version": 2, "headcount": 2}

    stale = await hub.query(UPDATE_OFFER, {"id": offer["id"], "input": change}, member)
    assert stale["updateOffer"]["offer"] is None
    [error] = stale["updateOffer"]["userErrors"]
    assert error["code"] == "VERSION_CONFLICT" and "version 2" in error["message"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"headcount": 0}, "headcount", "INVALID"),
        ({"title": "x" * 300}, "title", "INVALID"),
        ({"skills": ["Astrologie"]}, "skills", "UNKNOWN_SKILL"),
        ({"period": {"start": day(145), "end": day(25)}}, "period", "INVALID"),
        ({"organisationId": "ghost"}, "organisationId", "NOT_FOUND"),
        ({"kind": "TALENT"}, "kind", "USE_REFER_CANDIDATE"),
        (
            {"location": {"city": "Hamburg", "state": "HH", "lat": 95.0, "lon": 9.9}},
            "location.lat",
            "INVALID",
        ),
    ],
)
async def test_invalid_input_comes_back_as_user_errors_naming_the_field(
    portal, change, field, code
):
    hub, _ = portal
    admin = await hub.key("HUB_ADMIN")
    new = {
        "organisationId": "test-org-1",
        "kind": "STAFF",
        "title": "Schweißer frei",
        "skills": ["welding"],
        "headcount": 1,
        "period": {"start": day(56)},
    } | change
    payload = (await hub.query(CREATE_OFFER, {"input": new}, admin))["createOffer"]
    assert payload["offer"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]


async def test_a_member_cannot_write_for_another_organisation(portal):
    hub, _ = portal
    member = await hub.key("MEMBER", organisation="test-org-1")
    change = {"expectedVersion": 1, "headcount": 9}
    payload = await hub.query(UPDATE_OFFER, {"id": "offer-01", "input": change}, member)
    assert payload["updateOffer"]["offer"] is None
    assert payload["updateOffer"]["userErrors"][0]["code"] == "FORBIDDEN"
    offer = await hub.store.find_one("offers", {"_id": "offer-01"})
    assert offer["headcount"] == 2


async def test_every_filter_path_is_served_by_an_index(portal):
    """Each condition a portal filter produces is answered from an index.

    Filters are built as one flat document, which both a real MongoDB and SecantusDB
    plan from an index. SecantusDB's explain, however, reports any query with more
    than one field (or with `$geoWithin`) as COLLSCAN while timing shows an index at
    work, so each indexed condition is explained on its own.
    """
    hub, _ = portal
    taxonomy = await hub.app.state.hub.taxonomy.get()
    portal_filter = ListingFilter(
        cluster_ids=("test-cluster",),
        organisation_ids=("test-org-0",),
        kinds=("STAFF",),
        statuses=("OPEN",),
        skills_any=("welding", "Schweißen"),
        text="angebot",
        available_from=dt.date(2027, 1, 1),
        available_to=dt.date(2027, 1, 31),
    )
    visible = visible_listings({"test-cluster"})
    query = (portal_filter.compile(taxonomy, Circle(53.5, 9.9, 50)) & visible).query()
    assert "$or" not in query
    # a second condition on a field already in the flat part: the first one is indexed
    repeated = query.pop("$and", [])
    assert all(next(iter(c)) in query for c in repeated)
    exact_checks = {"geo", "period.end", "status", "kind"}  # evaluated on fetched documents
    indexed = [{key: cond} for key, cond in query.items() if key not in exact_checks]
    assert {next(iter(q)) for q in indexed} == {
        "clusters",
        "organisation",
        "skill_set",
        "terms",
        "period.start",
        "cell",
    }
    for condition in indexed:
        plan = await hub.store.db.offers.find(condition).explain()
        assert "IXSCAN" in str(plan["queryPlanner"]["winningPlan"]), (condition, plan)
    plan = await hub.store.db.offers.find(visible.query()).sort("_id", 1).explain()
    assert "IXSCAN" in str(plan["queryPlanner"]["winningPlan"])


async def test_a_text_filter_finds_the_same_in_lists_and_live(hub):
    """Whole words in both: "schweiß" finds "Schweiß-Roboter", not "Schweißer"."""
    await hub.seed(cluster_file())
    viewer = await hub.key("VIEWER", cluster="test-cluster")
    member = await hub.key("MEMBER", organisation="test-org-0")
    subscription_query = "subscription ($f: OfferFilter) { offerPublished(filter: $f) { title } }"
    text = {"text": "schweiß"}
    async with hub.subscribe(
        subscription_query, {"f": text}, init={"Authorization": viewer["authorization"]}
    ) as live:
        await hub.wait_subscribers(1)
        for title in ("Zwei Schweißer frei", "Schweiß-Roboter frei"):
            offer = {
                "organisationId": "test-org-0",
                "kind": "PRODUCTION",
                "title": title,
                "capabilities": ["welding"],
                "amount": 100,
                "unit": "Stück",
                "period": {"start": day(25), "end": day(114)},
            }
            created = await hub.query(CREATE_OFFER, {"input": offer}, member)
            assert created["createOffer"]["userErrors"] == []
        first = await live.next()
    listed = (await hub.query(OFFERS, {"filter": text}, viewer))["offers"]
    assert first["offerPublished"]["title"] == "Schweiß-Roboter frei"
    assert [e["node"]["title"] for e in listed["edges"]] == ["Schweiß-Roboter frei"]
