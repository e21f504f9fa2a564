"""Geometry repair on import, each fix listed by record; topology flags for parcels.

:func:`prepare_geometries` makes source geometries fit the layer's declaration:
rejects non-finite coordinates and absurd vertex counts, drops Z/M, turns
closed rings into polygons for polygon layers, unwraps collections holding only
the declared kind, repairs invalid geometries with ``make_valid`` (keeping the
declared dimension) and explodes or keeps multi-parts as the declaration says.
Geometries of another kind (the points of a layer mixing points and polygons)
are set aside by record, so the rest can be imported. Empty geometries are left
for the validator to reject. It runs on the file's own coordinates, so every
coordinate it reports is one the file holds.

:func:`settle_transformed` runs after the transformation into the working CRS:
parts that collapsed there (a 10⁻¹¹ m part of a line becomes a point) are
dropped, and geometries the rounding made invalid are repaired, each by record.

:func:`topology_flags` finds overlaps between parcels, slivers and gaps, as
notices for the report (they are data-quality findings, not errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from shapely import GeometryType

from layers.io.options import ImportLimits, TopologyTolerances

_POLYGONAL = (GeometryType.POLYGON, GeometryType.MULTIPOLYGON)
_LINEAL = (GeometryType.LINESTRING, GeometryType.MULTILINESTRING, GeometryType.LINEARRING)
_PUNTAL = (GeometryType.POINT, GeometryType.MULTIPOINT)
_DIMENSION = {"Polygon": 2, "LineString": 1, "Point": 0}
_KINDS = {"Polygon": _POLYGONAL, "LineString": _LINEAL, "Point": _PUNTAL}


@dataclass
class GeometryResult:
    """Repaired geometries, the source row of each (explode repeats rows), and what happened."""

    geometries: np.ndarray
    rows: np.ndarray
    part: np.ndarray
    fixes: list[tuple[int, str, object]] = field(default_factory=list)
    problems: list[tuple[int, str, object]] = field(default_factory=list)
    #: (position, geometry type) of geometries of another kind than the declared one, set aside.
    other_kind: list[tuple[int, str]] = field(default_factory=list)


#: Geometry type → the kind of layer it fits.
_KIND_OF = {"Polygon": "Polygon", "MultiPolygon": "Polygon", "LineString": "LineString",
            "MultiLineString": "LineString", "LinearRing": "LineString", "Point": "Point", "MultiPoint": "Point"}


def kind_of(geom_type: str) -> str | None:
    """The declared kind (Polygon, LineString, Point) a geometry type fits; None for collections."""
    return _KIND_OF.get(geom_type)


def _of_kind(geoms: np.ndarray, declared: str) -> np.ndarray:
    return np.isin(shapely.get_type_id(geoms), [t.value for t in _KINDS[declared]])


def _keep_dimension(geoms: np.ndarray, declared: str) -> np.ndarray:
    """The parts of each geometry with the declared dimension, as one (multi) geometry; empty if none."""
    out = np.empty(len(geoms), dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    # Collections may nest: flatten until no collection is left.
    while len(parts) and np.any(shapely.get_type_id(parts) == GeometryType.GEOMETRYCOLLECTION.value):
        nested = shapely.get_type_id(parts) == GeometryType.GEOMETRYCOLLECTION.value
        sub, sub_owner = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        owner = np.concatenate([owner[~nested], owner[nested][sub_owner]])
    keep = shapely.get_dimensions(parts) == _DIMENSION[declared]
    keep &= ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    empty = {"Polygon": shapely.from_wkt("POLYGON EMPTY"), "LineString": shapely.from_wkt("LINESTRING EMPTY"),
             "Point": shapely.from_wkt("POINT EMPTY")}[declared]
    out[:] = empty
    if len(parts):
        order = np.argsort(owner, kind="stable")
        parts, owner = parts[order], owner[order]
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        groups = np.split(parts, starts[1:])
        for index, group in zip(owner[starts], groups):
            if len(group) == 1:
                out[index] = group[0]
            elif declared == "Polygon":
                out[index] = shapely.multipolygons(group)
            elif declared == "LineString":
                out[index] = shapely.multilinestrings(group)
            else:
                out[index] = shapely.multipoints(group)
    return out


def prepare_geometries(geoms: np.ndarray, declared: str, *, multipart: str = "keep",
                       limits: ImportLimits = ImportLimits()) -> GeometryResult:
    """Make ``geoms`` fit a layer declared as ``declared`` (Polygon, LineString or Point).

    Returns geometries aligned with ``rows`` (source positions, 0-based); with
    ``multipart="explode"`` one source row may give several.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    n = len(geoms)
    fixes: list[tuple[int, str, object]] = []
    problems: list[tuple[int, str, object]] = []
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)

    counts = np.zeros(n, dtype=np.int64)
    counts[usable] = shapely.get_num_coordinates(geoms[usable])
    too_many = counts > limits.max_vertices_per_feature
    problems += [(int(i), f"{counts[i]:,} vertices; at most {limits.max_vertices_per_feature:,} per feature "
                  "are accepted (simplify it, or it is not a parcel/building outline)", None)
                 for i in np.flatnonzero(too_many)]
    usable &= ~too_many

    coords, owner = shapely.get_coordinates(geoms[usable], include_z=False, return_index=True)
    bad_rows = np.unique(owner[~np.isfinite(coords).all(axis=1)])
    positions = np.flatnonzero(usable)
    for i in positions[bad_rows]:
        problems.append((int(i), "coordinates are not finite numbers (NaN or infinity)", None))
    usable[positions[bad_rows]] = False

    has_z = np.zeros(n, dtype=bool)
    has_z[usable] = shapely.has_z(geoms[usable])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        fixes += [(int(i), "Z (height) coordinates dropped", None) for i in np.flatnonzero(has_z)]

    types = shapely.get_type_id(geoms)
    if declared == "Polygon":
        rings = usable & np.isin(types, [GeometryType.LINESTRING.value, GeometryType.LINEARRING.value])
        rings[rings] = shapely.is_closed(geoms[rings]) & (shapely.get_num_coordinates(geoms[rings]) >= 4)
        if rings.any():
            coords, owner = shapely.get_coordinates(geoms[rings], return_index=True)
            geoms[rings] = shapely.polygons(shapely.linearrings(coords, indices=owner))
            fixes += [(int(i), "closed line turned into a polygon", None) for i in np.flatnonzero(rings)]
        types = shapely.get_type_id(geoms)
    collections = usable & (types == GeometryType.GEOMETRYCOLLECTION.value)
    if collections.any():
        kept = _keep_dimension(geoms[collections], declared)
        before = shapely.get_num_geometries(geoms[collections])
        after = shapely.get_num_geometries(kept)
        for i, g, b, a in zip(np.flatnonzero(collections), kept, before, after):
            if a == 0:
                continue  # nothing of the declared kind: the validator reports the wrong type
            geoms[i] = g
            lost = b - a
            message = f"geometry collection read as {g.geom_type}" + (f"; {lost} part(s) of another kind dropped"
                                                                     if lost else "")
            fixes.append((int(i), message, None))

    check = usable & _of_kind(geoms, declared)
    other = usable & ~check
    other_kind = [(int(i), str(g.geom_type)) for i, g in zip(np.flatnonzero(other), geoms[other])]
    usable &= check
    repair_invalid(geoms, check, declared, fixes, problems)

    rows = np.arange(n)
    part = np.zeros(n, dtype=np.int64)
    multi = usable & np.isin(shapely.get_type_id(geoms), [GeometryType.MULTIPOLYGON.value,
                                                         GeometryType.MULTILINESTRING.value,
                                                         GeometryType.MULTIPOINT.value])
    n_parts = np.ones(n, dtype=np.int64)
    n_parts[multi] = shapely.get_num_geometries(geoms[multi])
    single_part = multi & (n_parts == 1)
    if single_part.any():
        geoms[single_part] = shapely.get_geometry(geoms[single_part], 0)
        multi &= ~single_part
    if multipart == "explode" and multi.any():
        fixes += [(int(i), f"multi-part geometry exploded into {n_parts[i]} records", None)
                  for i in np.flatnonzero(multi)]
        parts, owner = shapely.get_parts(geoms, return_index=True)
        # get_parts drops missing geometries; put them back so every row survives.
        missing = np.flatnonzero(shapely.is_missing(geoms))
        parts = np.concatenate([parts, geoms[missing]])
        owner = np.concatenate([owner, missing])
        order = np.argsort(owner, kind="stable")
        parts, owner = parts[order], owner[order]
        first = np.r_[True, owner[1:] != owner[:-1]]
        part = np.arange(len(owner)) - np.maximum.accumulate(np.where(first, np.arange(len(owner)), 0))
        part = np.where(multi[owner], part + 1, 0)
        geoms, rows = parts, owner
    return GeometryResult(geoms, rows, part, fixes, problems, other_kind)


