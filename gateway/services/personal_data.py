"""Candidates' personal data: shown only to the entitled, every read recorded.

A TALENT referral's candidate (name, email, phone, headline) is shown to the referring
organisation and to organisations the candidate agreed to be contacted by. Each time it
is shown, the access log (`personal_data_access`) records who read it (key, role,
organisation, the key's creator), what (the referral, the fields) and when. The reads of
one request or live event are checked and written in one batch, and the entries are
written before any candidate is returned: a read that cannot be recorded fails instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from gateway.domain.access import may_see_candidate, require_role
from gateway.domain.paging import Page, PageRequest
from gateway.services.session import Session
from schemas.access import ReadGrounds, Role
from schemas.common import utcnow

Doc = dict[str, Any]

COLLECTION = "personal_data_access"

CandidateRead = tuple[Doc, tuple[str, ...]]
"""A referral (its offer document) and the candidate's fields a request selects."""


def read_key(read: CandidateRead) -> tuple[Any, ...]:
    """What makes two reads of one request the same read (a DataLoader's cache key): the
    referral as far as entitlement goes (a mutation may record consent in between)."""
    offer, fields = read
    return offer["_id"], offer["organisation"], tuple(offer.get("contact_consents", ())), fields


class CandidateReads:
    """The candidate reads of one request or one live event (a DataLoader's batches).

    Each referral read gets one entry: written with the first batch that reads it, and
    widened when a later batch of the same request reads more of its fields.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._logged: dict[str, Doc] = {}
        """This request's entries by referral."""
        self._writing = asyncio.Lock()

    async def load(self, reads: Sequence[CandidateRead]) -> list[Doc | None]:
        """Each read's candidate, None where the caller is not entitled to it; the
        entitled reads are logged first, in one write (and one more per wider set of
        fields when a later batch of the request reads more of a referral)."""
        shown = [may_see_candidate(self.session.principal, offer) for offer, _ in reads]
        fields: dict[str, set[str]] = {}
        offers: dict[str, Doc] = {}
        for (offer, selected), ok in zip(reads, shown, strict=True):
            if ok and selected:
                fields.setdefault(offer["_id"], set()).update(selected)
                offers[offer["_id"]] = offer
        await self._log(offers, fields)
        return [
            offer["candidate"] if ok else None for (offer, _), ok in zip(reads, shown, strict=True)
        ]

    async def _log(self, offers: dict[str, Doc], fields: dict[str, set[str]]) -> None:
        store = self.session.store
        async with self._writing:  # a batch sees what an earlier one wrote
            new = [self._entry(offers[o], f) for o, f in fields.items() if o not in self._logged]
            await store.insert_many(COLLECTION, new)
            self._logged.update((entry["offer"], entry) for entry in new)
            widened: dict[tuple[str, ...], list[Doc]] = defaultdict(list)
            for offer_id, names in fields.items():
                entry = self._logged[offer_id]
                if not names <= set(entry["fields"]):
                    widened[tuple(sorted(names.union(entry["fields"])))].append(entry)
            for wider, entries in widened.items():  # one write per new set of fields
                ids = [entry["_id"] for entry in entries]
                await store.update_many(
                    COLLECTION, {"_id": {"$in": ids}}, {"$set": {"fields": list(wider)}}
                )
                for entry in entries:
                    entry["fields"] = list(wider)

    def _entry(self, offer: Doc, fields: set[str]) -> Doc:
        principal = self.session.principal
        assert principal is not None  # may_see_candidate admits no anonymous caller
        at = utcnow()
        return {
            "_id": f"{at:%Y%m%d%H%M%S%f}-{secrets.token_hex(4)}",  # time order, unique
            "at": at,
            "key_id": principal.key_id,
            "role": str(principal.role),
            "organisation": principal.organisation,
            "offer": offer["_id"],
            "referring_organisation": offer["organisation"],
            "grounds": _grounds(principal.organisation, offer),
            "fields": sorted(fields),
            "live": self.session.live,
        }


def _grounds(organisation: str | None, offer: Doc) -> ReadGrounds:
    """Why the reader was entitled: it referred the candidate, or was consented to."""
    if organisation == offer["organisation"]:
        return ReadGrounds.REFERRER
    return ReadGrounds.CONTACT_CONSENT


async def access_log(
    session: Session,
    page: PageRequest,
    *,
    offer: str | None = None,
    key_id: str | None = None,
    organisation: str | None = None,
    since: dt.datetime | None = None,
) -> Page:
    """`personalDataAccess` (HUB_ADMIN): the log in time order, with each reading key's
    creator (`key_created_by`, None for keys made on the command line)."""
    require_role(session.principal, Role.HUB_ADMIN, action="reading the personal data log")
    query: Doc = {
        name: value
        for name, value in (("offer", offer), ("key_id", key_id), ("organisation", organisation))
        if value is not None
    }
    if since is not None:
        query["at"] = {"$gte": since}
    found = await session.store.page(COLLECTION, query, page)
    key_ids = list({entry["key_id"] for entry in found.documents})
    keys = {k["_id"]: k for k in await session.store.get_many("api_keys", key_ids) if k}
    for entry in found.documents:
        entry["key_created_by"] = keys.get(entry["key_id"], {}).get("created_by")
    return found
