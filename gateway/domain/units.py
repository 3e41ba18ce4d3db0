"""Production amounts with units and time bases, converted before they are compared.

A PRODUCTION listing's `unit` is free text such as "Stück/Woche", "t per month",
"Maschinenstunden/Monat" or "Palettenstellplätze". It is read as a quantity unit
(with its dimension and a factor onto the dimension's base unit) and an optional time
base (a rate per day, week, month or year). Generic counts ("Stück", "Teile", "units")
compare with any counted thing; named things ("Kartons", "Testkits") only with the
same thing or a generic count. Calendar conversion: a week is 7 days, a month 30.44,
a year 365.25.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_QUANTITIES: dict[str, tuple[str, float]] = {
    # mass, base kg
    **dict.fromkeys(("g", "gramm", "gram", "grams"), ("mass", 0.001)),
    **dict.fromkeys(("kg", "kilogramm", "kilogram", "kilograms", "kilo"), ("mass", 1.0)),
    **dict.fromkeys(("t", "tonne", "tonnen", "tons", "tonnes", "ton"), ("mass", 1000.0)),
    # volume, base litre
    **dict.fromkeys(("ml", "milliliter", "millilitre"), ("volume", 0.001)),
    **dict.fromkeys(("l", "liter", "litre", "liters", "litres"), ("volume", 1.0)),
    **dict.fromkeys(("hl", "hektoliter", "hectolitre"), ("volume", 100.0)),
    **dict.fromkeys(("m3", "m³", "kubikmeter", "cubic metres"), ("volume", 1000.0)),
    # length and area, base metre and square metre
    **dict.fromkeys(("m", "meter", "metre", "meters", "metres", "laufmeter"), ("length", 1.0)),
    **dict.fromkeys(("km", "kilometer", "kilometre"), ("length", 1000.0)),
    **dict.fromkeys(("m2", "m²", "qm", "quadratmeter", "square metres"), ("area", 1.0)),
    # time on machines or people, base hour
    **dict.fromkeys(
        ("h", "std", "stunden", "hours", "maschinenstunden", "machine hours", "arbeitsstunden"),
        ("hours", 1.0),
    ),
    **dict.fromkeys(("schichten", "schicht", "shifts", "shift"), ("shifts", 1.0)),
    # generic counts
    **dict.fromkeys(
        (
            "stück", "stk", "st", "pcs", "pieces", "piece", "teile", "teil", "bauteile",
            "einheiten", "einheit", "units", "unit", "parts", "items",
        ),
        ("count", 1.0),
    ),
}  # fmt: skip

_TIME_BASES: dict[str, float] = {
    **dict.fromkeys(("tag", "tage", "day", "days", "d", "täglich", "daily"), 1.0),
    **dict.fromkeys(("woche", "wochen", "week", "weeks", "wk", "w", "wöchentlich", "weekly"), 7.0),
    **dict.fromkeys(("monat", "monate", "month", "months", "mon", "monatlich", "monthly"), 30.44),
    **dict.fromkeys(("jahr", "jahre", "year", "years", "a", "jährlich", "yearly"), 365.25),
}

_RATE = re.compile(r"\s*(?:/|\bpro\b|\bper\b|\bje\b|\bim\b|\ba\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """A quantity unit: `dimension` (mass, count, count:kartons, ...), `factor` onto the
    dimension's base unit, and `per_days` when it is a rate (7: per week)."""

    dimension: str
    factor: float
    per_days: float | None


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> Unit:
    """The unit `text` names; an unknown word becomes a counted thing of its own."""
    words = " ".join(text.casefold().replace("-", " ").split())
    per_days = None
    parts = _RATE.split(words, maxsplit=1)
    if len(parts) == 2 and parts[1].strip(". ") in _TIME_BASES:
        words, per_days = parts[0], _TIME_BASES[parts[1].strip(". ")]
    else:
        for adverb, days in _TIME_BASES.items():  # "Stück wöchentlich"
            if len(adverb) > 3 and words.endswith(" " + adverb):
                words, per_days = words.removesuffix(" " + adverb), days
                break
    words = words.strip(". ")
    dimension, factor = _QUANTITIES.get(words, (f"count:{words}", 1.0))
    return Unit(dimension, factor, per_days)


def _comparable(a: Unit, b: Unit) -> bool:
    if a.dimension == b.dimension:
        return True
    counts = {a.dimension, b.dimension}
    return "count" in counts and all(d.startswith("count") for d in counts)


def convert(amount: float, source: str, target: str, days: int) -> float | None:
    """`amount` of unit `source` in unit `target`, None when they measure different things.

    A rate and a total meet over `days` (the days both listings share): 10 t/week over
    28 days are 40 t.
    """
    a, b = parse_unit(source), parse_unit(target)
    if not _comparable(a, b):
        return None
    value = amount * a.factor / b.factor
    if a.per_days is not None and b.per_days is not None:
        return value * b.per_days / a.per_days
    if a.per_days is not None:  # a rate against a total: what the rate delivers in `days`
        return value * days / a.per_days
    if b.per_days is not None:  # a total against a rate: spread over `days`
        return value * b.per_days / max(days, 1)
    return value
