"""Selecting features by a longitude/latitude box (the API's ``bbox``), in the working CRS.

The box is densified and transformed into the layer's projected CRS, so its
curved edges are followed, and features are kept where they intersect it. The
box is first clipped to where the CRS is defined (plus a margin): a
Gauss-Krüger zone cannot project the far side of the globe.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.crs import WEB_EPSG, require_projected

#: Degrees beyond a CRS's declared area of use still projected (a park may straddle a zone edge).
AREA_OF_USE_MARGIN_DEG = 3.0
#: Longest edge of the densified box, in degrees (about 1 km).
DENSIFY_DEG = 0.01


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


def lonlat_bbox_in(bbox: Sequence[float], crs) -> shapely.Geometry:
    """The lon/lat ``bbox`` as a polygon in projected ``crs`` (empty when outside its area of use)."""
    west, south, east, north = check_lonlat_bbox(bbox)
    target = CRS.from_user_input(crs)
    area = target.area_of_use
    if area is not None:
        margin = AREA_OF_USE_MARGIN_DEG
        west, east = max(west, area.west - margin), min(east, area.east + margin)
        south, north = max(south, area.south - margin), min(north, area.north + margin)
        if west > east or south > north:
            return shapely.Polygon()
    box = shapely.segmentize(shapely.box(west, south, east, north), DENSIFY_DEG)
    return gpd.GeoSeries([box], crs=WEB_EPSG).to_crs(target).iloc[0]


def in_lonlat_bbox(frame: pd.DataFrame, bbox: Sequence[float]) -> np.ndarray:
    """Boolean mask, aligned with ``frame``: features intersecting the lon/lat ``bbox``."""
    require_projected(frame, what="bbox selection")
    mask = np.zeros(len(frame), dtype=bool)
    box = lonlat_bbox_in(bbox, frame.crs)
    if box.is_empty or not len(frame):
        return mask
    mask[frame.sindex.query(box, predicate="intersects")] = True
    return mask
