"""Property: for any documents and filter, the store's answer to `Filter.query()` is exactly
the documents `Filter.test` accepts, so lists and live subscriptions never disagree."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient
from pymongo.collection import Collection

from gateway.domain.access import visible_listings, visible_matches
from gateway.domain.conditions import Filter
from gateway.domain.documents import OPEN_END
from gateway.domain.filters import ClusterFilter, ListingFilter, MatchFilter
from gateway.domain.geo import Circle, cell_of
from gateway.domain.taxonomy import Taxonomy

CLUSTERS = ["alpha", "beta", "gamma", "delta"]
ORGANISATIONS = ["org-1", "org-2", "org-3"]
KINDS = ["STAFF", "TALENT", "PRODUCTION", "TRAINING"]
STATUSES = ["OPEN", "FILLED", "WITHDRAWN"]
TAXONOMY = Taxonomy(
    [
        {"_id": "welding", "de": "Schweißen", "en": "Welding", "synonyms": ["Schweißer"]},
        {"_id": "forklift", "de": "Staplerschein", "en": "Forklift licence", "synonyms": []},
        {"_id": "cad", "de": "CAD", "en": "CAD design", "synonyms": []},
        {"_id": "nursing", "de": "Pflege", "en": "Nursing", "synonyms": ["Pflegefachkraft"]},
    ]
)
SKILL_IDS = sorted(TAXONOMY.skills)
SKILL_TEXTS = [*SKILL_IDS, "Schweißer", "PFLEGE", "Forklift licence"]
WORDS = ["schweißer", "schweiß", "lager", "angebot", "hamburg", "kurzarbeit"]
PLACES = [  # city centres far enough apart that no distance sits on a radius below
    (53.55, 9.99),  # Hamburg
    (53.08, 8.80),  # Bremen
    (52.37, 9.73),  # Hannover
    (51.90, 10.43),  # Goslar
    (48.14, 11.58),  # München
]
RADII = [5.0, 40.0, 150.0, 500.0]


def _day(offset: int) -> dt.datetime:
    return dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(days=offset)


def _subset(
    values: list[str], max_size: int = 3, min_size: int = 0
) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=max_size, unique=True)


@st.composite
def listings(draw: st.DrawFn) -> dict:
    start = draw(st.integers(0, 400))
    end = draw(st.one_of(st.none(), st.integers(start, start + 400)))
    place = draw(st.one_of(st.none(), st.sampled_from(PLACES)))
    doc = {
        "clusters": draw(_subset(CLUSTERS)),
        "organisation": draw(st.sampled_from(ORGANISATIONS)),
        "kind": draw(st.sampled_from(KINDS)),
        "status": draw(st.sampled_from(STATUSES)),
        "skill_set": draw(_subset(SKILL_IDS)),
        "terms": draw(_subset(WORDS)),
        "period": {"start": _day(start), "end": OPEN_END if end is None else _day(end)},
        "cell": None,
        "geo": None,
    }
    if place is not None:
        doc["cell"] = cell_of(*place)
        doc["geo"] = {"type": "Point", "coordinates": [place[1], place[0]]}
    return doc


def _some(draw: st.DrawFn, options: dict[str, st.SearchStrategy]) -> dict:
    """A few of the filter's fields set (an all-field filter would match nothing)."""
    chosen = draw(st.sets(st.sampled_from(sorted(options)), min_size=1, max_size=3))
    return {name: draw(options[name]) for name in chosen}


