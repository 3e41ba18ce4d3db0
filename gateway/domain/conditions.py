"""Conditions on documents that are both a MongoDB filter and an in-memory test.

Every filter of the hub is a conjunction of these, so a list query and a live
subscription with the same filter cannot disagree: `Filter.query()` is what the
store evaluates, `Filter.test(doc)` what a live event is checked against, and each
condition states both once, side by side, with MongoDB's semantics (a condition on
an array field holds when it holds for any element; a missing field holds nothing).

`Filter.query()` builds one flat document (`{"a": ..., "b": ...}`) rather than an
`$and` list wherever fields differ: both servers plan that shape from an index,
while SecantusDB answers a top-level `$and` alone with a collection scan. SecantusDB
also plans from the first indexed field it meets, so the most selective fields go
first (`SELECTIVE`); to mongod the order of fields means nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.domain.geo import EARTH_RADIUS_KM, Circle, haversine_km

SELECTIVE = ("_id", "offer", "need", "organisation", "parties", "skill_set", "terms", "cell")
"""Indexed fields that narrow most, in the order a query document should name them."""

Doc = dict[str, Any]


def field_values(doc: Doc, path: str) -> list[Any]:
    """The values at a dotted `path`, an array's elements each (MongoDB's view of a field)."""
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return []
        value = value[part]
    return list(value) if isinstance(value, list) else [value]


def _bracket(value: Any) -> str:
    """MongoDB's type bracket of a value: only values of one bracket compare."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date"
    return type(value).__name__


def _comparable(a: Any, b: Any) -> bool:
    return _bracket(a) == _bracket(b)


class Condition(Protocol):
    field: str

    def operator(self) -> Any:
        """The condition on `field` as a MongoDB operator document (or a plain value)."""
        ...

    def test(self, doc: Doc) -> bool: ...


@dataclass(frozen=True)
class Equals:
    """The field is `value`, or an array holding it."""

    field: str
    value: Any

    def operator(self) -> Any:
        return self.value

    def test(self, doc: Doc) -> bool:
        return any(
            v == self.value and _comparable(v, self.value) for v in field_values(doc, self.field)
        )


@dataclass(frozen=True)
class NotEqual:
    """No value of the field is `value` (a missing field qualifies)."""

    field: str
    value: Any

    def operator(self) -> Any:
        return {"$ne": self.value}

    def test(self, doc: Doc) -> bool:
        return not Equals(self.field, self.value).test(doc)


@dataclass(frozen=True)
class AnyOf:
    """Some value of the field is one of `values` (none given: nothing qualifies)."""

    field: str
    values: tuple[Any, ...]

    def operator(self) -> Any:
        return {"$in": list(self.values)}

    def test(self, doc: Doc) -> bool:
        return any(
            v == w and _comparable(v, w) for v in field_values(doc, self.field) for w in self.values
        )


@dataclass(frozen=True)
class AllOf:
    """Every one of `values` is a value of the field."""

    field: str
    values: tuple[Any, ...]

    def operator(self) -> Any:
        return self.values[0] if len(self.values) == 1 else {"$all": list(self.values)}

    def test(self, doc: Doc) -> bool:
        return all(Equals(self.field, v).test(doc) for v in self.values)


@dataclass(frozen=True)
class Compare:
    """Some value of the field compares to `value` by `op` ($gt, $gte, $lt or $lte)."""

    field: str
    op: str
    value: Any

    def operator(self) -> Any:
        return {self.op: self.value}

    def test(self, doc: Doc) -> bool:
        check = _COMPARISONS[self.op]
        return any(
            _comparable(v, self.value) and check(v, self.value)
            for v in field_values(doc, self.field)
        )


_COMPARISONS = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class WithinCircle:
    """A GeoJSON point field inside a circle on the sphere."""

    field: str
    circle: Circle

    def operator(self) -> Any:
        center = [self.circle.lon, self.circle.lat]
        return {"$geoWithin": {"$centerSphere": [center, self.circle.radius_km / EARTH_RADIUS_KM]}}

    def test(self, doc: Doc) -> bool:
        for point in field_values(doc, self.field):
            coordinates = point.get("coordinates") if isinstance(point, dict) else None
            if coordinates and len(coordinates) == 2:
                lon, lat = coordinates
                c = self.circle
                if haversine_km(lat, lon, c.lat, c.lon) <= c.radius_km:
                    return True
        return False


@dataclass(frozen=True)
class Filter:
    """A conjunction of conditions: one MongoDB query, one in-memory test."""

    conditions: tuple[Condition, ...] = ()

    def __and__(self, other: Filter) -> Filter:
        return Filter(self.conditions + other.conditions)

    def test(self, doc: Doc) -> bool:
        return all(c.test(doc) for c in self.conditions)

    def query(self) -> Doc:
        """All conditions as one filter document: flat where fields differ.

        Operators on one field merge while they do not clash; a second condition of
        the same kind on a field goes into `$and`, keeping the first one indexable.
        """
        out: Doc = {}
        rest: list[Doc] = []
        for condition in self.conditions:
            key, cond = condition.field, condition.operator()
            if key not in out:
                out[key] = cond
            elif _ops(out[key]) and _ops(cond) and not _ops(out[key]) & _ops(cond):
                out[key] = {**out[key], **cond}
            else:
                rest.append({key: cond})
        if rest:
            out["$and"] = rest
        rank = {field: i for i, field in enumerate(SELECTIVE)}
        return dict(sorted(out.items(), key=lambda item: rank.get(item[0], len(rank))))


def all_of(*conditions: Condition | None) -> Filter:
    """A filter of the conditions given (None stands for "no condition")."""
    return Filter(tuple(c for c in conditions if c is not None))


def any_of(field: str, values: Iterable[Any]) -> AnyOf | None:
    """`AnyOf` when values were given; None ("no condition") for an empty choice."""
    values = tuple(values)
    return AnyOf(field, values) if values else None


def _ops(cond: Any) -> set[str]:
    """The operators of a condition document; empty for a plain value."""
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        return set(cond)
    return set()
