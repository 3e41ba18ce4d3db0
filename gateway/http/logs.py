"""Logging of the whole process, the hub's loggers and uvicorn's alike, as text or as
JSON lines, each line naming the request it belongs to (`gateway.request_id`).

The hub logs through the standard library; structlog's `ProcessorFormatter` only
renders the records, so every library's log lines come out in the same format.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import structlog
from structlog.stdlib import ProcessorFormatter

from gateway import request_id


def configure_logging(level: str, log_format: Literal["text", "json"] = "text") -> None:
    """Send every logger's records at `level` and above to standard error, in `log_format`.
    uvicorn must then be run with `log_config=None`, so its loggers reach the same handler."""
    renderers: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if log_format == "json"
        else [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                _add_request_id,
            ],
            processors=[ProcessorFormatter.remove_processors_meta, *renderers],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def _add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    current = request_id.current()
    if current is not None:
        event["request_id"] = current
    return event
