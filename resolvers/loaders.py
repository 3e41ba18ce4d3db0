"""DataLoaders: one per relation, created per request so caches never leak between callers.

Each batches its keys into one use-case call of `gateway.services.loading`, which
applies the caller's visibility, so every path to a document obeys the sharing policy.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.services import loading, personal_data
from gateway.services.session import Session

Doc = dict[str, Any]


class Loaders:
    def __init__(self, session: Session) -> None:
        self.clusters = self._by_id(session, "clusters")
        self.organisations = self._by_id(session, "organisations")
        self.offers = self._by_id(session, "offers")
        self.needs = self._by_id(session, "needs")
        self.matches = self._by_id(session, "matches")
        self.skills = DataLoader(load_fn=partial(loading.skills, session))
        self.placements = DataLoader(load_fn=partial(loading.placements, session))
        self.offers_of_organisation = self._grouped(session, "offers", "organisation")
        self.needs_of_organisation = self._grouped(session, "needs", "organisation")
        self.members_of_cluster = self._grouped(session, "organisations", "clusters")
        self.candidates = DataLoader(
            load_fn=personal_data.CandidateReads(session).load,
            cache_key_fn=personal_data.read_key,
        )

    @staticmethod
    def _by_id(session: Session, collection: str) -> DataLoader[str, Doc | None]:
        return DataLoader(load_fn=partial(loading.by_ids, session, collection))

    @staticmethod
    def _grouped(session: Session, collection: str, key: str) -> DataLoader[str, list[Doc]]:
        return DataLoader(load_fn=partial(loading.grouped, session, collection, key))
