"""Pairs of geometries within a distance, and nearest distances, vectorised.

Shared by the readiness, road-network and clearance analyses. Candidates come from
an STRtree queried with each geometry's envelope widened by its search distance
(a bounding-box test, cheap), then one vectorised exact distance per candidate.
Evaluating ``dwithin``/``intersects`` inside the tree query costs several times
more per pair, and a distance of 0 already says two geometries meet.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Slack (m) for comparing lengths computed from large Gauss-Krüger coordinates,
#: whose floating-point noise is ~1e-9 m: far below any survey precision.
EPS_M = 1e-6

#: Long lines are cut into straight pieces of at most this length for nearest
#: searches: a 2 km main's envelope would otherwise make it a candidate everywhere.
PIECE_M = 100.0

#: Geometries handled at once by :func:`any_within` (their candidate pairs take some tens of MB).
_BLOCK = 100_000


def box_pairs(a: np.ndarray, b: np.ndarray, within_m: float | np.ndarray, *, tree: shapely.STRtree | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (i, j): ``b[j]``'s envelope meets ``a[i]``'s widened by ``within_m`` (+ :data:`EPS_M`).

    Every pair closer than ``within_m`` is among them (an envelope test, no exact distance).
    ``tree``: an STRtree of ``b`` already built.
    """
    empty = np.array([], dtype=np.intp)
    if len(a) == 0 or len(b) == 0:
        return empty, empty
    reach = np.broadcast_to(np.asarray(within_m, dtype=float), (len(a),)) + EPS_M
    x0, y0, x1, y1 = shapely.bounds(a).T
    # Widened by the same slack as the exact tests allow, so the box never drops a pair they keep.
    tree = shapely.STRtree(b) if tree is None else tree
    return tree.query(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach))


def near_pairs(a: np.ndarray, b: np.ndarray, within_m: float | np.ndarray, *, tree: shapely.STRtree | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i, j) with ``distance(a[i], b[j]) <= within_m`` (a scalar or one value per ``a``).

    ``tree``: an STRtree of ``b`` already built (a caller going through ``a`` in blocks builds it once).

    Returns
    -------
    tuple
        Positions into ``a`` and into ``b``, and the distance of each pair.
    """
    within = np.broadcast_to(np.asarray(within_m, dtype=float), (len(a),))
    i, j = box_pairs(a, b, within, tree=tree)
    distance = shapely.distance(a[i], b[j])
    keep = distance <= within[i] + EPS_M
    return i[keep], j[keep], distance[keep]


def envelope_gap(a_box: np.ndarray, b_box: np.ndarray) -> np.ndarray:
    """Distance between envelopes, row by row (bounds as ``shapely.bounds`` gives them): a lower bound of the
    distance between the geometries."""
    return envelope_gap_at(tuple(a_box.T), None, tuple(b_box.T), None)


def envelope_gap_at(a_bounds: tuple[np.ndarray, ...], i: np.ndarray | None, b_bounds: tuple[np.ndarray, ...],
                    j: np.ndarray | None) -> np.ndarray:
    """:func:`envelope_gap` of the envelopes ``a[i]`` and ``b[j]``, given as four arrays each (xmin, ymin, xmax,
    ymax; ``None``: all rows in order): one-dimensional takes instead of copying n × 4 bounds per pair."""
    ax0, ay0, ax1, ay1 = (column if i is None else column[i] for column in a_bounds)
    bx0, by0, bx1, by1 = (column if j is None else column[j] for column in b_bounds)
    dx = np.maximum(bx0 - ax1, ax0 - bx1)
    dy = np.maximum(by0 - ay1, ay0 - by1)
    return np.hypot(np.maximum(dx, 0.0, out=dx), np.maximum(dy, 0.0, out=dy))


def any_within(a: np.ndarray, b: np.ndarray, within_m: float | np.ndarray, masks: list[np.ndarray]
               ) -> list[np.ndarray]:
    """For each mask over ``b``: whether each of ``a`` lies within ``within_m`` of one of ``b[mask]``.

    The test of :func:`near_pairs` (``distance <= within_m + EPS_M``), without measuring
    every pair: each geometry's candidate with the nearest envelope is measured first,
    and the other candidates only for the geometries it did not settle.
    """
    out = [np.zeros(len(a), dtype=bool) for _ in masks]
    within = np.broadcast_to(np.asarray(within_m, dtype=float), (len(a),))
    if len(a) == 0 or len(b) == 0:
        return out
    tree, a_bounds, b_bounds = shapely.STRtree(b), shapely.bounds(a), shapely.bounds(b)
    # In blocks of ``a``: at 10⁶ parcels the candidate pairs would otherwise take gigabytes at once.
    for start in range(0, len(a), _BLOCK):
        block = slice(start, start + _BLOCK)
        i, j = box_pairs(a[block], b, within[block], tree=tree)
        i += start
        gap = envelope_gap(a_bounds[i], b_bounds[j])
        # Envelopes farther apart than the limit cannot hold a pair within it (twice the slack: rounding).
        near = gap <= within[i] + 2 * EPS_M
        i, j, gap = i[near], j[near], gap[near]
        order = np.lexsort((gap, i))  # per geometry, nearest envelope first
        for mask, found in zip(masks, out):
            mine = order[mask[j[order]]]
            first = np.ones(len(mine), dtype=bool)
            first[1:] = i[mine][1:] != i[mine][:-1]
            for tested in (mine[first], mine[~first]):
                tested = tested[~found[i[tested]]]
                hit = shapely.distance(a[i[tested]], b[j[tested]]) <= within[i[tested]] + EPS_M
                found[i[tested][hit]] = True
    return out


def run_positions(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Positions ``first[k], first[k] + 1, …, first[k] + count[k] - 1`` for each k in turn, in one array."""
    return np.repeat(first - (np.cumsum(count) - count), count) + np.arange(count.sum())


