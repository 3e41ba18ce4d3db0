"""The store: every MongoDB call, its indexes, paging, and the embedded database server.

Motor is confined to this package so that a switch to PyMongo's native async client
stays local.
"""

from gateway.store.database import Store
from gateway.store.open import open_store

__all__ = ["Store", "open_store"]
