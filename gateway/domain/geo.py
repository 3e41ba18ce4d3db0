"""Distances and the coarse grid that makes distance filters indexable.

The embedded store has no usable geo index (its `$geoWithin` scans), so every located
document carries `cell`, a grid cell of `CELL_DEG` degrees; a distance query asks for the
cells that touch the circle (an indexed `$in`) and then checks the exact distance.
The same shape is served by an ordinary index on a real MongoDB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088
CELL_DEG = 0.25
MAX_RADIUS_KM = 1000.0


@dataclass(frozen=True)
class Circle:
    """A search circle: centre and radius."""

    lat: float
    lon: float
    radius_km: float


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def cell_of(lat: float, lon: float) -> str:
    return f"{math.floor(lat / CELL_DEG)}:{math.floor(lon / CELL_DEG)}"


def cells_within(lat: float, lon: float, radius_km: float) -> list[str]:
    """Every grid cell that intersects the bounding box of the circle around (lat, lon),
    with a margin for the spherical distance and its rounding at the edge."""
    radius_km = radius_km * 1.01 + 0.1
    dlat = radius_km / 111.32
    dlon = radius_km / max(1e-6, 111.32 * math.cos(math.radians(lat)))
    lat_lo, lat_hi = math.floor((lat - dlat) / CELL_DEG), math.floor((lat + dlat) / CELL_DEG)
    lon_lo, lon_hi = math.floor((lon - dlon) / CELL_DEG), math.floor((lon + dlon) / CELL_DEG)
    return [f"{i}:{j}" for i in range(lat_lo, lat_hi + 1) for j in range(lon_lo, lon_hi + 1)]
