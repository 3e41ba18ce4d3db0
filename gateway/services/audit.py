"""The audit log: who changed what, and when. Never the personal data itself."""

from __future__ import annotations

from typing import Any

from gateway.domain.access import Principal
from gateway.store.database import Store
from schemas.common import utcnow


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
