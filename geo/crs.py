"""The park's coordinate reference policy.

Every area and distance is computed in the park's working CRS: CGCS2000 3°
Gauss-Krüger, central-meridian series (EPSG:4534–4554), chosen from the park's
longitude. The browser gets EPSG:4326. Nothing here reprojects silently: callers
ask for :func:`to_web` or :func:`to_working` by name.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from pyproj import CRS, Transformer

#: CGCS2000 geographic.
CGCS2000_EPSG = 4490
#: What the browser (Leaflet, GeoJSON, OGC API Features CRS84) receives.
WEB_EPSG = 4326
#: Longitudes of the central meridians the EPSG CM series covers.
GK3_CM_RANGE_DEG = (75, 135)


def gk3_zone(lon_deg: float) -> int:
    """3° Gauss-Krüger zone number for a longitude: floor((lon + 1.5) / 3).

    This equals round(lon / 3) except at exact half-zones, where it rounds up
    (Python's ``round`` would round half to even).
    """
    if not math.isfinite(lon_deg) or not -180.0 <= lon_deg <= 180.0:
        msg = f"longitude must be a finite number in [-180, 180], got {lon_deg!r}"
        raise ValueError(msg)
    return math.floor((lon_deg + 1.5) / 3.0)


def gk3_central_meridian(lon_deg: float) -> int:
    """Central meridian (degrees east) of the 3° zone containing ``lon_deg``."""
    return 3 * gk3_zone(lon_deg)


def gk3_cm_epsg(central_meridian_deg: int) -> int:
    """EPSG code of CGCS2000 / 3-degree Gauss-Kruger CM ``central_meridian_deg``.

    EPSG = 4534 + (CM − 75) / 3, defined for CM 75°E … 135°E in steps of 3°.
    """
    low, high = GK3_CM_RANGE_DEG
    if central_meridian_deg % 3 or not low <= central_meridian_deg <= high:
        msg = (
            f"central meridian must be a multiple of 3 between {low} and {high} degrees east, "
            f"got {central_meridian_deg!r}"
        )
        raise ValueError(msg)
    return 4534 + (central_meridian_deg - 75) // 3


def gk3_zone_prefixed_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 3-degree Gauss-Kruger zone ``zone`` (eastings carry the zone prefix).

    EPSG = 4488 + zone, zones 25–45 (EPSG:4513–4533).
    """
    if not 25 <= zone <= 45:
        msg = f"3-degree zone must be between 25 and 45 for CGCS2000 zone-prefixed CRSs, got {zone!r}"
        raise ValueError(msg)
    return 4488 + zone


def working_epsg_for_lon(lon_deg: float) -> int:
    """The park's working CRS (EPSG code) chosen from its longitude."""
    return gk3_cm_epsg(gk3_central_meridian(lon_deg))


def working_crs_for_lon(lon_deg: float) -> CRS:
    """The park's working CRS as a :class:`pyproj.CRS`."""
    return CRS.from_epsg(working_epsg_for_lon(lon_deg))


def outside_area_of_use(lonlat: np.ndarray, crs: CRS) -> tuple[int, tuple[float, float, float, float]] | None:
    """The first point of ``lonlat`` outside ``crs``'s area of use and that area (west, south, east, north),
    or ``None`` when every point lies inside (a Gauss-Krüger zone measures only within its few degrees)."""
    bounds = crs.area_of_use.bounds if crs.area_of_use else (-180.0, -90.0, 180.0, 90.0)
    west, south, east, north = bounds
    outside = (lonlat[:, 0] < west) | (lonlat[:, 0] > east) | (lonlat[:, 1] < south) | (lonlat[:, 1] > north)
    if not outside.any():
        return None
    return int(np.flatnonzero(outside)[0]), (west, south, east, north)


def require_projected(frame, *, what: str) -> None:
    """Raise unless ``frame`` has a projected CRS in metres.

    Parameters
    ----------
    frame
        GeoDataFrame or GeoSeries about to be measured.
    what
        The measurement, named in the message (``"parcel area"``).
    """
    crs = frame.crs
    if crs is None:
        msg = f"{what}: the data has no CRS; label it with set_crs() before measuring"
        raise ValueError(msg)
    if not crs.is_projected:
        msg = (
            f"{what}: refusing to measure in geographic CRS {crs.to_string()}; "
            "transform to the park's working CRS (CGCS2000 Gauss-Krüger) first"
        )
        raise ValueError(msg)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter"):
        msg = f"{what}: CRS {crs.to_string()} is in {unit!r}, not metres"
        raise ValueError(msg)


def to_web(frame):
    """Transform a frame to EPSG:4326 for the browser (GeoJSON, Leaflet)."""
    if frame.crs is None:
        msg = "cannot send data without a CRS to the browser; label it with set_crs() first"
        raise ValueError(msg)
    return frame.to_crs(WEB_EPSG)


def web_bounds(frame) -> np.ndarray:
    """``[west, south, east, north]`` in degrees covering every feature of ``frame`` (NaN when it has none).

    The frame's box in its own CRS, transformed with densified edges (so the curved edges of the
    projected box are covered), not every vertex: transforming a 10⁵-parcel layer took 0.6 s of a
    large park's first overview.
    """
    if frame.crs is None:
        msg = "cannot send data without a CRS to the browser; label it with set_crs() first"
        raise ValueError(msg)
    return box_web_bounds(frame.total_bounds, frame.crs)


def box_web_bounds(box, crs) -> np.ndarray:
    """``[west, south, east, north]`` in degrees covering the box ``(minx, miny, maxx, maxy)`` of ``crs`` (NaN for
    a box that is not finite), its edges densified as in :func:`web_bounds`."""
    if not np.all(np.isfinite(np.asarray(box, dtype=float))):
        return np.full(4, np.nan)
    return np.asarray(transformer(CRS.from_user_input(crs), WEB_EPSG).transform_bounds(*box, densify_pts=21))


@functools.lru_cache(maxsize=32)
def transformer(source, target) -> Transformer:
    """The transformer from CRS ``source`` to ``target`` (x, y order, as geopandas' ``to_crs`` makes it), made once
    per pair: making one costs 50–160 ms, a page's whole budget. Thread-safe (pyproj ≥ 3.1)."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_working(frame, working_crs):
    """Transform a frame into the park's working CRS (a no-op when already there)."""
    if frame.crs is None:
        msg = "the data has no CRS; say which CRS it is in (for import: --crs) before transforming"
        raise ValueError(msg)
    target = CRS.from_user_input(working_crs)
    if CRS.from_user_input(frame.crs) == target:
        return frame
    return frame.to_crs(target)
