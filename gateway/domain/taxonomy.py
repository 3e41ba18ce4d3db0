"""The skills taxonomy in memory: free text onto skill ids, and what a holding satisfies.

Three relations between skills, from strongest to weakest:

- **implies**: holding one means holding the other (licence class CE implies C; a
  higher level of a family, CEFR C1, implies every lower one, B2, B1, ...). Transitive.
- **related**: similar work, partial credit, named by either side; the levels of one
  family are related to each other (B1 held for B2 required).
- nothing.

A `regulated` skill (a licence or legal certificate) is satisfied only by holding it
or something that implies it; a related skill never stands in for it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from gateway.errors import UnknownSkill

_BODIES = re.compile(r"^(?:(?:din|en|iso|iec|öve|bs|nf)\b[\s/-]*)+")
_EDITION = re.compile(
    r"(?:[:/(\s-]\s*(?:19|20)\d{2}\b\)?"  # ":2015", "-2018", "(2015)", " 2015"
    r"|\b(?:ed(?:ition)?|ausgabe|version|rev)\.?\s*\d+(?:\.\d+)?)"  # "Ed. 3", "Ausgabe 2"
)
HOLDINGS_CACHED = 100_000
"""Skill sets whose holdings are remembered (about 200 bytes each)."""
_PUNCTUATION = re.compile(r"[^0-9a-zäöüß]+")


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


@lru_cache(maxsize=4096)
def notation_key(text: str) -> str:
    """A certificate notation without issuing bodies, year, edition and punctuation:
    "DIN EN ISO 9001:2015", "ISO 9001" and "iso-9001 (2008)" all give "9001"."""
    key = _EDITION.sub(" ", _key(text))
    key = _BODIES.sub("", key.strip())
    return _PUNCTUATION.sub("", key) or _PUNCTUATION.sub("", _key(text))


class Taxonomy:
    """Skill documents indexed by id and by every label and synonym (case-insensitive)."""

    def __init__(self, skills: Iterable[dict[str, Any]] = ()) -> None:
        self.skills: dict[str, dict[str, Any]] = {}
        self._by_text: dict[str, str] = {}
        self._by_notation: dict[str, str] = {}
        self._derived: dict[str, dict[Any, frozenset[str]]] = {}
        for skill in skills:
            self.add(skill)

    def add(self, skill: dict[str, Any]) -> None:
        skill_id = skill["_id"]
        self.skills[skill_id] = skill
        self._derived.clear()
        texts = (skill_id, skill["de"], skill["en"], *skill.get("synonyms", []))
        for text in texts:
            self._by_text.setdefault(_key(text), skill_id)
        if skill.get("category") == "CERTIFICATE":
            for text in texts:
                self._by_notation.setdefault(notation_key(text), skill_id)

    def __contains__(self, skill_id: str) -> bool:
        return skill_id in self.skills

    def __len__(self) -> int:
        return len(self.skills)

    def normalise(self, text: str) -> str:
        """The id of the skill `text` names; raises `UnknownSkill` with suggestions."""
        found = self._by_text.get(_key(text))
        if found is None:
            close = difflib.get_close_matches(_key(text), self._by_text, n=3, cutoff=0.75)
            raise UnknownSkill(text, sorted({self._by_text[c] for c in close}))
        return found

    def normalise_all(self, texts: Iterable[str]) -> list[str]:
        """Ids of `texts`, in order, without repeats."""
        return list(dict.fromkeys(self.normalise(t) for t in texts))

    def normalise_field(self, texts: Iterable[str], field: str) -> list[str]:
        """`normalise_all`, with an unknown skill reported at `field`."""
        try:
            return self.normalise_all(texts)
        except UnknownSkill as error:
            raise error.at(field) from None

    def related(self, skill_id: str) -> set[str]:
        skill = self.skills.get(skill_id)
        return set(skill.get("related", [])) if skill else set()

    def regulated(self, skill_id: str) -> bool:
        return bool(self.skills.get(skill_id, {}).get("regulated"))

    def level(self, skill_id: str) -> tuple[str, int] | None:
        """(family, level) of a skill with levels."""
        skill = self.skills.get(skill_id) or {}
        return (skill["family"], skill["level"]) if skill.get("family") else None

    def implied(self, skill_id: str) -> frozenset[str]:
        """What holding `skill_id` means holding: itself, what it implies, transitively."""
        return self._relation("implied").get(skill_id) or frozenset({skill_id})

    def satisfiers(self, skill_id: str) -> frozenset[str]:
        """Skills whose holders hold `skill_id`: itself and every skill implying it."""
        return self._relation("satisfiers").get(skill_id) or frozenset({skill_id})

    def neighbours(self, skill_id: str) -> frozenset[str]:
        """Related skills, whichever side names the relation."""
        return self._relation("neighbours").get(skill_id, frozenset())

    def holdings(self, skills: Iterable[str]) -> frozenset[str]:
        """Everything holders of `skills` hold: the skills and all they imply."""
        skills = frozenset(skills)
        cache = self._relation("holdings")
        found = cache.get(skills)
        if found is None:
            if len(cache) >= HOLDINGS_CACHED:  # listings repeat few skill sets; bound it anyway
                cache.clear()
            found = cache[skills] = frozenset().union(*(self.implied(s) for s in skills))
        return found

    def covering(self, skill_id: str) -> frozenset[str]:
        """Skills a holder of which covers `skill_id` at least as related: its
        satisfiers and, unless it is regulated, the satisfiers of its neighbours."""
        cache = self._relation("covering")
        if skill_id not in cache:
            found = set(self.satisfiers(skill_id))
            if not self.regulated(skill_id):
                for neighbour in self.neighbours(skill_id):
                    found |= self.satisfiers(neighbour)
            cache[skill_id] = frozenset(found)
        return cache[skill_id]

    def covered_by(self, skills: Iterable[str]) -> frozenset[str]:
        """Skills that holders of `skills` cover at least as related (the inverse of
        `covering`): their holdings and the unregulated neighbours of those."""
        held = self.holdings(skills)
        near = {n for h in held for n in self.neighbours(h) if not self.regulated(n)}
        return held | near

    def certificate(self, text: str) -> str:
        """The certificate a notation names: a CERTIFICATE skill id when the taxonomy
        knows it, else the notation's key (so two spellings of one standard agree)."""
        key = notation_key(text)
        return self._by_notation.get(key, key)

    def _relation(self, name: str) -> dict[Any, frozenset[str]]:
        if not self._derived:
            self._derived = self._derive()
        return self._derived[name]

    def _derive(self) -> dict[str, dict[Any, frozenset[str]]]:
        """The closures of `implies` (plus lower levels of a family) and of `related`."""
        direct: dict[str, set[str]] = {s: set(d.get("implies", [])) for s, d in self.skills.items()}
        families: dict[str, list[tuple[int, str]]] = {}
        for skill_id in self.skills:
            if (found := self.level(skill_id)) is not None:
                families.setdefault(found[0], []).append((found[1], skill_id))
        for members in families.values():
            for level, skill_id in members:
                direct[skill_id] |= {other for lower, other in members if lower < level}
        implied: dict[str, frozenset[str]] = {}
        for skill_id in self.skills:
            seen, todo = {skill_id}, [skill_id]
            while todo:
                for nxt in direct.get(todo.pop(), ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            implied[skill_id] = frozenset(seen)
        satisfiers: dict[str, set[str]] = {}
        for skill_id, held in implied.items():
            for one in held:
                satisfiers.setdefault(one, set()).add(skill_id)
        neighbours: dict[str, set[str]] = {}
        for skill_id in self.skills:
            for other in self.related(skill_id):
                neighbours.setdefault(skill_id, set()).add(other)
                neighbours.setdefault(other, set()).add(skill_id)
        for members in families.values():  # a lower level is related to a higher one
            for _, skill_id in members:
                neighbours.setdefault(skill_id, set()).update(other for _, other in members)
        return {
            "implied": implied,
            "satisfiers": {k: frozenset(v) for k, v in satisfiers.items()},
            "neighbours": {k: frozenset(v - {k}) for k, v in neighbours.items()},
            "covering": {},  # filled as asked
            "holdings": {},  # filled as asked, keyed by skill sets
        }

    def search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        """Skills whose id, labels or synonyms contain `text`, best (prefix) hits first."""
        needle = _key(text)
        hits: dict[str, int] = {}
        for key, skill_id in self._by_text.items():
            if needle in key:
                rank = 0 if key.startswith(needle) else 1
                hits[skill_id] = min(rank, hits.get(skill_id, rank))
        ordered = sorted(hits, key=lambda s: (hits[s], self.skills[s]["en"].casefold()))
        return [self.skills[s] for s in ordered[:limit]]
