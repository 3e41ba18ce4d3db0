"""A per-caller request budget (token bucket), kept in each hub process's memory.

Behind a load balancer every process keeps its own buckets, so a caller's budget
is per process; that bounds abuse without a shared store on the hot path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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
