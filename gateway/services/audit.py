"""The audit log: who changed what, and when, and who was refused a change and why.
Never the personal data itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from gateway.domain.access import Principal
from gateway.errors import ClientError, Forbidden, InputError, NotFound
from gateway.services.session import Session
from gateway.store.database import Store
from schemas.common import utcnow

T = TypeVar("T")


async def record(
    store: Store, principal: Principal | None, action: str, target: str, **details: Any
) -> None:
    """Append one entry; `principal` None stands for the command line."""
    await store.insert(
        "audit",
        {
            "at": utcnow(),
            "key_id": principal.key_id if principal else None,
            "role": str(principal.role) if principal else None,
            "organisation": principal.organisation if principal else None,
            "cluster": principal.cluster if principal else None,
            "action": action,
            "target": target,
            "details": details,
        },
    )


PER_ENTRY = 10_000
"""Ids or refused records one entry holds at most (well below a document's 16 MB): a
larger import is recorded in several entries, `part` 1 to `parts`, sharing `import_id`."""


def _parts(items: list[T]) -> list[list[T]]:
    return [items[start : start + PER_ENTRY] for start in range(0, len(items), PER_ENTRY)]


async def imported(
    store: Store,
    principal: Principal | None,
    target: str,
    counts: Mapping[str, Any],
    changed: Mapping[str, Mapping[str, list[str]]],
) -> None:
    """An import: its counts, and the ids it inserted and updated, per collection."""
    flat = [
        (c, kind, i) for c, kinds in changed.items() for kind, ids in kinds.items() for i in ids
    ]
    parts = _parts(flat) or [[]]
    batch = uuid.uuid4().hex
    for n, part in enumerate(parts, 1):
        grouped: dict[str, dict[str, list[str]]] = {
            c: {kind: [] for kind in kinds} for c, kinds in changed.items()
        }
        for collection, kind, record_id in part:
            grouped[collection][kind].append(record_id)
        await record(
            store,
            principal,
            "import",
            target,
            counts=counts,
            changed=grouped,
            part=n,
            parts=len(parts),
            import_id=batch,
        )


async def refused_records(
    store: Store, principal: Principal | None, target: str, rejections: list[Mapping[str, str]]
) -> None:
    """Records an import refused for what the caller may change (not for their content)."""
    parts = _parts(rejections)
    for n, part in enumerate(parts, 1):
        await record(
            store,
            principal,
            "refused import records",
            target,
            rejections=part,
            part=n,
            parts=len(parts),
        )


def refusal_code(error: ClientError) -> str | None:
    """FORBIDDEN or NOT_FOUND when `error` refuses a write for who asked (an object it may
    not change, or may not see, which reads as absent); None for other mistakes."""
    if isinstance(error, Forbidden | NotFound):
        return error.code
    if isinstance(error, InputError):
        codes = (p.code for p in error.problems)
        return next((c for c in codes if c in (Forbidden.code, NotFound.code)), None)
    return None


async def refused(session: Session, action: str, target: str, error: ClientError) -> None:
    """A write refused for permission: who tried, what (`action` on `target`), and why."""
    code = refusal_code(error)
    if code is not None:
        reason = str(error)
        await record(
            session.store, session.principal, f"refused {action}", target, code=code, reason=reason
        )