def repair_invalid(geoms: np.ndarray, check: np.ndarray, declared: str, fixes: list, problems: list) -> None:
    """Repair the invalid geometries among ``geoms[check]`` in place with ``make_valid``, keeping the declared
    dimension; each repair is a fix, a geometry nothing survives of a problem (position, message, value)."""
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[check] = ~shapely.is_valid(geoms[check])
    if not invalid.any():
        return
    reasons = shapely.is_valid_reason(geoms[invalid])
    repaired = _keep_dimension(shapely.make_valid(geoms[invalid]), declared)
    for i, reason, g in zip(np.flatnonzero(invalid), reasons, repaired):
        if shapely.is_empty(g):
            problems.append((int(i), f"invalid geometry ({reason}) and nothing of it survives repair", None))
            continue
        geoms[i] = g
        fixes.append((int(i), f"invalid geometry ({reason}) repaired with make_valid", None))


@dataclass
class Settled:
    """Geometries after :func:`settle_transformed`: fixes and problems by position, with the working-CRS point
    each concerns (to be shown in the source's coordinates)."""

    geometries: np.ndarray
    fixes: list[tuple[int, str, tuple[float, float] | None]] = field(default_factory=list)
    problems: list[tuple[int, str, tuple[float, float] | None]] = field(default_factory=list)


