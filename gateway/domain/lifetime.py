"""Time as a hard rule: when a listing has run out, whatever its stored status says.

A listing whose period has ended is EXPIRED; a TALENT referral whose candidate's
consent is older than the referral lifetime has lapsed (the TTL index deletes it
later; until then it must neither be imported nor matched nor shown as open).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from schemas.common import Status

DAY = dt.timedelta(days=1)
REFERRAL_TTL = dt.timedelta(days=180)
"""The default lifetime of a referral after consent (`CLUSTERHUB_REFERRAL_TTL_DAYS`)."""


@dataclass(frozen=True)
class Lifetime:
    """The rules of time at one moment, `now`."""

    now: dt.datetime
    referral_ttl: dt.timedelta = REFERRAL_TTL
    _last_day_over: dt.datetime = field(init=False, repr=False)
    _consent_lapsed: dt.datetime = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # computed once: matching asks for every candidate
        object.__setattr__(self, "_last_day_over", self.now - DAY)
        object.__setattr__(self, "_consent_lapsed", self.now - self.referral_ttl)

    def ended(self, doc: dict[str, Any]) -> bool:
        """Whether the listing's last day (its period's end, a midnight) is over."""
        return doc["period"]["end"] <= self._last_day_over

    def consent_lapsed(self, doc: dict[str, Any]) -> bool:
        consent = doc.get("consent")
        return consent is not None and consent["given_at"] <= self._consent_lapsed

    def lapsed(self, doc: dict[str, Any]) -> bool:
        """Ended or, for a referral, its consent lapsed: never matched again."""
        return self.ended(doc) or self.consent_lapsed(doc)

    def status(self, doc: dict[str, Any]) -> Status:
        """The status a caller sees: an open listing that has lapsed is EXPIRED."""
        stored = Status(doc["status"])
        return Status.EXPIRED if stored == Status.OPEN and self.lapsed(doc) else stored
