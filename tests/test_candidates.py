"""Candidate search in memory never drops a pair that scoring would accept, and the cut
keeps the best.

The catalogue's index cuts candidates by kind, organisation, period, time, grid cell,
shared skills and two skill rules before anything is scored; every cut must be one that
the hard rules of `gateway.domain.scoring.fit` would make anyway. Candidates are then
scored in order of an upper bound of their score, and scoring stops once none left can
beat the last one kept. Hypothesis builds small markets (related skills named in one
direction only, implied skills and levels, a regulated skill, trainings before and
during the need, expired listings, unlocated listings, sharing policies) and compares
what the matcher keeps with all pairs scored.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.access import Sharing
from gateway.domain.geo import cell_of
from gateway.domain.lifetime import Lifetime
from gateway.domain.scoring import fit, score_bound
from gateway.domain.taxonomy import Taxonomy
from gateway.services.matching import Matcher
from tests.records import indexed

SKILLS = ["a", "b", "c", "d", "e", "f1", "f2", "f3", "r"]
TAXONOMY = Taxonomy(  # "b" names "c" as related, "c" does not name "b"; "d" and "e" both ways
    [
        {"_id": s, "de": s, "en": s, **more}
        for s, more in (
            ("a", {"implies": ["r"]}),  # holding "a" means holding the regulated "r"
            ("b", {"related": ["c"]}),
            ("c", {}),
            ("d", {"related": ["e", "r"]}),  # related to "r", which never counts
            ("e", {"related": ["d"]}),
            ("f1", {"family": "f", "level": 1}),
            ("f2", {"family": "f", "level": 2}),
            ("f3", {"family": "f", "level": 3}),
            ("r", {"regulated": True}),
        )
    ]
)
NOW = Lifetime(dt.datetime(2027, 1, 20, tzinfo=dt.UTC))  # some generated listings are over
PLACES = [(53.55, 9.99), (53.6, 10.1), (52.37, 9.73), None]
SHARING = Sharing(
    [
        {"_id": "x", "sharing": {"policy": "HUB"}},
        {"_id": "y", "sharing": {"policy": "PARTNERS", "partners": ["x"]}},
        {"_id": "z", "sharing": {"policy": "CLUSTER"}},
    ]
)
ORGANISATIONS = {"o1": ["x"], "o2": ["y"], "o3": ["z"], "o4": ["x", "z"]}


def _day(n: int) -> dt.datetime:
    return dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)


@st.composite
def _listing(draw: st.DrawFn, collection: str, number: int) -> dict:
    kind = draw(
        st.sampled_from(
            ["STAFF", "TALENT", "TRAINING", "PRODUCTION"]
            if collection == "offers"
            else ["STAFF", "STAFF", "PRODUCTION"]
        )
    )
    organisation = draw(st.sampled_from(sorted(ORGANISATIONS)))
    place = draw(st.sampled_from(PLACES))
    start = draw(st.integers(0, 60))
    skills = st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3, unique=True)
    doc = {
        "_id": f"{collection[0]}{number}",
        "kind": kind,
        "organisation": organisation,
        "clusters": ORGANISATIONS[organisation],
        "status": "OPEN",
        "period": {"start": _day(start), "end": _day(start + draw(st.integers(0, 60)))},
        "location": {} if place is None else {"lat": place[0], "lon": place[1]},
        "cell": None if place is None else cell_of(*place),
        "radius_km": draw(st.sampled_from([None, 10.0, 50.0, 300.0])),
        "headcount": draw(st.integers(1, 4)),
        "employment": draw(st.sampled_from(["TEMPORARY", "PERMANENT"])),
        "arrangement": draw(st.sampled_from(["SHORT_TIME_WORK", "STAFF_PARTNERSHIP"])),
    }
    if kind == "PRODUCTION":
        doc["capabilities"] = draw(skills)
    elif collection == "offers":
        doc["skills"] = draw(skills)
    else:
        doc["required_skills"] = draw(skills)
        doc["optional_skills"] = draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True))
    doc["skill_set"] = sorted(
        {
            s
            for f in ("skills", "capabilities", "required_skills", "optional_skills")
            for s in doc.get(f, [])
        }
    )
    return doc


@st.composite
def _market(draw: st.DrawFn) -> tuple[list[dict], list[dict]]:
    offers = [draw(_listing("offers", i)) for i in range(draw(st.integers(1, 12)))]
    needs = [draw(_listing("needs", i)) for i in range(draw(st.integers(1, 8)))]
    return offers, needs


def _matcher(offers: list[dict], needs: list[dict]) -> Matcher:
    return Matcher(
        None, {"offers": indexed(offers), "needs": indexed(needs)}, TAXONOMY, SHARING, NOW
    )


@settings(max_examples=300, deadline=None)
@given(_market(), st.integers(1, 3))
def test_the_matcher_keeps_every_fitting_pair_or_the_best_of_them(market, cut):
    offers, needs = market
    matcher = _matcher(offers, needs)
    cache: dict = {}
    trainings = {need["_id"]: matcher._trainings(need, cache) for need in needs}
    fits = {
        (offer["_id"], need["_id"]): found
        for need in needs
        for offer in offers
        if offer["kind"] != "TRAINING"
        and (need["kind"] == "PRODUCTION") == (offer["kind"] == "PRODUCTION")
        and SHARING.mutual(offer, need)
        and (found := fit(offer, need, TAXONOMY, trainings[need["_id"]], lifetime=NOW))
    }
    for (offer_id, need_id), found in fits.items():  # the bound is an upper bound
        offer = next(o for o in offers if o["_id"] == offer_id)
        need = next(n for n in needs if n["_id"] == need_id)
        taught = TAXONOMY.holdings(s for t in trainings[need_id] for s in t["skills"])
        covering = matcher._covering(need, taught)
        assert score_bound(offer, need, TAXONOMY, covering, lifetime=NOW) >= found.score
        assert (
            score_bound(offer, need, TAXONOMY, covering, lifetime=NOW, offer_side=True)
            >= found.offer_score
        )

    def from_needs(limit: int) -> dict:
        return {
            need["_id"]: [
                f.score for _, f in matcher.offers_for(need, trainings[need["_id"]], limit)
            ]
            for need in needs
        }

    taught_anywhere = TAXONOMY.holdings(matcher.offers.held_by_kind("TRAINING"))

    def from_offers(limit: int) -> dict:
        return {
            offer["_id"]: [
                f.offer_score
                for _, f in matcher.needs_for(
                    offer, taught_anywhere, lambda n: trainings[n["_id"]], limit=limit
                )
            ]
            for offer in offers
            if offer["kind"] != "TRAINING"
        }

    everything = {
        (o["_id"], n["_id"])
        for n in needs
        for o, _ in matcher.offers_for(n, trainings[n["_id"]], 10**6)
    }
    assert set(fits) == everything
    everything = {
        (o["_id"], n["_id"])
        for o in offers
        if o["kind"] != "TRAINING"
        for n, _ in matcher.needs_for(o, taught_anywhere, lambda n: trainings[n["_id"]])
    }
    assert set(fits) == everything
    # the cut keeps the best: the scores kept are the top scores of all fitting pairs
    for need_id, kept in from_needs(cut).items():
        best = sorted((f.score for (_, n), f in fits.items() if n == need_id), reverse=True)
        assert kept == best[:cut]
    for offer_id, kept in from_offers(cut).items():
        best = sorted((f.offer_score for (o, _), f in fits.items() if o == offer_id), reverse=True)
        assert kept == best[:cut]


def test_a_closed_or_removed_listing_is_no_candidate():
    offer = {
        "_id": "o",
        "kind": "STAFF",
        "organisation": "o1",
        "clusters": ["x"],
        "status": "OPEN",
        "period": {"start": _day(0), "end": _day(9)},
        "location": {},
        "skills": ["a"],
        "skill_set": ["a"],
    }
    need = {
        "_id": "n",
        "kind": "STAFF",
        "organisation": "o2",
        "clusters": ["x"],
        "status": "OPEN",
        "period": {"start": _day(0), "end": _day(9)},
        "location": {},
        "required_skills": ["a"],
        "skill_set": ["a"],
    }
    index = indexed([offer])
    matcher = Matcher(None, {"offers": index, "needs": indexed([])}, TAXONOMY, SHARING, NOW)
    need["period"] = offer["period"] = {"start": _day(20), "end": _day(29)}
    index.put(offer)
    assert [o["_id"] for o, _ in matcher.offers_for(need)] == ["o"]
    index.put(offer | {"status": "FILLED"})
    assert matcher.offers_for(need) == []
    index.put(offer | {"period": {"start": _day(0), "end": _day(9)}})  # over by NOW
    assert matcher.offers_for(need | {"period": {"start": _day(0), "end": _day(9)}}) == []
    index.put(offer)
    index.remove("o")
    assert matcher.offers_for(need) == [] and len(index) == 0
