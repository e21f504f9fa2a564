"""Vector tiles (Mapbox Vector Tile) cut from a layer: XYZ tile math, clipping, generalisation, encoding.

Pure: frames in, tile bytes out. A :class:`TileSource` holds a layer's geometries
in Web Mercator (the browser's tile grid; never used for measuring) with an STRtree
built once, and its per-feature properties. :func:`encode_tile` selects the features
that intersect the tile plus a buffer, clips them to the buffered tile, moves them
to tile coordinates, simplifies them by one tile unit and snaps them to the integer
grid (so what is smaller than a pixel at that zoom disappears), all vectorised; only
the final protobuf encoding (``mapbox_vector_tile``) visits features one by one.

The same conventions as PostGIS's ``ST_AsMVTGeom``/``ST_AsMVT`` (extent 4096, buffer
64, y down, feature id = 1-based row number), so both stores serve the same tiles.
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
    """

    layer: str
    geometries: np.ndarray
    tree: shapely.STRtree
    properties: list[dict]

    def __len__(self) -> int:
        return len(self.geometries)


def tile_source(frame: gpd.GeoDataFrame, *, layer: str, properties: pd.DataFrame) -> TileSource:
    """Index ``frame`` (any projected or geographic CRS) for tiling.

    Parameters
    ----------
    frame
        The layer, one feature per row.
    layer
        Name of the layer inside the tiles.
    properties
        Attributes to put in the tiles, aligned with ``frame`` (ids, style fields).
    """
    if frame.crs is None:
        msg = f"layer {layer!r} has no CRS; tiles need to know where the features are"
        raise ValueError(msg)
    geometries = frame.geometry.to_crs(WEB_MERCATOR_EPSG).to_numpy()
    ready = json_ready(properties)
    records = [{k: v for k, v in row.items() if v is not None} for row in ready.to_dict("records")]
    return TileSource(layer, geometries, shapely.STRtree(geometries), records)


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
        {"geometry": geometry, "properties": source.properties[i], "id": int(i) + 1}
        for i, geometry in zip(positions.tolist(), geometries)
    ]
    return mapbox_vector_tile.encode(
        [{"name": source.layer, "features": features}],
        default_options={"extents": extent, "y_coord_down": True,
                         "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid},
    )


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
