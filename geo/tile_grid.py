"""The XYZ tile grid of Web Mercator: tile bounds, the tiles a box touches, the grid's limits.

A coordinate-system helper (like :mod:`geo.crs`), so the layers' tile cache may use it to
tell which cached tiles an edit makes dirty; cutting and encoding tiles is :mod:`geo.tiles`.
"""

from __future__ import annotations

import numpy as np

WEB_MERCATOR_EPSG = 3857
#: Half the width of the Web Mercator world in metres (π × 6 378 137 m).
MERCATOR_HALF_WORLD_M = np.pi * 6_378_137.0
#: Tile units across a tile and the buffer around it, as PostGIS's ST_AsMVT uses by default.
DEFAULT_EXTENT = 4096
DEFAULT_BUFFER = 64
MAX_ZOOM = 24


def check_tile(z: int, x: int, y: int, *, max_zoom: int = MAX_ZOOM) -> None:
    """Raise ``ValueError`` naming the bad value unless (z, x, y) is a tile of the XYZ grid."""
    if not 0 <= z <= max_zoom:
        msg = f"tile zoom must be between 0 and {max_zoom}, got {z}"
        raise ValueError(msg)
    n = 1 << z
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < n:
            msg = f"tile {name} at zoom {z} must be between 0 and {n - 1}, got {value}"
            raise ValueError(msg)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of XYZ tile (z, x, y) in Web Mercator metres (y = 0 at the top row)."""
    size = 2 * MERCATOR_HALF_WORLD_M / (1 << z)
    minx = -MERCATOR_HALF_WORLD_M + x * size
    maxy = MERCATOR_HALF_WORLD_M - y * size
    return (minx, maxy - size, minx + size, maxy)


def tiles_covering(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """The (x, y) of every zoom-``z`` tile that a Web Mercator box touches."""
    size = 2 * MERCATOR_HALF_WORLD_M / (1 << z)
    last = (1 << z) - 1
    x0, x1 = (int(np.clip(np.floor((v + MERCATOR_HALF_WORLD_M) / size), 0, last)) for v in (bounds[0], bounds[2]))
    y0, y1 = (int(np.clip(np.floor((MERCATOR_HALF_WORLD_M - v) / size), 0, last)) for v in (bounds[3], bounds[1]))
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_ranges(
    bounds: np.ndarray, z: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tile columns x0..x1 and rows y0..y1 at zoom ``z`` whose buffered box touches each Web Mercator box.

    A tile takes every feature that intersects it grown by ``buffer`` units (on
    both stores); a box that only touches that margin counts, so the ranges err
    on the side of one tile too many.
    """
    size = 2 * MERCATOR_HALF_WORLD_M / (1 << z)
    pad = size * buffer / extent
    last = (1 << z) - 1
    # Tile x's buffered box is [x·size - pad, (x+1)·size + pad] from the world's west edge.
    x0 = np.ceil((bounds[:, 0] + MERCATOR_HALF_WORLD_M - pad) / size - 1)
    x1 = np.floor((bounds[:, 2] + MERCATOR_HALF_WORLD_M + pad) / size)
    y0 = np.ceil((MERCATOR_HALF_WORLD_M - bounds[:, 3] - pad) / size - 1)
    y1 = np.floor((MERCATOR_HALF_WORLD_M - bounds[:, 1] + pad) / size)
    return tuple(np.clip(v, 0, last).astype(np.int64) for v in (x0, y0, x1, y1))


def tiles_touched(
    bounds: np.ndarray, zooms, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
) -> np.ndarray:
    """The distinct tiles (rows of z, x, y; int64, sorted) that Web Mercator boxes touch at each of ``zooms``.

    Boxes with NaN (missing geometries) touch nothing.
    """
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
    bounds = bounds[np.isfinite(bounds).all(axis=1)]
    found = [np.empty((0, 3), dtype=np.int64)]
    for z in zooms:
        x0, y0, x1, y1 = tile_ranges(bounds, int(z), extent=extent, buffer=buffer)
        width, height = x1 - x0 + 1, y1 - y0 + 1
        counts = width * height
        owner = np.repeat(np.arange(len(bounds)), counts)
        # Position of each tile inside its box's range, row by row.
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        xs = x0[owner] + offset % width[owner]
        ys = y0[owner] + offset // width[owner]
        found.append(np.column_stack((np.full(len(xs), int(z), dtype=np.int64), xs, ys)))
    return np.unique(np.concatenate(found), axis=0)