def _part_size(parts: np.ndarray, declared: str) -> np.ndarray:
    """The length of line parts, the square root of the area of polygon parts (metres either way)."""
    if declared == "Polygon":
        return np.sqrt(shapely.area(parts))
    return shapely.length(parts)


def _tiny(size_m: float, declared: str) -> str:
    """A size threshold as people read it: 1 µm, 1 µm², 0.5 mm."""
    square = "²" if declared == "Polygon" else ""
    if size_m < 1e-3:
        return f"{size_m * 1e6:g} µm{square}"
    return f"{size_m * 1e3:g} mm{square}" if size_m < 1 else f"{size_m:g} m{square}"


def _rebuild(parts: np.ndarray, declared: str):
    if len(parts) == 1:
        return parts[0]
    return shapely.multipolygons(parts) if declared == "Polygon" else shapely.multilinestrings(parts)


def settle_transformed(geoms: np.ndarray, declared: str, *, min_size_m: float) -> Settled:
    """Drop parts that collapsed in the transformation (shorter than ``min_size_m``, or with less area than its
    square) and repair geometries it made invalid.

    A record left with no part is a problem (its geometry collapsed entirely);
    points have no size and pass unchanged.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    settled = Settled(geoms)
    if declared == "Point" or not len(geoms):
        return settled
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    positions = np.flatnonzero(present)
    owner = positions[owner]
    collapsed = _part_size(parts, declared) < min_size_m
    for i in np.unique(owner[collapsed]):
        mine = owner == i
        kept, lost = parts[mine & ~collapsed], parts[mine & collapsed]
        where = shapely.get_coordinates(lost[0])[0]
        point = (float(where[0]), float(where[1]))
        size = f"{'length' if declared == 'LineString' else 'area'} under {_tiny(min_size_m, declared)}"
        if not len(kept):
            settled.problems.append((int(i), f"collapses once transformed into the working CRS: every part has "
                                             f"{size} (the first", point))
            continue
        geoms[i] = _rebuild(kept, declared)
        settled.fixes.append((int(i), f"{len(lost)} part(s) collapsed to {size} once transformed into the working "
                                      "CRS: dropped (the first", point))
    fixes: list = []
    problems: list = []
    check = present.copy()
    check[[i for i, _, _ in settled.problems]] = False
    repair_invalid(geoms, check, declared, fixes, problems)
    settled.fixes += [(i, message, None) for i, message, _ in fixes]
    settled.problems += [(i, message, None) for i, message, _ in problems]
    return settled


# -- topology ----------------------------------------------------------------------------------------


@dataclass
class TopologyFlags:
    overlaps: list[tuple[int, int, float]] = field(default_factory=list)
    slivers: list[tuple[int, float, float]] = field(default_factory=list)
    gaps: list[tuple[float, float, float]] = field(default_factory=list)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes joined by the edges (left, right): min-label
    propagation with pointer jumping, vectorised."""
    labels = np.arange(n)
    while len(left):
        low = np.minimum(labels[left], labels[right])
        new = labels.copy()
        np.minimum.at(new, left, low)
        np.minimum.at(new, right, low)
        new = new[new]
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _gaps(geoms: np.ndarray, left: np.ndarray, right: np.ndarray,
          tolerances: TopologyTolerances) -> list[tuple[float, float, float]]:
    """Small holes in the union of each group of touching parcels (a lone parcel has no neighbours to leave
    a gap with). Groups that form a valid coverage are merged by the fast coverage union."""
    labels = _components(len(geoms), left, right)
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    unions = []
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
        group = geoms[order[start:start + size]]
        unions.append(shapely.coverage_union_all(group) if shapely.coverage_is_valid(group)
                      else shapely.union_all(group))
    if not unions:
        return []
    parts = shapely.get_parts(np.array(unions, dtype=object))
    n_holes = shapely.get_num_interior_rings(parts)
    owner = np.repeat(np.arange(len(parts)), n_holes)
    ring_index = np.arange(len(owner)) - np.repeat(np.cumsum(n_holes) - n_holes, n_holes)
    holes = shapely.polygons(shapely.get_interior_ring(parts[owner], ring_index))
    if not len(holes):
        return []
    areas = shapely.area(holes)
    points = shapely.point_on_surface(holes)
    small = (areas <= tolerances.gap_max_area_m2) & (areas >= tolerances.noise_m2)
    return [(float(p.x), float(p.y), float(a)) for p, a in zip(points[small], areas[small])]


