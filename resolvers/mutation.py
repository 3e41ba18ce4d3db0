"""Mutation resolvers: translate the input, call one use case, wrap the result.

Expected failures of a write (`gateway.errors.ClientError`) become `userErrors`
next to a null object; anything else is the hub's fault and a top-level error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from gateway.errors import ClientError, NotPermitted
from gateway.services import audit, imports, keys, listings, matches, referrals
from resolvers.context import Info
from resolvers.errors import user_errors
from resolvers.inputs import as_record, listing_record
from resolvers.timeout import run_to_completion
from schemas.common import Status
from schemas.graphql import imports as types
from schemas.graphql.common import UserError
from schemas.graphql.keys import ApiKeyInput, ApiKeyPayload, ErasurePayload
from schemas.graphql.listing import (
    CreateNeedInput,
    CreateOfferInput,
    Need,
    NeedPayload,
    Offer,
    OfferPayload,
    ReferCandidateInput,
    UpdateNeedInput,
    UpdateOfferInput,
)
from schemas.graphql.match import Match, MatchPayload, MatchStatus
from schemas.graphql.organisation import Organisation

T = TypeVar("T")
P = TypeVar("P")


async def _payload(work: Awaitable[T], wrap: Callable[[T | None, list[UserError]], P]) -> P:
    """Run a use case to its end (`run_to_completion`); its client errors become
    `userErrors` next to a null result."""
    try:
        result = await run_to_completion(work)
    except NotPermitted:
        raise  # the operation itself, not its input: a top-level error
    except ClientError as error:
        return wrap(None, user_errors(error))
    return wrap(result, [])


async def _audited(info: Info, target: str, work: Awaitable[T]) -> T:
    """Run a use case; a write refused for permission (FORBIDDEN, or NOT_FOUND for what is
    absent or hidden) leaves an audit entry: who tried, which mutation on what, and why."""
    try:
        return await work
    except ClientError as error:
        await audit.refused(info.context.session, info.field_name, target, error)
        raise


def _offer(doc: dict[str, Any] | None, errors: list[UserError]) -> OfferPayload:
    return OfferPayload(offer=Offer.from_document(doc) if doc else None, user_errors=errors)


def _need(doc: dict[str, Any] | None, errors: list[UserError]) -> NeedPayload:
    return NeedPayload(need=Need.from_document(doc) if doc else None, user_errors=errors)


def _match(doc: dict[str, Any] | None, errors: list[UserError]) -> MatchPayload:
    return MatchPayload(match=Match.from_document(doc) if doc else None, user_errors=errors)


def _erasure(removed: int | None, errors: list[UserError]) -> ErasurePayload:
    return ErasurePayload(
        erased=removed is not None, matches_removed=removed or 0, user_errors=errors
    )


def _key(created: tuple[str, dict[str, Any]] | None, errors: list[UserError]) -> ApiKeyPayload:
    key, record = created or (None, None)
    return ApiKeyPayload(key=key, key_id=record["_id"] if record else None, user_errors=errors)


def _changes(input: Any) -> tuple[dict[str, Any], int]:
    record = as_record(input)
    return record, record.pop("expected_version")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Offer staff, production capacity or a training course.")
    async def create_offer(self, info: Info, input: CreateOfferInput) -> OfferPayload:
        record = listing_record(input)
        work = listings.create_offer(info.context.session, record)
        return await _payload(_audited(info, record["organisation"], work), _offer)

    @strawberry.mutation(description="Change an offer; pass the version you read.")
    async def update_offer(
        self, info: Info, id: strawberry.ID, input: UpdateOfferInput
    ) -> OfferPayload:
        changes, version = _changes(input)
        key = Offer.node_key(id)
        work = listings.update(info.context.session, "offers", key, changes, version)
        return await _payload(_audited(info, key, work), _offer)

    @strawberry.mutation(description="Take an offer back; its matches are retracted.")
    async def withdraw_offer(self, info: Info, id: strawberry.ID) -> OfferPayload:
        key = Offer.node_key(id)
        work = listings.withdraw_offer(info.context.session, key)
        return await _payload(_audited(info, key, work), _offer)

    @strawberry.mutation(description="Ask for staff or production capacity.")
    async def create_need(self, info: Info, input: CreateNeedInput) -> NeedPayload:
        record = listing_record(input)
        work = listings.create_need(info.context.session, record)
        return await _payload(_audited(info, record["organisation"], work), _need)

    @strawberry.mutation(description="Change a need; pass the version you read.")
    async def update_need(
        self, info: Info, id: strawberry.ID, input: UpdateNeedInput
    ) -> NeedPayload:
        changes, version = _changes(input)
        key = Need.node_key(id)
        work = listings.update(info.context.session, "needs", key, changes, version)
        return await _payload(_audited(info, key, work), _need)

    @strawberry.mutation(description="Close a need: FILLED (default) or WITHDRAWN.")
    async def close_need(
        self, info: Info, id: strawberry.ID, status: Status = Status.FILLED
    ) -> NeedPayload:
        key = Need.node_key(id)
        work = listings.close_need(info.context.session, key, status)
        return await _payload(_audited(info, key, work), _need)

    @strawberry.mutation(
        description="Recommend a person (e.g. a runner-up applicant) to the other members; "
        "records the candidate's consent to the referral."
    )
    async def refer_candidate(self, info: Info, input: ReferCandidateInput) -> OfferPayload:
        record = listing_record(input)
        note = record.pop("consent_note", None)
        work = referrals.refer(info.context.session, record, note)
        return await _payload(_audited(info, record["organisation"], work), _offer)

    @strawberry.mutation(
        description="Move a match along: PROPOSED -> CONTACTED -> ACCEPTED or DECLINED; "
        "ACCEPTED -> PLACED. For the organisations of the match."
    )
    async def set_match_status(
        self, info: Info, id: strawberry.ID, status: MatchStatus
    ) -> MatchPayload:
        key = Match.node_key(id)
        work = matches.set_status(info.context.session, key, status)
        return await _payload(_audited(info, key, work), _match)

    @strawberry.mutation(
        description="Record that a referred candidate agreed to be contacted by an "
        "organisation: it then sees the candidate's name and contact details."
    )
    async def record_contact_consent(
        self, info: Info, offer_id: strawberry.ID, organisation_id: strawberry.ID
    ) -> OfferPayload:
        key = Offer.node_key(offer_id)
        work = referrals.record_contact_consent(
            info.context.session, key, Organisation.node_key(organisation_id)
        )
        return await _payload(_audited(info, key, work), _offer)

    @strawberry.mutation(
        description="Erase a referred candidate: the referral and every match made with it."
    )
    async def erase_referral(self, info: Info, offer_id: strawberry.ID) -> ErasurePayload:
        key = Offer.node_key(offer_id)
        work = referrals.erase(info.context.session, key)
        return await _payload(_audited(info, key, work), _erasure)

    @strawberry.mutation(
        description="Create an API key (HUB_ADMIN); the key is shown in this answer only, "
        "then stored hashed."
    )
    async def create_api_key(self, info: Info, input: ApiKeyInput) -> ApiKeyPayload:
        record = as_record(input)
        target = record.get("organisation") or record.get("cluster") or "hub"
        work = keys.create(info.context.session, record)
        return await _payload(_audited(info, target, work), _key)

    @strawberry.mutation(description="Revoke an API key (HUB_ADMIN).")
    async def revoke_api_key(self, info: Info, key_id: str) -> bool:
        return await run_to_completion(
            _audited(info, key_id, keys.revoke(info.context.session, key_id))
        )

    @strawberry.mutation(
        description="Admin seeding (HUB_ADMIN, or CLUSTER_ADMIN for its cluster): the same "
        "idempotent import as `clusterhub seed`."
    )
    async def import_clusters(
        self, info: Info, input: list[types.ClusterImportInput], strict: bool = False
    ) -> types.ImportReport:
        batch = imports.Batch()
        for i, item in enumerate(input):
            batch.add_cluster_file(f"input[{i}]", as_record(item))
        work = imports.import_clusters(info.context.session, batch, strict=strict)
        report = await run_to_completion(_audited(info, "hub", work))
        return types.ImportReport(
            ok=report.ok,
            written=report.written,
            collections=[
                types.CollectionSummary(collection=name, **vars(summary))
                for name, summary in report.summaries.items()
            ],
            rejections=[types.Rejection(**vars(r)) for r in report.rejections],
        )
