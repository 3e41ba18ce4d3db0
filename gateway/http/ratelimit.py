"""A per-caller request budget (token bucket), kept in each hub process's memory.

One budget per caller, whatever the way in: an HTTP request and every operation
started on a WebSocket take a token from the same bucket. A caller is its API key;
without a valid key, its client address (so a flood of invalid keys runs dry too).

Behind a load balancer every process keeps its own buckets, so a caller's budget
is per process (N processes allow N times the budget); that bounds abuse without a
store round trip on the hot path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from gateway.domain.access import Principal
from gateway.errors import RateLimited

MAX_BUCKETS = 100_000
"""Buckets kept at most; the oldest are forgotten first (they would be full again)."""


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def take(self, viewer: Principal | None, connection: HTTPConnection) -> RateLimited | None:
        """Spend one token of the caller's budget; the refusal when it is spent.

        `viewer` None (anonymous, or a key that failed) spends its client address's budget.
        """
        client = connection.client.host if connection.client else "-"
        wait = self.allow(viewer.key_id if viewer else f"ip:{client}")
        return RateLimited(wait) if wait else None

    def allow(self, caller: str) -> float:
        """0 when `caller` may go ahead, else the seconds until it may retry."""
        now = time.monotonic()
        bucket = self._buckets.pop(caller, None) or _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[caller] = bucket  # most recently used last
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.pop(next(iter(self._buckets)))
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
