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
    implies_ids: list[str] = strawberry.field(description="Ids of the skills it implies.")
    family: str | None = strawberry.field(description="A family of ordered levels (CEFR).")
    level: int | None = strawberry.field(description="Higher levels imply lower ones.")
    regulated: bool = strawberry.field(
        description="A licence or legal certificate: only holding it (or what implies it) "
        "counts, never a related skill."
    )
    esco: str | None = strawberry.field(description="The ESCO concept URI, where one exists.")

    @strawberry.field
    async def related(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.related_ids)

    @strawberry.field(description="Skills whoever holds this one holds too.")
    async def implies(self, info: strawberry.Info) -> list[Skill]:
        return await load_skills(info, self.implies_ids)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        return cls(
            id=strawberry.ID(doc["_id"]),
            de=doc["de"],
            en=doc["en"],
            category=SkillCategory(doc["category"]),
            synonyms=doc.get("synonyms", []),
            related_ids=doc.get("related", []),
            implies_ids=doc.get("implies", []),
            family=doc.get("family"),
            level=doc.get("level"),
            regulated=doc.get("regulated", False),
            esco=doc.get("esco"),
        )


async def load_skills(info: strawberry.Info, ids: list[str]) -> list[Skill]:
    docs = await info.context.loaders.skills.load_many(ids)
    return [Skill.from_document(d) for d in docs if d]
