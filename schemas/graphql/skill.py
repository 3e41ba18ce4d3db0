"""Skills of the taxonomy."""

from __future__ import annotations

from typing import Any, Self

import strawberry

from schemas.graphql.enums import SkillCategory


@strawberry.type
class Skill:
    id: strawberry.ID
    de: str = strawberry.field(description="German label.")
    en: str = strawberry.field(description="English label.")
    category: SkillCategory
    synonyms: list[str]
    related_ids: list[str]

    @strawberry.field
    async def related(self, info: strawberry.Info) -> list[Skill]:
        docs = await info.context.loaders.skills.load_many(self.related_ids)
        return [Skill.from_document(d) for d in docs if d]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        return cls(
            id=strawberry.ID(doc["_id"]),
            de=doc["de"],
            en=doc["en"],
            category=SkillCategory(doc["category"]),
            synonyms=doc.get("synonyms", []),
            related_ids=doc.get("related", []),
        )


async def load_skills(info: strawberry.Info, ids: list[str]) -> list[Skill]:
    docs = await info.context.loaders.skills.load_many(ids)
    return [Skill.from_document(d) for d in docs if d]
