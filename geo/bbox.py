"""The API's longitude/latitude ``bbox`` parameter, checked.

Features are selected against it in lon/lat, the coordinates the API returns
(``web.api`` keeps a spatial index of each layer's lon/lat geometries).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_lonlat_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    """``bbox`` as (min lon, min lat, max lon, max lat); ``ValueError`` saying what is wrong otherwise."""
    if len(bbox) != 4:
        msg = f"bbox must be 4 numbers: min lon, min lat, max lon, max lat (got {len(bbox)})"
        raise ValueError(msg)
    west, south, east, north = (float(value) for value in bbox)
    if not all(np.isfinite([west, south, east, north])):
        msg = f"bbox values must be finite numbers, got {list(bbox)!r}"
        raise ValueError(msg)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        msg = f"bbox must be in degrees: longitudes in [-180, 180], latitudes in [-90, 90], got {list(bbox)!r}"
        raise ValueError(msg)
    if west > east or south > north:
        msg = f"bbox minimum must not exceed maximum (min lon, min lat, max lon, max lat), got {list(bbox)!r}"
        raise ValueError(msg)
    return west, south, east, north