def run_blocks(keys: np.ndarray, weights: np.ndarray, size: float) -> list[tuple[int, int]]:
    """Ranges of positions holding about ``size`` of ``weights`` each, never splitting a run of equal ``keys``
    (the rows of one key, grouped, are handled together).

    ``keys`` must be grouped (equal keys adjacent), as sorted keys are.
    """
    if not len(keys):
        return []
    run_end = np.flatnonzero(np.append(keys[1:] != keys[:-1], True)) + 1
    total = np.cumsum(weights)[run_end - 1]
    cuts = run_end[np.unique(np.minimum(np.searchsorted(total, np.arange(size, total[-1] + size, size)),
                                        len(run_end) - 1))]
    starts = np.concatenate([[0], cuts[:-1]])
    return list(zip(starts.tolist(), cuts.tolist()))


def segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every straight segment of lines, or of polygons' rings: start and end xy (n × 2) and its geometry's position.

    Segments come in the order of their geometries (positions never decrease).
    """
    kind = shapely.get_type_id(geoms)
    if ((kind == shapely.GeometryType.LINESTRING.value) | (kind == shapely.GeometryType.LINEARRING.value)
            | ((kind == shapely.GeometryType.POLYGON.value) & (shapely.get_num_interior_rings(geoms) == 0))).all():
        # Single lines and polygons without holes (parcels, road centrelines): the coordinates of each are one
        # run, so parts and rings need not be taken apart (most of the time at 10⁶ parcels).
        parts, part_of = geoms, np.arange(len(geoms))
    else:
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        polygonal = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON.value
        if polygonal.any():
            rings, ring_of = shapely.get_rings(parts[polygonal], return_index=True)
            owners = part_of[polygonal][ring_of]
            parts = np.concatenate([rings, parts[~polygonal]])
            part_of = np.concatenate([owners, part_of[~polygonal]])
            order = np.argsort(part_of, kind="stable")
            parts, part_of = parts[order], part_of[order]
    xy, vertex_of = shapely.get_coordinates(parts, return_index=True)
    step = vertex_of[1:] == vertex_of[:-1]
    return xy[:-1][step], xy[1:][step], part_of[vertex_of[:-1][step]]


def pieces(lines: np.ndarray, *, max_m: float = PIECE_M) -> tuple[np.ndarray, np.ndarray]:
    """Straight pieces of at most ``max_m`` of each line, and the position of the line each comes from."""
    starts, ends, owner = segments(shapely.segmentize(lines, max_m))
    return shapely.linestrings(np.stack([starts, ends], axis=1)), owner


def clip_to_rectangles(start_uv: np.ndarray, end_uv: np.ndarray, length_m: np.ndarray, half_width_m: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Clip segments, given in each rectangle's own frame, to ``0 ≤ u ≤ length``, ``|v| ≤ half_width``.

    Liang–Barsky clipping, vectorised; the rectangles are widened by :data:`EPS_M`
    so that a segment lying on an edge counts as inside.

    Returns
    -------
    tuple
        The parameters ``t0 ≤ t1`` (0 … 1 along each segment) of the part inside;
        ``t0 > t1`` where nothing is.
    """
    return clip_uv(start_uv[:, 0], start_uv[:, 1], end_uv[:, 0], end_uv[:, 1], length_m, half_width_m)


