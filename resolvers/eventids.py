"""Event ids: the live event a streamed result was computed for, so that a transport can
name it (SSE's `id:` line) and a client resume after it (`Last-Event-ID`).

A subscription resolver puts each event's id on the context as it yields the event
(`resolvers.subscription`); this extension moves it onto the result computed for that
event, which happens in the same task before the next event. The id travels with the
result, not with a context, because a cohort hands one result to many subscribers. It
stays off the payload: clients of the other transports select `cursor` as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from resolvers.context import Context

_ATTRIBUTE = "_clusterhub_event_id"


class EventIds(SchemaExtension):
    """Tags each streamed result with the id of its event (None for results of no event)."""

    def on_stream_result(self, result: Any) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            setattr(result, _ATTRIBUTE, context.take_event_id())
        yield


def event_id(result: Any) -> str | None:
    """The id of the event `result` was computed for, if it has one."""
    return getattr(result, _ATTRIBUTE, None)
