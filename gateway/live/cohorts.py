"""Cohorts: subscriptions that would compute the same results share one computation.

Like Hasura's multiplexed subscriptions: subscribers asking the same operation with the
same variables under the same visibility form a cohort. The cohort runs the operation
once (one change-stream subscriber, one GraphQL execution per event) and hands every
result to each member's bounded queue; a member whose queue overflows is cut off alone,
so one slow dashboard never holds the others back. A cohort ends when its last member
leaves, or when its stream ends (every member then ends too).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any

from gateway.live.events import CutOff, Overflows, replace_all

_END = object()
"""Queued after the last result: the cohort's stream ended."""

Start = Callable[[], Awaitable[AsyncIterator[Any]]]


class _TooSlow:
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Cohort:
    def __init__(self, key: Hashable, start: Start, queue_size: int, overflows: Overflows) -> None:
        self.key = key
        self.queue_size = queue_size
        self.overflows = overflows
        self.members: set[asyncio.Queue[Any]] = set()
        self.ended = False
        self.task = asyncio.create_task(self._run(start), name=f"cohort {key!r:.60}")

    def join(self) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self.queue_size)
        self.members.add(queue)
        return queue

    async def _run(self, start: Start) -> None:
        try:
            source = await start()
            try:
                async for result in source:
                    for queue in list(self.members):
                        self._offer(queue, result)
            finally:
                close = getattr(source, "aclose", None)
                if close is not None:
                    await close()
        except Exception as error:  # handed to every member, who raise it
            self._finish(error)
            return
        self._finish(_END)

    def _offer(self, queue: asyncio.Queue[Any], result: Any) -> None:
        try:
            queue.put_nowait(result)
        except asyncio.QueueFull:
            self.members.discard(queue)
            self.overflows.count(queue)
            replace_all(queue, _TooSlow(f"too slow: fell {self.queue_size} events behind"))

    def _finish(self, last: Any) -> None:
        self.ended = True
        for queue in self.members:
            if queue.full():
                replace_all(queue, last)
            else:
                queue.put_nowait(last)


class Cohorts:
    """The cohorts of one hub process, by key."""

    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self.overflows = Overflows()
        """The members cut off for falling behind, and the results they lost."""
        self._cohorts: dict[Hashable, _Cohort] = {}

    @property
    def count(self) -> int:
        return len(self._cohorts)

    @property
    def member_count(self) -> int:
        return sum(len(c.members) for c in self._cohorts.values())

    async def stream(
        self, key: Hashable, start: Start, on_cut_off: CutOff | None = None
    ) -> AsyncIterator[Any]:
        """This member's view of the cohort `key`, started with `start` if there is none."""
        async with self.member(key, start, on_cut_off) as results:
            async for result in results:
                yield result

    @contextlib.asynccontextmanager
    async def member(
        self, key: Hashable, start: Start, on_cut_off: CutOff | None = None
    ) -> AsyncIterator[AsyncIterator[Any]]:
        """Membership of the cohort `key` for the block: joined on entry (results computed
        from then on are queued, read or not), left on exit. Yields the results."""
        cohort = self._cohorts.get(key)
        if cohort is None or cohort.ended:
            cohort = self._cohorts[key] = _Cohort(key, start, self.queue_size, self.overflows)
        queue = cohort.join()
        try:
            yield self._results(queue, on_cut_off)
        finally:
            await self._leave(cohort, queue)

    @staticmethod
    async def _results(queue: asyncio.Queue[Any], on_cut_off: CutOff | None) -> AsyncIterator[Any]:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _TooSlow):
                if on_cut_off is not None:
                    await on_cut_off(item.reason)
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def _leave(self, cohort: _Cohort, queue: asyncio.Queue[Any]) -> None:
        cohort.members.discard(queue)
        if cohort.members:
            return
        if self._cohorts.get(cohort.key) is cohort:
            del self._cohorts[cohort.key]
        cohort.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await cohort.task