def clip_uv(a_u: np.ndarray, a_v: np.ndarray, b_u: np.ndarray, b_v: np.ndarray, length_m: np.ndarray,
            half_width_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clip_to_rectangles` of the segments from (``a_u``, ``a_v``) to (``b_u``, ``b_v``), one array per
    coordinate (no n × 2 copies)."""
    # One edge at a time (p·t ≤ q per edge): no 4 × n arrays, the same quotients and extremes, updated in place
    # (t0 ≥ 0 and t1 ≤ 1 throughout, so only the edges a segment enters or leaves by need comparing).
    du, dv = b_u - a_u, b_v - a_v
    t0, t1 = np.zeros(len(du)), np.ones(len(du))
    outside = np.zeros(len(du), dtype=bool)
    ratio = np.empty(len(du))
    for p, q in ((-du, a_u + EPS_M), (du, length_m + EPS_M - a_u),
                 (-dv, a_v + half_width_m + EPS_M), (dv, half_width_m + EPS_M - a_v)):
        entering, leaving = p < 0, p > 0
        np.divide(q, p, out=ratio, where=entering | leaving)
        np.maximum(t0, ratio, out=t0, where=entering)
        np.minimum(t1, ratio, out=t1, where=leaving)
        # A segment parallel to an edge and outside it has no part inside.
        outside |= ~(entering | leaving) & (q < 0)
    t1[outside] = -1.0
    return t0, t1


def nearest_distance(a: np.ndarray, b: np.ndarray, *, known: tuple[np.ndarray, np.ndarray] | None = None
                     ) -> np.ndarray:
    """Distance from each of ``a`` to the nearest of the lines ``b`` (NaN when ``b`` is empty).

    Parameters
    ----------
    known
        ``(positions into a, distances)`` of every pair closer than some radius
        (from :func:`near_pairs`); those geometries take their nearest from it and
        only the others search a tree of the lines cut into short pieces.
    """
    out = np.full(len(a), np.nan)
    if len(a) == 0 or len(b) == 0:
        return out
    if known is not None:
        np.fmin.at(out, known[0], known[1])
    rest = np.flatnonzero(np.isnan(out))
    if len(rest):
        (found, _), distance = shapely.STRtree(pieces(b)[0]).query_nearest(a[rest], return_distance=True,
                                                                            all_matches=False)
        out[rest[found]] = distance
    return out


__all__ = ["EPS_M", "PIECE_M", "any_within", "box_pairs", "clip_to_rectangles", "clip_uv", "envelope_gap",
           "envelope_gap_at", "near_pairs", "nearest_distance", "pieces", "run_blocks", "run_positions",
           "segments"]
