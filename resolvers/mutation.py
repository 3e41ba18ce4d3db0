"""Mutation resolvers: thin translations into `gateway`, errors into `userErrors`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from pydantic import ValidationError

from gateway import auth, listings, matches, referrals
from gateway.access import Forbidden
from gateway.errors import InputError, NotFound, VersionConflict
from gateway.listings import Collection
from gateway.matches import MatchStatus
from gateway.seeding import Batch, Importer
from resolvers.context import Info
from resolvers.errors import error_code
from resolvers.inputs import as_record
from resolvers.permissions import CanImport, IsHubAdmin
from schemas.access import ApiKeySpec, Role
from schemas.common import Status, utcnow
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
from schemas.graphql.match import Match, MatchPayload
from schemas.graphql.organisation import Organisation

_FIELD_NAMES = {"organisation": "organisationId"}


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    camel = head + "".join(p.title() for p in rest)
    return ".".join(_FIELD_NAMES.get(p, p) for p in camel.split("."))


def _user_errors(error: Exception) -> list[UserError]:
    if isinstance(error, InputError):
        return [UserError(field=_camel(f), message=m, code=c) for f, m, c in error.problems]
    return [UserError(field="id", message=str(error), code=error_code(error) or "ERROR")]


Wrap = Callable[[dict[str, Any] | None, list[UserError]], Any]


async def _payload(work: Awaitable[dict[str, Any]], wrap: Wrap) -> Any:
    """Run a write; expected failures become `userErrors` next to a null object."""
    try:
        doc = await work
    except (InputError, Forbidden, NotFound, VersionConflict) as error:
        return wrap(None, _user_errors(error))
    return wrap(doc, [])


def _offer(doc: dict[str, Any] | None, errors: list[UserError]) -> OfferPayload:
    return OfferPayload(offer=Offer.from_document(doc) if doc else None, user_errors=errors)


def _need(doc: dict[str, Any] | None, errors: list[UserError]) -> NeedPayload:
    return NeedPayload(need=Need.from_document(doc) if doc else None, user_errors=errors)


def _match(doc: dict[str, Any] | None, errors: list[UserError]) -> MatchPayload:
    return MatchPayload(match=Match.from_document(doc) if doc else None, user_errors=errors)


async def _create(info: Info, collection: Collection, record: dict[str, Any], wrap: Wrap) -> Any:
    ctx = info.context
    taxonomy = await ctx.taxonomy.get()
    return await _payload(
        listings.create(ctx.store, ctx.viewer, collection, record, taxonomy), wrap
    )


async def _update(info: Info, collection: Collection, key: str, input: Any, wrap: Wrap) -> Any:
    ctx = info.context
    changes, version = _update_record(input)
    taxonomy = await ctx.taxonomy.get()
    work = listings.update(ctx.store, ctx.viewer, collection, key, changes, version, taxonomy)
    return await _payload(work, wrap)


async def _set_status(
    info: Info, collection: Collection, key: str, status: Status, wrap: Wrap
) -> Any:
    ctx = info.context
    taxonomy = await ctx.taxonomy.get()
    work = listings.set_status(ctx.store, ctx.viewer, collection, key, status, taxonomy)
    return await _payload(work, wrap)


def _create_record(input: Any) -> dict[str, Any]:
    record = as_record(input)
    record["organisation"] = str(record.pop("organisation_id"))
    return record


def _update_record(input: Any) -> tuple[dict[str, Any], int]:
    record = as_record(input)
    return record, record.pop("expected_version")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Offer staff, production capacity or a training course.")
    async def create_offer(self, info: Info, input: CreateOfferInput) -> OfferPayload:
        if input.kind == "TALENT":
            error = InputError(
                [("kind", "refer people with referCandidate", "USE_REFER_CANDIDATE")]
            )
            return _offer(None, _user_errors(error))
        return await _create(info, "offers", _create_record(input), _offer)

    @strawberry.mutation(description="Change an offer; pass the version you read.")
    async def update_offer(
        self, info: Info, id: strawberry.ID, input: UpdateOfferInput
    ) -> OfferPayload:
        return await _update(info, "offers", Offer.node_key(id), input, _offer)

    @strawberry.mutation(description="Take an offer back; its matches are retracted.")
    async def withdraw_offer(self, info: Info, id: strawberry.ID) -> OfferPayload:
        return await _set_status(info, "offers", Offer.node_key(id), Status.WITHDRAWN, _offer)

    @strawberry.mutation(description="Ask for staff or production capacity.")
    async def create_need(self, info: Info, input: CreateNeedInput) -> NeedPayload:
        return await _create(info, "needs", _create_record(input), _need)

    @strawberry.mutation(description="Change a need; pass the version you read.")
    async def update_need(
        self, info: Info, id: strawberry.ID, input: UpdateNeedInput
    ) -> NeedPayload:
        return await _update(info, "needs", Need.node_key(id), input, _need)

    @strawberry.mutation(description="Close a need: FILLED (default) or WITHDRAWN.")
    async def close_need(
        self, info: Info, id: strawberry.ID, status: Status = Status.FILLED
    ) -> NeedPayload:
        if status is Status.OPEN:
            error = InputError(
                [("status", "closing needs FILLED, WITHDRAWN or EXPIRED", "INVALID")]
            )
            return _need(None, _user_errors(error))
        return await _set_status(info, "needs", Need.node_key(id), status, _need)

    @strawberry.mutation(
        description="Recommend a person (e.g. a runner-up applicant) to the other members; "
        "records the candidate's consent to the referral."
    )
    async def refer_candidate(self, info: Info, input: ReferCandidateInput) -> OfferPayload:
        record = _create_record(input)
        note = record.pop("consent_note", "")
        record |= {"kind": "TALENT", "consent": {"given_at": utcnow(), "note": note}}
        return await _create(info, "offers", record, _offer)

    @strawberry.mutation(
        description="Move a match along: PROPOSED -> CONTACTED -> ACCEPTED or DECLINED; "
        "ACCEPTED -> PLACED. For the organisations of the match."
    )
    async def set_match_status(
        self, info: Info, id: strawberry.ID, status: MatchStatus
    ) -> MatchPayload:
        ctx = info.context
        work = matches.set_status(ctx.store, ctx.viewer, Match.node_key(id), status)
        return await _payload(work, _match)

    @strawberry.mutation(
        description="Record that a referred candidate agreed to be contacted by an "
        "organisation: it then sees the candidate's name and contact details."
    )
    async def record_contact_consent(
        self, info: Info, offer_id: strawberry.ID, organisation_id: strawberry.ID
    ) -> OfferPayload:
        ctx = info.context
        work = referrals.record_contact_consent(
            ctx.store, ctx.viewer, Offer.node_key(offer_id), Organisation.node_key(organisation_id)
        )
        return await _payload(work, _offer)

    @strawberry.mutation(
        description="Erase a referred candidate: the referral and every match made with it."
    )
    async def erase_referral(self, info: Info, offer_id: strawberry.ID) -> ErasurePayload:
        try:
            removed = await referrals.erase(
                info.context.store, info.context.viewer, Offer.node_key(offer_id)
            )
        except (InputError, Forbidden, NotFound) as error:
            return ErasurePayload(erased=False, matches_removed=0, user_errors=_user_errors(error))
        return ErasurePayload(erased=True, matches_removed=removed, user_errors=[])

    @strawberry.mutation(
        permission_classes=[IsHubAdmin],
        description="Create an API key; the key is shown in this answer only, then stored hashed.",
    )
    async def create_api_key(self, info: Info, input: ApiKeyInput) -> ApiKeyPayload:
        ctx = info.context
        try:
            spec = ApiKeySpec.model_validate(as_record(input))
            key, record = await auth.create_key(ctx.store, spec, by=ctx.viewer)
        except ValidationError as error:
            errors = _user_errors(InputError.from_validation(error))
            return ApiKeyPayload(key=None, key_id=None, user_errors=errors)
        except auth.UnknownScope as error:
            field, _, message = str(error).partition(": ")
            errors = [UserError(field=field, message=message, code="NOT_FOUND")]
            return ApiKeyPayload(key=None, key_id=None, user_errors=errors)
        return ApiKeyPayload(key=key, key_id=record["_id"], user_errors=[])

    @strawberry.mutation(permission_classes=[IsHubAdmin], description="Revoke an API key.")
    async def revoke_api_key(self, info: Info, key_id: str) -> bool:
        return await auth.revoke_key(info.context.store, key_id, by=info.context.viewer)

    @strawberry.mutation(
        permission_classes=[CanImport],
        description="Admin seeding: the same idempotent import as `clusterhub seed`.",
    )
    async def import_clusters(
        self, info: Info, input: list[types.ClusterImportInput], strict: bool = False
    ) -> types.ImportReport:
        viewer = info.context.viewer
        scope = viewer.cluster if viewer and viewer.role is Role.CLUSTER_ADMIN else None
        importer = Importer(info.context.store, by=viewer)
        report = await importer.run(_batch(input), strict=strict, scope=scope)
        info.context.taxonomy.invalidate()
        return types.ImportReport(
            ok=report.ok,
            written=report.written,
            collections=[
                types.CollectionSummary(collection=name, **vars(summary))
                for name, summary in report.summaries.items()
            ],
            rejections=[types.Rejection(**vars(r)) for r in report.rejections],
        )


def _batch(inputs: list[types.ClusterImportInput]) -> Batch:
    batch = Batch()
    for i, item in enumerate(inputs):
        batch.add_cluster_file(
            f"input[{i}]",
            {
                "cluster": item.cluster,
                "organisations": item.organisations,
                "offers": item.offers,
                "needs": item.needs,
            },
        )
    return batch
