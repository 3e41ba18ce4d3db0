"""The personal data access log as HUB_ADMINs read it, and who made an API key."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

import strawberry

from schemas.access import ReadGrounds, Role

strawberry.enum(ReadGrounds)


@strawberry.type(description="The key that created an API key.")
class KeyCreator:
    key_id: str
    role: Role

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> Self | None:
        return cls(key_id=record["key_id"], role=Role(record["role"])) if record else None


@strawberry.type(description="One read of a referred candidate's personal data.")
class PersonalDataAccess:
    at: dt.datetime
    key_id: str = strawberry.field(description="The key that read it.")
    role: Role
    organisation_id: str | None = strawberry.field(description="The reading organisation.")
    offer_id: str = strawberry.field(description="The TALENT referral (its natural key).")
    referring_organisation_id: str
    grounds: ReadGrounds
    fields: list[str] = strawberry.field(description="The candidate's fields read.")
    live: bool = strawberry.field(description="Read by a subscription's event.")
    key_created_by: KeyCreator | None = strawberry.field(
        description="Who made the reading key; null: the command line."
    )

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Self:
        return cls(
            at=doc["at"],
            key_id=doc["key_id"],
            role=Role(doc["role"]),
            organisation_id=doc.get("organisation"),
            offer_id=doc["offer"],
            referring_organisation_id=doc["referring_organisation"],
            grounds=ReadGrounds(doc["grounds"]),
            fields=doc["fields"],
            live=doc["live"],
            key_created_by=KeyCreator.from_record(doc.get("key_created_by")),
        )


@strawberry.input(description="Every condition given must hold.")
class PersonalDataAccessFilter:
    offer_id: strawberry.ID | None = None
    key_id: str | None = None
    organisation_id: strawberry.ID | None = None
    since: dt.datetime | None = None
