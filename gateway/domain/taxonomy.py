"""The skills taxonomy in memory: free text onto skill ids, and skill neighbourhoods."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from gateway.errors import UnknownSkill


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


class Taxonomy:
    """Skill documents indexed by id and by every label and synonym (case-insensitive)."""

    def __init__(self, skills: Iterable[dict[str, Any]] = ()) -> None:
        self.skills: dict[str, dict[str, Any]] = {}
        self._by_text: dict[str, str] = {}
        self._covering: dict[str, frozenset[str]] = {}
        for skill in skills:
            self.add(skill)

    def add(self, skill: dict[str, Any]) -> None:
        skill_id = skill["_id"]
        self.skills[skill_id] = skill
        self._covering.clear()
        for text in (skill_id, skill["de"], skill["en"], *skill.get("synonyms", [])):
            self._by_text.setdefault(_key(text), skill_id)

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

    def covering(self, skill_id: str) -> frozenset[str]:
        """Skills that cover `skill_id` at least as related: itself and its neighbours,
        whichever side names the relation."""
        if not self._covering:
            for skill in self.skills:
                self._covering[skill] = frozenset({skill} | self.related(skill))
            for skill in self.skills:
                for other in self.related(skill):
                    self._covering[other] = self._covering.get(other, frozenset({other})) | {skill}
        return self._covering.get(skill_id) or frozenset({skill_id})

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
