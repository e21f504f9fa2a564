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


def near_pairs(a: np.ndarray, b: np.ndarray, within_m: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i, j) with ``distance(a[i], b[j]) <= within_m`` (a scalar or one value per ``a``).

    Returns
    -------
    tuple
        Positions into ``a`` and into ``b``, and the distance of each pair.
    """
    empty = np.array([], dtype=np.intp)
    if len(a) == 0 or len(b) == 0:
        return empty, empty, np.array([])
    within = np.broadcast_to(np.asarray(within_m, dtype=float), (len(a),))
    x0, y0, x1, y1 = shapely.bounds(a).T
    boxes = shapely.box(x0 - within, y0 - within, x1 + within, y1 + within)
    i, j = shapely.STRtree(b).query(boxes)
    distance = shapely.distance(a[i], b[j])
    keep = distance <= within[i] + EPS_M
    return i[keep], j[keep], distance[keep]


def pieces(lines: np.ndarray, *, max_m: float = PIECE_M) -> tuple[np.ndarray, np.ndarray]:
    """Straight pieces of at most ``max_m`` of each line, and the position of the line each comes from."""
    parts, part_of = shapely.get_parts(lines, return_index=True)
    xy, vertex_of = shapely.get_coordinates(shapely.segmentize(parts, max_m), return_index=True)
    step = vertex_of[1:] == vertex_of[:-1]
    starts, ends = xy[:-1][step], xy[1:][step]
    return shapely.linestrings(np.stack([starts, ends], axis=1)), part_of[vertex_of[:-1][step]]


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


__all__ = ["EPS_M", "PIECE_M", "near_pairs", "nearest_distance", "pieces"]
