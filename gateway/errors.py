"""The hub's one error hierarchy: every error raised on purpose is one of these.

Each class carries the `code` a client sees (`extensions.code`, or a `userErrors`
entry) and the HTTP status that fits it, so the edge never keeps a table of its own:

    ClusterHubError                     INTERNAL       500
    ├── ClientError                     BAD_USER_INPUT 400  the caller can fix it
    │   ├── InputError                  BAD_USER_INPUT 400  problems, each with its code
    │   │   └── UnknownSkill                               a problem coded UNKNOWN_SKILL
    │   ├── BadRequest                  BAD_REQUEST    400  not a GraphQL request at all
    │   ├── PayloadTooLarge             PAYLOAD_TOO_LARGE 413
    │   ├── RateLimited                 RATE_LIMITED   429
    │   ├── Unauthenticated             UNAUTHENTICATED 401
    │   ├── Forbidden                   FORBIDDEN      403
    │   │   └── NotPermitted                               the role may not run it at all
    │   ├── NotFound                    NOT_FOUND      404  absent or hidden: never told apart
    │   ├── VersionConflict             VERSION_CONFLICT 409
    │   ├── CostLimitExceeded           COST_LIMIT     400  refused before execution
    │   └── OperationTimedOut           TIMEOUT        504  cut off during execution
    └── ServerError                     INTERNAL       500  the hub's fault, masked
        └── Unavailable                 UNAVAILABLE    503  the database does not answer
            └── EmbeddedStoreError
                └── DataDirInUse

The store layer registers its driver's connection failures as outages
(`register_outage`), so an outage reads as UNAVAILABLE everywhere without the layers
above knowing the driver.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError


class ClusterHubError(Exception):
    """Base of all errors raised on purpose by the hub."""

    code = "INTERNAL"
    status = 500


class ClientError(ClusterHubError):
    """Something the caller did and can fix; shown to it, logged at INFO."""

    code = "BAD_USER_INPUT"
    status = 400


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the field path (domain names), what, and a code."""

    field: str
    message: str
    code: str = "INVALID"


class InputError(ClientError):
    """Input that cannot be accepted; `problems` name each field and what is wrong."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, field: str, message: str, code: str = "INVALID") -> InputError:
        return cls(Problem(field, message, code))

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
            problems.append(Problem(".".join(loc) or "input", message))
        return cls(*problems)


class UnknownSkill(InputError):
    """A skill text that is neither a taxonomy id nor a label or synonym."""

    def __init__(self, text: str, suggestions: list[str], field: str = "skills") -> None:
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(Problem(field, f"unknown skill {text!r}{hint}", "UNKNOWN_SKILL"))
        self.text = text
        self.suggestions = suggestions

    def at(self, field: str) -> UnknownSkill:
        """The same error, reported at `field`."""
        return UnknownSkill(self.text, self.suggestions, field)


class BadRequest(ClientError):
    """Not a GraphQL request the hub can read (e.g. a body that is not JSON)."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class PayloadTooLarge(ClientError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class RateLimited(ClientError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, round(retry_after))
        super().__init__(f"rate limit reached: retry in {self.retry_after} s")


class Unauthenticated(ClientError):
    """No key where one is needed, or a key that is unknown or revoked."""

    code = "UNAUTHENTICATED"
    status = 401


class Forbidden(ClientError):
    """The caller is not entitled to this."""

    code = "FORBIDDEN"
    status = 403


class NotPermitted(Forbidden):
    """The caller's role may not run this operation at all, whatever its input."""


class NotFound(ClientError):
    """No such object, or none the caller may see (the two are not told apart)."""

    code = "NOT_FOUND"
    status = 404


class VersionConflict(ClientError):
    """The object changed since the caller read it."""

    code = "VERSION_CONFLICT"
    status = 409

    def __init__(self, current_version: int | None = None) -> None:
        now = f"now at version {current_version}; " if current_version is not None else ""
        super().__init__(f"changed concurrently: {now}read it again and retry")
        self.current_version = current_version


class CostLimitExceeded(ClientError):
    """The operation's static cost (`resolvers.cost`) is over the budget: refused unrun,
    so an expensive document costs the hub an estimate, not its execution."""

    code = "COST_LIMIT"
    status = 400

    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"query cost {cost} exceeds the limit of {limit}: "
            "ask for fewer items (`first`) or fewer nested lists"
        )
        self.cost = cost
        self.limit = limit


class OperationTimedOut(ClientError):
    """The operation ran longer than its time budget and was cut off (second line behind
    the cost limit). A mutation field already running is finished, not cut off."""

    code = "TIMEOUT"
    status = 504

    def __init__(self, seconds: float, *, mutation: bool) -> None:
        outcome = (
            "; a change it started is still saved: read the data again before retrying"
            if mutation
            else ""
        )
        super().__init__(f"operation cut off after {seconds:g} s{outcome}")


class ServerError(ClusterHubError):
    """The hub's own fault: masked for clients, logged with a traceback."""


class Unavailable(ServerError):
    """The database does not answer: it is restarting or out of reach. Retry shortly."""

    code = "UNAVAILABLE"
    status = 503


class EmbeddedStoreError(Unavailable):
    """The embedded SecantusDB could not be started or reached."""


class DataDirInUse(EmbeddedStoreError):
    """Another hub already serves this data directory."""


_OUTAGES: list[type[BaseException]] = [Unavailable]


def register_outage(kind: type[BaseException]) -> None:
    """Errors of `kind` mean the database is out of reach (registered by the store layer)."""
    _OUTAGES.append(kind)


def is_outage(error: BaseException) -> bool:
    return isinstance(error, tuple(_OUTAGES))


def error_code(error: BaseException) -> str | None:
    """The client code of an error: the caller's mistake or an outage; None for the hub's
    own faults, which clients see masked."""
    if isinstance(error, ClientError):
        return error.code
    return Unavailable.code if is_outage(error) else None