def topology_flags(frame: gpd.GeoDataFrame, *, tolerances: TopologyTolerances = TopologyTolerances()) -> TopologyFlags:
    """Overlapping pairs, slivers and small gaps among the polygons of ``frame`` (projected CRS, metres).

    Returns
    -------
    TopologyFlags
        ``overlaps``: (position a, position b, overlap m²); ``slivers``:
        (position, area m², mean width m); ``gaps``: (x, y, area m²) of each gap's
        representative point.
    """
    flags = TopologyFlags()
    geoms = frame.geometry.to_numpy()
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) & shapely.is_valid(geoms)
    positions = np.flatnonzero(ok)
    geoms = geoms[ok]
    if not len(geoms):
        return flags
    area = shapely.area(geoms)
    perimeter = shapely.length(geoms)
    mean_width = np.divide(2.0 * area, perimeter, out=np.zeros_like(area), where=perimeter > 0)
    sliver = (area < tolerances.sliver_max_area_m2) | (mean_width < tolerances.sliver_max_width_m)
    flags.slivers = [(int(positions[i]), float(area[i]), float(mean_width[i])) for i in np.flatnonzero(sliver)]

    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # Interiors meet where two parcels intersect without merely touching (overlap or containment).
    inner = ~shapely.touches(geoms[left], geoms[right])
    if inner.any():
        a, b = left[inner], right[inner]
        shared = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        big = shared >= tolerances.noise_m2
        flags.overlaps = [(int(positions[i]), int(positions[j]), float(shared_m2))
                          for i, j, shared_m2 in zip(a[big], b[big], shared[big])]
    flags.gaps = _gaps(geoms, left, right, tolerances)
    return flags
