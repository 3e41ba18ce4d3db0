"""Coverage: what share of needed headcount a set of offers can fill, one to one.

The Allianz der Chancen's "80 % match" between a city's vacancies and the staff a
company could release is a maximum flow: offers supply headcount (a TALENT is one
person), needs demand it, and an edge joins every compatible pair (the matching
engine's hard rules and skill test). networkx solves it; the flow on the edges into
each need gives the per-skill breakdown and the needs left unmet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from gateway.domain.access import Sharing
from gateway.domain.conditions import AnyOf, Equals, Filter, all_of
from gateway.domain.filters import PartyFilter
from gateway.domain.lifetime import Lifetime
from gateway.domain.scoring import fit, people_offered
from gateway.domain.taxonomy import Taxonomy
from schemas.common import Status
from schemas.listing import NeedKind, OfferKind

MAX_PARTIES = 2000
"""Needs and offers taken into one calculation, each: bounds the graph."""

Doc = dict[str, Any]


@dataclass(frozen=True)
class SkillCoverage:
    skill_id: str
    needed: int
    covered: int


@dataclass(frozen=True)
class Coverage:
    needed: int
    covered: int
    covered_with_training: int
    by_skill: list[SkillCoverage]
    unmet: list[tuple[str, int]]
    """(need id, headcount left unfilled), most missing first."""


PEOPLE = (OfferKind.STAFF, OfferKind.TALENT)


def needs_filter(parties: PartyFilter) -> Filter:
    """The open STAFF needs of `parties`: what a coverage calculation fills."""
    return parties.compile() & all_of(Equals("kind", NeedKind.STAFF), Equals("status", Status.OPEN))


def offers_filter(parties: PartyFilter) -> Filter:
    """The open offers of people and the trainings of `parties`: what fills it."""
    kinds = AnyOf("kind", (*PEOPLE, OfferKind.TRAINING))
    return parties.compile() & all_of(kinds, Equals("status", Status.OPEN))


def _max_flow(needs: Sequence[Doc], offers: Sequence[Doc], edges: set[tuple[str, str]]) -> dict:
    graph = nx.DiGraph()
    for offer in offers:
        graph.add_edge("source", ("o", offer["_id"]), capacity=people_offered(offer))
    for need in needs:
        graph.add_edge(("n", need["_id"]), "sink", capacity=int(need.get("headcount") or 1))
    for offer_id, need_id in edges:
        graph.add_edge(("o", offer_id), ("n", need_id))  # no capacity: unbounded
    if not graph.has_node("source") or not graph.has_node("sink"):
        return {}
    _, flow = nx.maximum_flow(graph, "source", "sink")
    return flow


def _filled(flow: dict, needs: Sequence[Doc]) -> dict[str, int]:
    filled: dict[str, int] = defaultdict(int)
    for node, out in flow.items():
        if isinstance(node, tuple) and node[0] == "o":
            for target, amount in out.items():
                filled[target[1]] += amount
    return {n["_id"]: filled.get(n["_id"], 0) for n in needs}


def coverage(
    needs: Sequence[Doc],
    offers: Sequence[Doc],
    taxonomy: Taxonomy,
    sharing: Sharing,
    lifetime: Lifetime,
) -> Coverage:
    """Maximum one-to-one coverage of the current STAFF `needs` by STAFF and TALENT
    `offers`."""

    def current(docs: Sequence[Doc], *kinds: str) -> list[Doc]:
        return [d for d in docs if d["kind"] in kinds and lifetime.status(d) == Status.OPEN]

    needs = current(needs, NeedKind.STAFF)
    people = current(offers, *PEOPLE)
    trainings = current(offers, OfferKind.TRAINING)
    direct: set[tuple[str, str]] = set()
    with_training: set[tuple[str, str]] = set()
    for need in needs:
        for offer in people:
            if not sharing.mutual(offer, need):
                continue
            found = fit(offer, need, taxonomy, trainings, lifetime=lifetime, career_change=True)
            if found is None:
                continue
            with_training.add((offer["_id"], need["_id"]))
            if not found.suggested_trainings:
                direct.add((offer["_id"], need["_id"]))
    filled = _filled(_max_flow(needs, people, direct), needs)
    filled_trained = _filled(_max_flow(needs, people, with_training), needs)

    needed_by_skill: dict[str, int] = defaultdict(int)
    covered_by_skill: dict[str, int] = defaultdict(int)
    for need in needs:
        for skill in need.get("required_skills", []):
            needed_by_skill[skill] += int(need.get("headcount") or 1)
            covered_by_skill[skill] += filled[need["_id"]]
    headcount = {n["_id"]: int(n.get("headcount") or 1) for n in needs}
    unmet = sorted(
        ((nid, headcount[nid] - got) for nid, got in filled.items() if got < headcount[nid]),
        key=lambda item: (-item[1], item[0]),
    )
    return Coverage(
        needed=sum(headcount.values()),
        covered=sum(filled.values()),
        covered_with_training=sum(filled_trained.values()),
        by_skill=[
            SkillCoverage(skill, needed_by_skill[skill], covered_by_skill[skill])
            for skill in sorted(needed_by_skill, key=lambda s: (-needed_by_skill[s], s))
        ],
        unmet=unmet,
    )
