"""Geometry operations behind the editor: split a parcel along a line, merge adjacent parcels (layers.edits).

Pure functions on shapely geometries in the park's projected working CRS
(metres); they raise :class:`GeometryEditError` with a message the user can act
on, and never touch attributes (``layers.edits`` does).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.ops import split as shapely_split

#: A piece smaller than this is a sliver left by a line drawn along an edge, not a new parcel (m²).
MIN_PART_AREA_M2 = 1.0


class GeometryEditError(ValueError):
    """A geometry edit that cannot be carried out; the message says why and what to do."""


def split_polygon(polygon, line, *, min_part_area_m2: float = MIN_PART_AREA_M2) -> list:
    """The parts of ``polygon`` cut by ``line``, largest first (at least two).

    Parameters
    ----------
    polygon
        Polygon or MultiPolygon (working CRS).
    line
        LineString or MultiLineString that crosses the polygon from edge to edge.
    min_part_area_m2
        Parts smaller than this are refused as slivers.
    """
    if polygon is None or shapely.is_empty(polygon):
        raise GeometryEditError("the parcel has no geometry to split")
    if line is None or line.geom_type not in ("LineString", "MultiLineString") or shapely.is_empty(line):
        raise GeometryEditError("draw a line across the parcel to split it (got no line)")
    # Extend nothing silently: a line that stops inside the parcel does not cut it.
    parts = [part for part in shapely_split(polygon, line).geoms if not part.is_empty]
    if len(parts) < 2:
        raise GeometryEditError("the line does not cut the parcel into pieces: draw it from one edge across to another")
    areas = shapely.area(np.array(parts, dtype=object))
    if areas.min() < min_part_area_m2:
        raise GeometryEditError(
            f"the line leaves a sliver of {areas.min():.2f} m² (less than {min_part_area_m2:g} m²); draw it again")
    order = np.argsort(-areas, kind="stable")
    return [shapely.make_valid(parts[i]) if not parts[i].is_valid else parts[i] for i in order]


def merge_polygons(polygons, *, names=None):
    """One geometry covering ``polygons``, which must form one connected area.

    Raises :class:`GeometryEditError` naming the pieces that touch none of the others.
    """
    geoms = np.array(list(polygons), dtype=object)
    if len(geoms) < 2:
        raise GeometryEditError("choose at least two parcels to merge")
    names = list(names) if names is not None else [str(i + 1) for i in range(len(geoms))]
    merged = shapely.union_all(geoms)
    if merged.geom_type != "Polygon":
        # Which pieces are apart: those that neither touch nor overlap any other.
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        linked = np.zeros(len(geoms), dtype=bool)
        linked[left[left != right]] = True
        apart = [names[i] for i in np.flatnonzero(~linked)] or names
        raise GeometryEditError(
            "parcels to merge must form one connected area; not adjacent: " + ", ".join(apart))
    return merged
