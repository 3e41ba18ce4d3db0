"""The skills taxonomy that free-text skills and capabilities are normalised onto."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import Field

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


class Skill(Document):
    id: Slug
    de: Label
    en: Label
    category: SkillCategory
    synonyms: Annotated[list[Label], Field(max_length=MAX_LIST)] = []
    related: Annotated[list[Slug], Field(max_length=MAX_LIST)] = []
