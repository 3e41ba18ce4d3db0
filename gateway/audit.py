"""The audit log: who changed what, and when. Never the personal data itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.store import Store
from schemas.common import utcnow

if TYPE_CHECKING:
    from gateway.auth import Principal


async def record(
    store: Store, principal: Principal | None, action: str, target: str, **details: Any
) -> None:
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
