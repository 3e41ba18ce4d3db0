"""Candidate search in memory never drops a pair that scoring would accept.

The catalogue's index cuts candidates by kind, organisation, period, grid cell, shared
skills and two skill rules before anything is scored; every cut must be one that the
hard rules of `gateway.domain.scoring.fit` would make anyway. Hypothesis builds small
markets (related skills in one direction only, trainings, unlocated listings, sharing
policies) and compares the pairs found through the index with all pairs scored.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.access import Sharing
from gateway.domain.candidates import CandidateIndex
from gateway.domain.geo import cell_of
from gateway.domain.scoring import fit
from gateway.domain.taxonomy import Taxonomy
from gateway.services.matching import Matcher

SKILLS = ["a", "b", "c", "d", "e"]
TAXONOMY = Taxonomy(  # "b" names "c" as related, "c" does not name "b"; "d" and "e" both ways
    [
        {"_id": s, "de": s, "en": s, "related": related}
        for s, related in (("a", []), ("b", ["c"]), ("c", []), ("d", ["e"]), ("e", ["d"]))
    ]
)
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
        "headcount": 2,
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


def _indexed(docs: list[dict]) -> CandidateIndex:
    index = CandidateIndex()
    for doc in docs:
        index.put(doc)
    return index


@settings(max_examples=300, deadline=None)
@given(_market())
def test_every_pair_scoring_accepts_is_found_from_both_sides(market):
    offers, needs = market
    matcher = Matcher(
        None, {"offers": _indexed(offers), "needs": _indexed(needs)}, TAXONOMY, SHARING
    )
    trainings = matcher._trainings_for(needs)
    fitting = {
        (offer["_id"], need["_id"])
        for need in needs
        for offer in offers
        if offer["kind"] != "TRAINING"
        and (need["kind"] == "PRODUCTION") == (offer["kind"] == "PRODUCTION")
        and SHARING.mutual(offer, need)
        and fit(offer, need, TAXONOMY, trainings.get(need["_id"], []))
    }
    from_needs = set()
    for need in needs:
        taught = {s for t in trainings.get(need["_id"], []) for s in t["skills"]}
        from_needs |= {(o["_id"], need["_id"]) for o in matcher.offers_for(need, taught)}
    taught_anywhere = matcher.offers.held_by_kind("TRAINING")
    from_offers = {
        (offer["_id"], n["_id"])
        for offer in offers
        if offer["kind"] != "TRAINING"
        for n in matcher.needs_for(offer, taught_anywhere)
    }
    assert fitting <= from_needs
    assert fitting <= from_offers


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
    index = _indexed([offer])
    matcher = Matcher(None, {"offers": index, "needs": _indexed([])}, TAXONOMY, SHARING)
    assert [o["_id"] for o in matcher.offers_for(need, set())] == ["o"]
    index.put(offer | {"status": "FILLED"})
    assert matcher.offers_for(need, set()) == []
    index.put(offer)
    index.remove("o")
    assert matcher.offers_for(need, set()) == [] and len(index) == 0
