"""Who is behind an API key: looked up once, remembered, and cut off when revoked.

Every keyed request used to read its key from the store (keyed `{ __typename }` ran at
282 requests/s against 653 anonymous). A process now remembers the keys it checked for
`CACHE_SECONDS`; revocation does not wait for that: the change stream reports a revoked
key to every hub process within milliseconds, which forgets it and closes the sockets
opened with it. An expired key is refused from its expiry on, and its sockets close then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from gateway.domain.access import Principal
from gateway.errors import Unauthenticated
from gateway.live.connections import Connections
from gateway.live.events import Event, EventStream
from gateway.store.database import Store
from schemas.access import Role

KEYS = "api_keys"
CACHE_SECONDS = 60.0
"""How long a checked key is trusted without the store: bounds how late a change of an
organisation's clusters reaches its MEMBER keys (revocation and expiry never wait)."""
MAX_REMEMBERED = 100_000
REVOKED = "the API key was revoked"


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to make a leak useless."""
    return hashlib.sha256(key.encode()).hexdigest()


def _expired(principal: Principal) -> bool:
    return principal.expires_at is not None and principal.expires_at <= dt.datetime.now(dt.UTC)


async def lookup(store: Store, key: str) -> Principal:
    """The caller behind `key`, from the store; `Unauthenticated` for an unknown, revoked
    or expired key."""
    record = await store.find_one(KEYS, {"hash": hash_key(key), "revoked_at": None})
    if record is None:
        raise Unauthenticated("the API key is unknown or revoked")
    clusters: tuple[str, ...] = ()
    if record.get("cluster"):
        clusters = (record["cluster"],)
    elif record.get("organisation"):
        org = await store.find_one("organisations", {"_id": record["organisation"]})
        clusters = tuple(org.get("clusters", [])) if org else ()
    principal = Principal(
        key_id=record["_id"],
        role=Role(record["role"]),
        cluster=record.get("cluster"),
        organisation=record.get("organisation"),
        clusters=clusters,
        expires_at=record.get("expires_at"),
    )
    if _expired(principal):
        raise Unauthenticated("the API key has expired")
    return principal


class KeyRing:
    """The keys this process checked lately, and the sockets open on them."""

    def __init__(self, store: Store, events: EventStream) -> None:
        self.store = store
        self.connections = Connections()
        self._known: dict[str, tuple[Principal, float]] = {}
        """Key hash -> (caller, trusted until, monotonic)."""
        self._revoked: dict[str, float] = {}
        """Key ids revoked lately -> when (monotonic): a lookup that raced the revocation
        must not remember the key, nor a socket opened meanwhile stay open."""
        events.tap(self._on_change)

    async def authenticate(self, key: str) -> Principal:
        """The caller behind `key`; `Unauthenticated` for an unknown, revoked or expired key."""
        digest = hash_key(key)
        known = self._known.get(digest)
        if known is not None and known[1] > time.monotonic() and not _expired(known[0]):
            return known[0]
        principal = await lookup(self.store, key)
        if self.was_revoked(principal.key_id):  # revoked while it was being read
            raise Unauthenticated("the API key is unknown or revoked")
        self._known.pop(digest, None)
        self._known[digest] = (principal, time.monotonic() + CACHE_SECONDS)
        if len(self._known) > MAX_REMEMBERED:
            self._known.pop(next(iter(self._known)))  # the oldest check
        return principal

    def was_revoked(self, key_id: str) -> bool:
        """Whether this process heard of the key's revocation lately."""
        now = time.monotonic()
        for old, at in list(self._revoked.items()):
            if at < now - CACHE_SECONDS:
                del self._revoked[old]
        return key_id in self._revoked

    def revoked(self, key_id: str) -> None:
        """Forget the key and close every socket this process has open on it."""
        self._revoked[key_id] = time.monotonic()
        for digest, (principal, _) in list(self._known.items()):
            if principal.key_id == key_id:
                del self._known[digest]
        self.connections.cut_off(key_id, REVOKED)

    def _on_change(self, collection: str, event: Event) -> None:
        if collection != KEYS:
            return
        if event.operation == "delete" or event.document.get("revoked_at") is not None:
            self.revoked(event.document["_id"])
