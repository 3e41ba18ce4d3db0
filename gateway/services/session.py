"""The hub's shared parts, and one caller's session with them.

`Hub` is what a process has once (the store, the live event stream, the taxonomy);
`Session` is one caller on it, for one request or one live subscription. Use cases
take a session, so the caller's identity and visible clusters travel with the call
and are computed once per request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gateway.domain.access import Principal, Visible, sees_everything
from gateway.domain.lifetime import Lifetime
from gateway.domain.taxonomy import Taxonomy
from gateway.live.catalogue import Catalogue
from gateway.live.cohorts import Cohorts
from gateway.live.events import EventStream
from gateway.live.recent import RecentDocuments
from gateway.services.keyring import KeyRing
from gateway.services.matching_queue import MatchingQueue
from gateway.services.sharing import load_sharing
from gateway.services.taxonomy import TaxonomyCache
from gateway.store.database import Store
from schemas.common import utcnow


@dataclass
class Hub:
    """What one hub process holds: its store, live events, listing catalogue, taxonomy and
    matching worker."""

    store: Store
    events: EventStream
    catalogue: Catalogue
    """The open listings in memory, for candidate search (`gateway.live.catalogue`)."""
    subscriber_queue: int = 256
    """Events one subscriber may fall behind before it is cut off."""
    taxonomy: TaxonomyCache = field(init=False)
    keys: KeyRing = field(init=False)
    """API keys checked lately, and the sockets open on them (`gateway.services.keyring`)."""
    matching: MatchingQueue = field(init=False)
    cohorts: Cohorts = field(init=False)
    """Live subscriptions that share one computation (see `gateway.live.cohorts`)."""
    recent: RecentDocuments = field(default_factory=RecentDocuments)
    """Documents recently loaded for live events, shared by all subscribers."""

    def __post_init__(self) -> None:
        self.taxonomy = TaxonomyCache(self.store)
        self.keys = KeyRing(self.store, self.events)
        self.matching = MatchingQueue(self.store, self.catalogue)
        self.cohorts = Cohorts(self.subscriber_queue)

    def session(self, principal: Principal | None) -> Session:
        return Session(self, principal)


class Session:
    """One caller on the hub; what it may see is computed once and then remembered."""

    def __init__(self, hub: Hub, principal: Principal | None, *, live: bool = False) -> None:
        self.hub = hub
        self.store = hub.store
        self.principal = principal
        self.live = live
        """A live event: loads may share documents with other subscribers."""
        self._visible: asyncio.Future[Visible] | None = None

    async def visible(self) -> Visible:
        """Clusters whose listings the caller may see (None: all); anonymous callers none."""
        if self._visible is None:
            self._visible = asyncio.ensure_future(self._load_visible())
        return await self._visible

    async def _load_visible(self) -> Visible:
        if sees_everything(self.principal):
            return None
        assert self.principal is not None
        return (await load_sharing(self.store)).visible_from(self.principal.clusters)

    def lifetime(self) -> Lifetime:
        """The rules of time as of now: which listings have run out."""
        return Lifetime(utcnow(), self.store.referral_ttl)

    async def taxonomy(self) -> Taxonomy:
        return await self.hub.taxonomy.get()

    def for_live(self) -> Session:
        """The same caller and visibility, loading documents shared with other subscribers."""
        live = Session(self.hub, self.principal, live=True)
        live._visible = self._visible
        return live
