"""The hub's error hierarchy: every error a caller may handle is one of these."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError


class ClusterHubError(Exception):
    """Base of all errors raised on purpose by the hub."""


class EmbeddedStoreError(ClusterHubError):
    """The embedded SecantusDB could not be started or reached."""


class DataDirInUse(EmbeddedStoreError):
    """Another hub already serves this data directory."""


class NotFound(ClusterHubError):
    """No such object, or none the caller may see (the two are not told apart)."""


class InputError(ClusterHubError):
    """Input that cannot be accepted; `problems` name each field and what is wrong."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m, _ in problems))
        self.problems = problems
        """(field path, message, code) for each problem."""

    @classmethod
    def from_validation(cls, error: ValidationError, tags: Iterable[str] = ()) -> InputError:
        """pydantic's errors as problems; `tags` are union tags to leave out of paths."""
        skip = set(tags)
        problems = []
        for e in error.errors(include_url=False):
            loc = [str(p) for p in e["loc"]]
            if loc and loc[0] in skip:
                loc = loc[1:]
            message = e["msg"].removeprefix("Value error, ")
            problems.append((".".join(loc) or "input", message, "INVALID"))
        return cls(problems)


class VersionConflict(ClusterHubError):
    """The object changed since the caller read it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"changed concurrently: now at version {current_version}; read it again and retry"
        )
        self.current_version = current_version
