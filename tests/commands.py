"""The commands the hub sends to one test database, recorded while a test asks for them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pymongo import monitoring


@dataclass(frozen=True)
class Command:
    name: str
    collection: object
    filter_keys: frozenset[str]

    def __str__(self) -> str:
        return f"{self.name} {self.collection}"


class _Log(monitoring.CommandListener):
    def __init__(self) -> None:
        self.database: str | None = None
        self.commands: list[Command] = []
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name != self.database:
            return
        if event.command.get("collection") == "$cmd.aggregate":
            return  # the hub's change stream polling, not the test's work
        command = Command(
            event.command_name,
            event.command.get(event.command_name),
            frozenset(event.command.get("filter") or {}),
        )
        with self._lock:
            self.commands.append(command)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


_LOG = _Log()
monitoring.register(_LOG)  # applies to clients created from now on: the tests' hubs


@contextmanager
def recorded(database: str) -> Iterator[list[Command]]:
    """The commands sent to `database` within the block (the list fills as they go)."""
    commands: list[Command] = []
    _LOG.database, _LOG.commands = database, commands
    try:
        yield commands
    finally:
        _LOG.database = None
