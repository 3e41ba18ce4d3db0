"""The skills taxonomy that free-text skills and capabilities are normalised onto."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import AnyHttpUrl, Field, model_validator

from schemas.common import MAX_LIST, Document, Label, Slug


class SkillCategory(enum.StrEnum):
    TECHNICAL = "TECHNICAL"
    IT = "IT"
    CRAFT = "CRAFT"
    LOGISTICS = "LOGISTICS"
    HEALTH_CARE = "HEALTH_CARE"
    EDUCATION = "EDUCATION"
    ADMINISTRATION = "ADMINISTRATION"
    COMMERCIAL = "COMMERCIAL"
    GREEN = "GREEN"
    LANGUAGE = "LANGUAGE"
    SOFT = "SOFT"
    PRODUCTION = "PRODUCTION"
    """Production capabilities (machining, moulding, ...) used by PRODUCTION offers and needs."""
    CERTIFICATE = "CERTIFICATE"
    """Certificates of a company or site (ISO 9001, EN 1090 EXC3), named by PRODUCTION
    listings' `certifications`; their labels and synonyms are notations."""


class Skill(Document):
    id: Slug
    de: Label
    en: Label
    category: SkillCategory
    synonyms: Annotated[list[Label], Field(max_length=MAX_LIST)] = []
    related: Annotated[list[Slug], Field(max_length=MAX_LIST)] = []
    """Similar skills: partial credit, never for a `regulated` requirement."""
    implies: Annotated[list[Slug], Field(max_length=MAX_LIST)] = []
    """Skills whoever holds this one holds too (licence CE implies C); transitive."""
    family: Slug | None = None
    """A qualification family with ordered levels (`german`, `en-1090`)."""
    level: Annotated[int, Field(ge=1, le=20)] | None = None
    """The level within `family`: a higher level implies every lower one."""
    regulated: bool = False
    """A licence or legal certificate: only holding it, or a skill that implies it,
    satisfies a requirement; a training may lead to it, a related skill never does."""
    esco: AnyHttpUrl | None = None
    """The ESCO concept this skill stands for, where one exists."""

    @model_validator(mode="after")
    def _level_in_family(self) -> Skill:
        if (self.family is None) != (self.level is None):
            raise ValueError("family and level are given together")
        return self