def _tuple(values: list[str], max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    return _subset(values, max_size, min_size=1).map(tuple)


@st.composite
def listing_filters(draw: st.DrawFn) -> Filter:
    given = _some(
        draw,
        {
            "cluster_ids": _tuple(CLUSTERS),
            "organisation_ids": _tuple(ORGANISATIONS),
            "kinds": _tuple(KINDS),
            "statuses": _tuple(STATUSES),
            "skills_any": _tuple(SKILL_TEXTS),
            "skills_all": _tuple(SKILL_TEXTS),
            "text": _subset([*WORDS, "Schweißer"], 2, min_size=1).map(" ".join),
            "available_from": st.integers(0, 800).map(_day),
            "available_to": st.integers(0, 800).map(_day),
        },
    )
    circle = draw(
        st.one_of(
            st.none(),
            st.none(),
            st.builds(
                lambda p, r: Circle(p[0], p[1], r), st.sampled_from(PLACES), st.sampled_from(RADII)
            ),
        )
    )
    visible = draw(st.one_of(st.none(), st.sets(st.sampled_from(CLUSTERS), max_size=3)))
    return ListingFilter(**given).compile(TAXONOMY, circle) & visible_listings(visible)


@st.composite
def matches(draw: st.DrawFn) -> dict:
    offer_clusters, need_clusters = draw(_subset(CLUSTERS)), draw(_subset(CLUSTERS))
    return {
        "parties": draw(_subset(ORGANISATIONS, 2)),
        "clusters": sorted(set(offer_clusters) | set(need_clusters)),
        "offer_clusters": offer_clusters,
        "need_clusters": need_clusters,
        "kind": draw(st.sampled_from(["STAFF", "PRODUCTION"])),
        "status": draw(st.sampled_from(["PROPOSED", "CONTACTED", "PLACED"])),
        "active": draw(st.booleans()),
        "score": draw(st.sampled_from([0.1, 0.5, 0.75, 0.9])),
    }


@st.composite
def match_filters(draw: st.DrawFn) -> Filter:
    given = _some(
        draw,
        {
            "cluster_ids": _tuple(CLUSTERS),
            "organisation_ids": _tuple(ORGANISATIONS),
            "kinds": _tuple(["STAFF", "PRODUCTION"], 1),
            "statuses": _tuple(["PROPOSED", "CONTACTED", "PLACED"]),
            "min_score": st.sampled_from([0.0, 0.5, 0.75, 1.0]),
            "include_retracted": st.booleans(),
        },
    )
    visible = draw(st.one_of(st.none(), st.sets(st.sampled_from(CLUSTERS), max_size=3)))
    return MatchFilter(**given).compile() & visible_matches(visible)


@st.composite
def clusters(draw: st.DrawFn) -> dict:
    return {
        "terms": draw(_subset(WORDS)),
        "kind": draw(st.sampled_from(["ALLIANCE", "TALENT_POOL"])),
        "federal_states": draw(_subset(["HH", "NI", "ST"])),
        "fields_of_action": draw(_subset(["OLDER_WORKERS", "JOB_TRANSFER", "STAFF_PARTNERSHIP"])),
        "region": draw(st.sampled_from(["Harz", "Nord"])),
        "binding_member_count": draw(st.integers(0, 5)),
    }


@st.composite
def cluster_filters(draw: st.DrawFn) -> Filter:
    given = _some(
        draw,
        {
            "search": _subset(WORDS, 2, min_size=1).map(" ".join),
            "kinds": _tuple(["ALLIANCE", "TALENT_POOL"], 1),
            "federal_states": _tuple(["HH", "NI", "ST"]),
            "fields_of_action": _tuple(["OLDER_WORKERS", "JOB_TRANSFER"]),
            "region": st.sampled_from(["Harz", "Nord"]),
            "qualifies_as_network": st.booleans(),
        },
    )
    return ClusterFilter(**given).compile()


@pytest.fixture(scope="module")
def collection(mongo_uri: str) -> Iterator[Collection]:
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000, tz_aware=True) as client:
        database = client[f"agree_{uuid.uuid4().hex[:12]}"]
        yield database["docs"]
        client.drop_database(database.name)


def _agree(collection: Collection, docs: list[dict], f: Filter) -> None:
    collection.delete_many({})
    if docs:
        collection.insert_many([{"_id": i, **d} for i, d in enumerate(docs)])
    stored = {d["_id"] for d in collection.find(f.query(), {"_id": 1})}
    in_memory = {i for i, d in enumerate(docs) if f.test(d)}
    assert stored == in_memory, f.query()


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


_ALPHA_AND_BETA = {
    "clusters": ["alpha", "beta"],
    "organisation": "org-1",
    "kind": "STAFF",
    "status": "OPEN",
    "skill_set": ["welding"],
    "terms": ["schweißer"],
    "period": {"start": _day(0), "end": OPEN_END},
    "cell": None,
    "geo": None,
}


@_SETTINGS
@given(docs=st.lists(listings(), max_size=12), f=listing_filters())
# an organisation in two clusters, filtered by one and visible through the other
@example(
    docs=[_ALPHA_AND_BETA],
    f=ListingFilter(cluster_ids=("alpha",)).compile(TAXONOMY) & visible_listings({"beta"}),
)
# whole words: "schweiß" is not "schweißer", in lists and live alike
@example(docs=[_ALPHA_AND_BETA], f=ListingFilter(text="schweiß").compile(TAXONOMY))
def test_listing_filters_agree_with_the_store(collection, docs, f):
    _agree(collection, docs, f)


@_SETTINGS
@given(docs=st.lists(matches(), max_size=12), f=match_filters())
def test_match_filters_agree_with_the_store(collection, docs, f):
    _agree(collection, docs, f)


@_SETTINGS
@given(docs=st.lists(clusters(), max_size=12), f=cluster_filters())
def test_cluster_filters_agree_with_the_store(collection, docs, f):
    _agree(collection, docs, f)
