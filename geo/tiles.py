"""Vector tiles (Mapbox Vector Tile) cut from a layer: XYZ tile math, clipping, generalisation, encoding.

Pure: frames in, tile bytes out. A :class:`TileSource` holds a layer's geometries
in Web Mercator (the browser's tile grid; never used for measuring) with an STRtree
built once, and its per-feature properties. :func:`encode_tile` selects the features
that intersect the tile plus a buffer, clips them to the buffered tile, moves them
to tile coordinates, simplifies them by one tile unit and snaps them to the integer
grid (so what is smaller than a pixel at that zoom disappears), all vectorised; only
the final protobuf encoding (``mapbox_vector_tile``) visits features one by one.

The same conventions as PostGIS's ``ST_AsMVTGeom``/``ST_AsMVT`` (extent 4096, buffer
64, y down), so both stores serve the same tiles. Feature ids (1-based row numbers)
are optional: the app leaves them out, so a tile's bytes depend only on the features
that touch it and an edit elsewhere leaves it as it was.

For tile caches: :func:`feature_digests` fingerprints each feature's geometry and
tile attributes, :func:`tiles_touched` lists the tiles a set of feature boxes reaches
(buffer included), both vectorised; together they tell which cached tiles an edit
makes dirty.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import shapely

from layers.geojson import json_ready

WEB_MERCATOR_EPSG = 3857
#: Half the width of the Web Mercator world in metres (π × 6 378 137 m).
MERCATOR_HALF_WORLD_M = np.pi * 6_378_137.0
DEFAULT_EXTENT = 4096
DEFAULT_BUFFER = 64
#: Douglas-Peucker tolerance in tile units (1/4096 of a tile): below what the grid can show.
SIMPLIFY_UNITS = 1.0
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


@dataclass
class TileSource:
    """One layer ready to be cut into tiles.

    Attributes
    ----------
    layer
        Name of the MVT layer in every tile.
    geometries
        Web Mercator geometries, one per feature, in the order of the input frame.
    tree
        STRtree over ``geometries``.
    properties
        JSON-native property dicts (missing values left out), one per feature.
    ids
        Whether features carry their 1-based row number as MVT feature id.
    """

    layer: str
    geometries: np.ndarray
    tree: shapely.STRtree
    properties: list[dict]
    ids: bool = True

    def __len__(self) -> int:
        return len(self.geometries)


def tile_source(frame: gpd.GeoDataFrame, *, layer: str, properties: pd.DataFrame, ids: bool = True) -> TileSource:
    """Index ``frame`` (any projected or geographic CRS) for tiling.

    Parameters
    ----------
    frame
        The layer, one feature per row.
    layer
        Name of the layer inside the tiles.
    properties
        Attributes to put in the tiles, aligned with ``frame`` (ids, style fields).
    ids
        Give each feature its row number as MVT feature id (then deleting a row
        changes the tiles of every later row).
    """
    if frame.crs is None:
        msg = f"layer {layer!r} has no CRS; tiles need to know where the features are"
        raise ValueError(msg)
    geometries = frame.geometry.to_crs(WEB_MERCATOR_EPSG).to_numpy()
    ready = json_ready(properties)
    records = [{k: v for k, v in row.items() if v is not None} for row in ready.to_dict("records")]
    return TileSource(layer, geometries, shapely.STRtree(geometries), records, ids)


def tile_features(
    source: TileSource, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
) -> tuple[np.ndarray, np.ndarray]:
    """The features of one tile: (positions in the source, geometries in tile coordinates, y down).

    Geometries are clipped to the tile plus ``buffer`` units, simplified by
    :data:`SIMPLIFY_UNITS` and snapped to the integer grid; features left empty
    are dropped.
    """
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    scale = extent / (maxx - minx)
    pad = buffer / scale
    clip_box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    hits = np.sort(source.tree.query(shapely.box(*clip_box), predicate="intersects"))
    if not len(hits):
        return hits, np.empty(0, dtype=object)
    clipped = shapely.clip_by_rect(source.geometries[hits], *clip_box)
    local = shapely.transform(clipped, lambda c: np.column_stack(((c[:, 0] - minx) * scale, (maxy - c[:, 1]) * scale)))
    simplified = shapely.simplify(local, SIMPLIFY_UNITS, preserve_topology=True)
    snapped = shapely.set_precision(simplified, 1.0)
    keep = ~(shapely.is_empty(snapped) | shapely.is_missing(snapped))
    return hits[keep], snapped[keep]


def encode_tile(
    source: TileSource, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
) -> bytes:
    """The Mapbox Vector Tile of ``source`` at (z, x, y); empty bytes when no feature shows there."""
    positions, geometries = tile_features(source, z, x, y, extent=extent, buffer=buffer)
    if not len(positions):
        return b""
    features = [
        {"geometry": geometry, "properties": source.properties[i], **({"id": int(i) + 1} if source.ids else {})}
        for i, geometry in zip(positions.tolist(), geometries)
    ]
    return mapbox_vector_tile.encode(
        [{"name": source.layer, "features": features}],
        default_options={"extents": extent, "y_coord_down": True,
                         "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid},
    )


def mercator_bounds(geometries: gpd.GeoSeries) -> np.ndarray:
    """(n, 4) Web Mercator boxes (minx, miny, maxx, maxy) of ``geometries`` (any CRS); NaN for missing ones."""
    if not len(geometries):
        return np.empty((0, 4))
    return shapely.bounds(geometries.to_crs(WEB_MERCATOR_EPSG).to_numpy())


def feature_digests(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> np.ndarray:
    """A 64-bit fingerprint of each feature's geometry and tile attributes (uint64, aligned with ``frame``).

    Equal fingerprints mean the feature would be drawn the same in every tile;
    the hash is pandas' keyed SipHash, the same in every process.
    """
    # The columns keep their dtypes: to_numpy() would turn a nullable integer column into floats
    # only when it has a missing value, and so change the fingerprints of all its other rows.
    data = properties.set_axis([f"p{i}" for i in range(properties.shape[1])], axis=1).set_axis(frame.index)
    data["wkb"] = shapely.to_wkb(frame.geometry.to_numpy(), flavor="iso")
    hashed = pd.util.hash_pandas_object(data, index=False)
    return hashed.to_numpy(dtype=np.uint64)


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


def decode_tile(data: bytes, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT) -> dict[str, gpd.GeoDataFrame]:
    """Decode a tile back to Web Mercator frames by layer (for tests and checks), with ``fid`` and properties."""
    if not data:
        return {}
    minx, _, maxx, maxy = tile_bounds(z, x, y)
    unit = (maxx - minx) / extent
    decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    out = {}
    for name, layer in decoded.items():
        rows = [{"fid": f.get("id"), **f["properties"]} for f in layer["features"]]
        shapes = shapely.from_geojson([_geojson_text(f["geometry"]) for f in layer["features"]])
        shapes = shapely.transform(shapes, lambda c: np.column_stack((minx + c[:, 0] * unit, maxy - c[:, 1] * unit)))
        out[name] = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=shapes, crs=WEB_MERCATOR_EPSG)
    return out


def _geojson_text(geometry: dict) -> str:
    import json

    return json.dumps(geometry)
