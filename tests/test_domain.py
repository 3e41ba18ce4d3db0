"""The pure rules on their own: the score as README documents it, cursors, geo cells, filters."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.conditions import AllOf, AnyOf, Compare, Equals, Filter, NotEqual
from gateway.domain.cursors import decode_cursor, decode_sequence, encode_cursor
from gateway.domain.geo import cell_of, cells_within, haversine_km
from gateway.domain.lifetime import Lifetime
from gateway.domain.paging import MAX_PAGE, PageRequest
from gateway.domain.scoring import fit as score
from gateway.domain.taxonomy import Taxonomy
from gateway.errors import InputError

TAXONOMY = Taxonomy(
    [
        {"_id": s, "de": s, "en": s, "related": related}
        for s, related in (("a", []), ("b", ["b2"]), ("b2", ["b"]), ("c", []), ("d", []))
    ]
)
HAMBURG = {"city": "Hamburg", "state": "HH", "lat": 53.55, "lon": 9.99}
NOW = Lifetime(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


def fit(offer: dict, need: dict, taxonomy: Taxonomy, trainings: list[dict] = ()):
    return score(offer, need, taxonomy, trainings, lifetime=NOW)


def _day(n: int) -> dt.datetime:
    return dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)


def _need(**changes) -> dict:
    need = {
        "_id": "n",
        "organisation": "needer",
        "kind": "STAFF",
        "required_skills": ["a", "b"],
        "optional_skills": ["c"],
        "headcount": 4,
        "period": {"start": _day(0), "end": _day(9)},
        "location": HAMBURG,
        "radius_km": 50,
    }
    return need | changes


def _offer(**changes) -> dict:
    offer = {
        "_id": "o",
        "organisation": "offerer",
        "kind": "STAFF",
        "skills": ["a", "b2"],
        "headcount": 2,
        "period": {"start": _day(5), "end": _day(30)},
        "location": HAMBURG,
    }
    return offer | changes


def test_the_score_follows_the_documented_formula():
    found = fit(_offer(), _need(), TAXONOMY)
    assert found is not None
    skills = (2 * 1 + 2 * 0.6 + 0) / 5  # a exact, b related, optional c missing
    quantity = 2 / 4
    period = 5 / 10
    distance = 1.0  # the same place
    employment = 1.0  # staff on loan for a temporary need
    assert found.score == pytest.approx(
        0.50 * skills + 0.15 * quantity + 0.15 * period + 0.10 * distance + 0.10 * employment,
        abs=1e-4,
    )
    explained = found.explanation()
    assert (
        explained["matched_skills"],
        explained["related_skills"],
        explained["missing_skills"],
    ) == (["a"], ["b"], ["c"])
    # from the offer's side: both of its people are used, for 5 of its 26 days
    assert found.offer_score == pytest.approx(
        0.50 * skills + 0.15 * 1.0 + 0.15 * 5 / 26 + 0.10 * distance + 0.10 * employment,
        abs=1e-4,
    )


def test_distance_counts_half_when_unknown_and_falls_to_zero_at_the_radius():
    unknown = fit(_offer(location={"city": "X", "state": "HH"}), _need(), TAXONOMY)
    here = fit(_offer(), _need(), TAXONOMY)
    assert here.score - unknown.score == pytest.approx(0.10 * 0.5, abs=1e-4)
    far = {**HAMBURG, "lat": 53.55 + 49 / 111.2}  # about 49 km north, inside 50 km
    edge = fit(_offer(location=far), _need(), TAXONOMY)
    assert here.score - edge.score == pytest.approx(0.10 * 0.98, abs=2e-3)
    beyond = {**HAMBURG, "lat": 53.55 + 51 / 111.2}
    assert fit(_offer(location=beyond), _need(), TAXONOMY) is None


def test_a_missing_required_skill_needs_a_training_that_teaches_it():
    offer = _offer(skills=["a"])
    assert fit(offer, _need(), TAXONOMY) is None
    course = {"_id": "course", "skills": ["b"], "period": {"start": _day(-20), "end": _day(-5)}}
    found = fit(offer, _need(), TAXONOMY, [course])
    assert found.suggested_trainings == ["course"]
    skills = (2 * 1 + 2 * 0.4 + 0) / 5
    assert found.score == pytest.approx(
        0.50 * skills + 0.15 * 0.5 + 0.15 * 0.5 + 0.1 + 0.1, abs=1e-4
    )


@pytest.mark.parametrize(
    "change",
    [
        {"organisation": "needer"},  # the same organisation
        {"period": {"start": _day(20), "end": _day(30)}},  # no overlap
    ],
)
def test_hard_rules_refuse_a_pair(change):
    assert fit(_offer(**change), _need(), TAXONOMY) is None


@pytest.mark.parametrize("key", [0, 1, 658, "hamburg-aviation", "a:b"])
def test_cursors_round_trip(key):
    assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize("cursor", ["bm9wZQ==", "***", "", encode_cursor("x")[:-2] + "!!"])
def test_a_cursor_the_api_did_not_issue_is_refused(cursor):
    with pytest.raises(InputError) as refused:
        decode_cursor(cursor)
    assert refused.value.problems[0].code == "INVALID_CURSOR"


def test_a_listing_cursor_is_no_match_cursor():
    with pytest.raises(InputError):
        decode_sequence(encode_cursor("offer-1"))
    assert decode_sequence(encode_cursor(7)) == 7


@pytest.mark.parametrize("first", [-1, MAX_PAGE + 1])
def test_page_sizes_outside_the_range_are_refused(first):
    with pytest.raises(InputError) as refused:
        PageRequest(first)
    assert refused.value.problems[0].code == "OUT_OF_RANGE"


@given(
    lat=st.floats(47.0, 55.0),
    lon=st.floats(6.0, 15.0),
    radius=st.floats(1.0, 300.0),
    bearing=st.floats(0, 1),
    share=st.floats(0, 0.999),
)
def test_every_point_within_the_radius_lies_in_one_of_the_cells(lat, lon, radius, bearing, share):
    # a point at `share` of the radius, in the bounding box's direction `bearing`
    dlat = (radius * share / 111.32) * (2 * bearing - 1)
    point = (lat + dlat, lon)
    if haversine_km(lat, lon, *point) <= radius:
        assert cell_of(*point) in cells_within(lat, lon, radius)


def test_conditions_follow_mongodb_on_arrays_and_missing_fields():
    doc = {"tags": ["x", "y"], "n": 3, "at": {"when": _day(1)}}
    assert AnyOf("tags", ("y", "z")).test(doc)
    assert not AnyOf("tags", ()).test(doc)  # an empty choice matches nothing
    assert AllOf("tags", ("x", "y")).test(doc) and not AllOf("tags", ("x", "z")).test(doc)
    assert Equals("tags", "x").test(doc) and not Equals("missing", "x").test(doc)
    assert NotEqual("missing", "x").test(doc) and not NotEqual("tags", "x").test(doc)
    assert Compare("at.when", "$gte", _day(0)).test(doc)
    assert not Compare("n", "$gte", "3").test(doc)  # no comparison across types
    assert Filter((AnyOf("tags", ("x",)), AnyOf("tags", ("y",)))).query() == {
        "tags": {"$in": ["x"]},
        "$and": [{"tags": {"$in": ["y"]}}],
    }
