"""The demo data: the networks of the context documents, seeded idempotently."""

from __future__ import annotations

import datetime as dt

from gateway.domain.documents import OPEN_END
from gateway.domain.lifetime import Lifetime
from gateway.services.demo import DEMO_DAY, demo_batch, seed_dir
from tests.client import running_hub
from tests.test_seed_cli import seed_cli

DIRECTORY = """
query ($filter: ClusterFilter) {
  clusters(filter: $filter, first: 100) {
    totalCount
    edges { node { id: key name kind region federalStates qualifiesAsNetwork memberCount
                   sharing { policy partnerIds } } }
  }
}
"""


async def _clusters(hub, **filter):
    data = await hub.query(DIRECTORY, {"filter": filter or None})
    return {e["node"]["id"]: e["node"] for e in data["clusters"]["edges"]}


async def test_hamburg_clusters_exchange_staff_and_production(demo_hub):
    hamburg = await _clusters(demo_hub, kinds=["INDUSTRY_CLUSTER"], federalStates=["HH"])
    assert len(hamburg) >= 6
    assert all(c["qualifiesAsNetwork"] for c in hamburg.values())
    for collection, kinds in (
        ("offers", {"STAFF", "PRODUCTION"}),
        ("needs", {"STAFF", "PRODUCTION"}),
    ):
        found = await demo_hub.store.db[collection].distinct(
            "kind", {"clusters": {"$in": list(hamburg)}}
        )
        assert kinds <= set(found)
    # staff on short-time work is offered across industries
    short_time = await demo_hub.store.db.offers.distinct(
        "clusters", {"arrangement": "SHORT_TIME_WORK", "clusters": {"$in": list(hamburg)}}
    )
    assert len(set(short_time) & set(hamburg)) >= 3


async def test_gross_gerau_network_of_institutions_with_training(demo_hub):
    [network] = (await _clusters(demo_hub, search="Groß-Gerau")).values()
    assert network["kind"] == "REGIONAL_NETWORK" and network["qualifiesAsNetwork"]
    members = demo_hub.store.db.organisations.find({"clusters": network["id"]})
    kinds = {m["kind"] async for m in members}
    assert {"PUBLIC_ADMINISTRATION", "JOB_CENTRE", "CHAMBER", "TRAINING_PROVIDER", "UNION"} <= kinds
    trainings = await demo_hub.store.db.offers.count_documents(
        {"clusters": network["id"], "kind": "TRAINING"}
    )
    assert trainings >= 5


async def test_cleverharz_spans_two_states_and_refers_talent(demo_hub):
    cleverharz = (await _clusters(demo_hub))["cleverharz"]
    assert sorted(cleverharz["federalStates"]) == ["NI", "ST"]
    assert cleverharz["sharing"] == {"policy": "PARTNERS", "partnerIds": ["allianz-der-chancen"]}
    talents = demo_hub.store.db.offers.find({"clusters": "cleverharz", "kind": "TALENT"})
    sources = [t["source"] async for t in talents]
    assert len(sources) >= 20 and "RUNNER_UP" in sources
    assert all(t for t in sources)


async def test_allianz_der_chancen_city_of_hannover_needs_and_continental_talent(demo_hub):
    allianz = (await _clusters(demo_hub))["allianz-der-chancen"]
    assert allianz["kind"] == "ALLIANCE"
    continental = await demo_hub.store.db.offers.count_documents(
        {"organisation": "continental-ag", "kind": "TALENT", "source": "JOB_CUT"}
    )
    assert continental >= 20
    city_needs = await demo_hub.store.db.needs.find(
        {"organisation": "landeshauptstadt-hannover", "kind": "STAFF"}
    ).to_list(None)
    skills = {s for n in city_needs for s in n["required_skills"]}
    # technicians, IT specialists, educators, gardeners, caretakers and clerks
    assert {"early-childhood-education", "landscaping", "clerical-work"} <= skills
    assert skills & {"system-administration", "software-development", "it-support"}
    assert skills & {"building-services", "electrical-installation", "construction-technology"}
    caretaker = await demo_hub.store.db.skills.find_one({"synonyms": "Hausmeister"})
    assert caretaker["_id"] in skills


async def test_totals_and_taxonomy(demo_hub):
    db = demo_hub.store.db
    organisations = await db.organisations.count_documents({})
    listings = await db.offers.count_documents({}) + await db.needs.count_documents({})
    assert 140 <= organisations <= 170
    assert 380 <= listings <= 450
    skills = await db.skills.find({}).to_list(None)
    assert len(skills) >= 150
    assert all(s["de"] and s["en"] for s in skills)


def test_seeding_the_demo_twice_changes_nothing(settings):
    first = seed_cli(settings, str(seed_dir()))
    assert first.returncode == 0, first.stdout + first.stderr
    again = seed_cli(settings, str(seed_dir()))
    assert again.returncode == 0
    rows = {}
    for line in again.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 5 and cells[1].isdigit():
            rows[cells[0]] = cells[1:3]
    assert rows and all(r == ["0", "0"] for r in rows.values()), again.stdout


async def test_hub_seeds_the_demo_into_an_empty_store_once(settings):
    demo = settings.model_copy(update={"demo": True})
    async with running_hub(demo) as hub:
        assert (await hub.query("{ clusters { totalCount } }"))["clusters"]["totalCount"] == 12
        await hub.store.db.clusters.delete_one({"_id": "cleverharz"})
    async with running_hub(demo) as hub:  # not empty: nothing re-seeded
        assert (await hub.query("{ clusters { totalCount } }"))["clusters"]["totalCount"] == 11


def _current(day: dt.date) -> int:
    """How many demo listings, seeded on `day`, are current that day (not EXPIRED)."""
    lifetime = Lifetime(dt.datetime.combine(day, dt.time(12), dt.UTC))
    current = 0
    for name in ("offers", "needs"):
        for record in demo_batch(day).records[name]:
            data = record.data
            end = data["period"].get("end")
            listing = {
                "period": {
                    "end": dt.datetime.combine(dt.date.fromisoformat(end), dt.time(), dt.UTC)
                    if end
                    else OPEN_END
                }
            }
            if "consent" in data:
                given = dt.datetime.fromisoformat(data["consent"]["givenAt"])
                listing["consent"] = {"given_at": given}
            current += not lifetime.lapsed(listing)
    return current


def test_the_demo_seeded_years_later_is_as_current_as_on_its_day():
    # time is a hard rule: fixed dates would leave an expired demo
    on_its_day = _current(DEMO_DAY)
    assert on_its_day == 408  # every offer and need
    assert _current(DEMO_DAY + dt.timedelta(days=3 * 365)) == on_its_day
