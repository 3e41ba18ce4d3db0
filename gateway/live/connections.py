"""Open WebSockets by the API key they authenticated with, so that a key can be cut off.

A key is checked when a socket opens; what it may do afterwards rides on that check.
Revoking a key, or its expiry, must therefore reach the sockets already open: the hub
registers each one here with a way to close it, and cuts off all of a key's sockets at
once when the change stream reports the key revoked (on every process) or when its
expiry time comes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

Close = Callable[[str], None]
"""Cuts one socket off at once (no operation starts on it after the call) and closes it,
telling the client `reason`."""


@dataclass(eq=False)
class Connection:
    """One registered socket: its key, its way to close, and its expiry timer."""

    key_id: str
    close: Close
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class Connections:
    """The open sockets of this process, by key id."""

    def __init__(self) -> None:
        self._by_key: dict[str, set[Connection]] = {}

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self._by_key.values())

    def add(self, key_id: str, close: Close, expires_at: dt.datetime | None = None) -> Connection:
        """Register a socket; it is cut off when its key expires (if it does)."""
        connection = Connection(key_id, close)
        self._by_key.setdefault(key_id, set()).add(connection)
        if expires_at is not None:
            delay = max(0.0, (expires_at - dt.datetime.now(dt.UTC)).total_seconds())
            connection.timer = asyncio.get_running_loop().call_later(
                delay, self._close, connection, "the API key expired"
            )
        return connection

    def remove(self, connection: Connection) -> None:
        if connection.timer is not None:
            connection.timer.cancel()
        sockets = self._by_key.get(connection.key_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self._by_key[connection.key_id]

    def cut_off(self, key_id: str, reason: str) -> int:
        """Close every socket of `key_id`; how many there were."""
        sockets = list(self._by_key.get(key_id, ()))
        for connection in sockets:
            self._close(connection, reason)
        return len(sockets)

    def _close(self, connection: Connection, reason: str) -> None:
        self.remove(connection)
        connection.close(reason)
