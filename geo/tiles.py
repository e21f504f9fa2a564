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
tile attributes, :func:`geo.tile_grid.tiles_touched` lists the tiles a set of feature
boxes reaches (buffer included), both vectorised; together they tell which cached tiles
an edit makes dirty. The grid itself (tile bounds, ranges, limits) is :mod:`geo.tile_grid`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import geopandas.array as geometry_array
import mapbox_vector_tile
import numpy as np
import pandas as pd
import shapely

from geo.crs import transformer
from geo.tile_grid import (
    DEFAULT_BUFFER,
    DEFAULT_EXTENT,
    MAX_ZOOM,
    MERCATOR_HALF_WORLD_M,
    WEB_MERCATOR_EPSG,
    check_tile,
    tile_bounds,
    tile_ranges,
    tiles_covering,
    tiles_touched,
)
from layers.geojson import json_ready

#: Douglas-Peucker tolerance in tile units (1/4096 of a tile): below what the grid can show.
SIMPLIFY_UNITS = 1.0
#: A patched source rebuilds the small tree of its added features at every patch; once they pass
#: MERGE_EXTRA_MIN features and 1/MERGE_EXTRA_SHARE of the base, base and extras are merged into one source
#: (a tree over the whole layer, from arrays: ~0.5 s at 10⁶ features, once per that many changed features),
#: so a patch costs at most a tree over a few thousand features (~2 ms).
MERGE_EXTRA_MIN = 4096
MERGE_EXTRA_SHARE = 64


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
    keys
        The record id of each feature (what :func:`patch_source` finds features by), or None.
    """

    layer: str
    geometries: np.ndarray
    tree: shapely.STRtree
    properties: Sequence[dict]
    ids: bool = True
    keys: pd.Index | None = None

    def __len__(self) -> int:
        return len(self.geometries)

    def hits(self, box: shapely.Polygon) -> np.ndarray:
        """Positions of the features that intersect ``box``, in drawing order."""
        return np.sort(self.tree.query(box, predicate="intersects"))

    def geometries_at(self, positions: np.ndarray) -> np.ndarray:
        return self.geometries[positions]

    def properties_at(self, position: int) -> dict:
        return self.properties[position]


@dataclass(frozen=True)
class PatchedSource:
    """A :class:`TileSource` with some features replaced, removed or added, at the cost of the change.

    The base keeps its tree; ``hidden`` masks the base features that were replaced or
    removed and ``extra`` holds the features that came (a small tree of their own).
    Positions ``0 … len(base) - 1`` are the base's, ``len(base) + i`` the extras'.
    Features are drawn in ``rank`` order: a replaced feature takes its old place, a new
    one comes after every base feature, so a tile holds its features in the order a
    source built afresh from the store (records updated in place, new ones appended) has.

    Attributes
    ----------
    base
        The source the patches apply to.
    hidden
        Boolean mask over ``base``: features no longer in the layer.
    extra
        The features added since ``base`` (with their record ids as ``keys``).
    rank
        The drawing rank of each extra feature (a base feature's rank is its position).
    """

    base: TileSource
    hidden: np.ndarray
    extra: TileSource
    rank: np.ndarray

    @property
    def layer(self) -> str:
        return self.base.layer

    @property
    def ids(self) -> bool:
        return False

    def __len__(self) -> int:
        return int((~self.hidden).sum()) + len(self.extra)

    def hits(self, box: shapely.Polygon) -> np.ndarray:
        base = self.base.hits(box)
        base = base[~self.hidden[base]]
        extra = self.extra.hits(box)
        if not len(extra):
            return base
        positions = np.concatenate([base, extra + len(self.base)])
        ranks = np.concatenate([base.astype(float), self.rank[extra]])
        return positions[np.argsort(ranks, kind="stable")]

    def geometries_at(self, positions: np.ndarray) -> np.ndarray:
        n = len(self.base)
        out = np.empty(len(positions), dtype=object)
        in_base = positions < n
        out[in_base] = self.base.geometries[positions[in_base]]
        out[~in_base] = self.extra.geometries[positions[~in_base] - n]
        return out

    def properties_at(self, position: int) -> dict:
        n = len(self.base)
        return self.base.properties[position] if position < n else self.extra.properties[position - n]


def tile_source(frame: gpd.GeoDataFrame, *, layer: str, properties: pd.DataFrame, ids: bool = True,
                keys: pd.Series | None = None) -> TileSource:
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
    keys
        The record id of each feature, aligned with ``frame``, for :func:`patch_source`.
    """
    if frame.crs is None:
        msg = f"layer {layer!r} has no CRS; tiles need to know where the features are"
        raise ValueError(msg)
    geometries = web_mercator(frame.geometry)
    return TileSource(layer, geometries, shapely.STRtree(geometries), FeatureRecords(properties), ids,
                      None if keys is None else _key_index(keys))


def _keys(values) -> pd.Index:
    """Record ids as an index, built one way everywhere: look-ups between indexes of different dtypes
    (object and text) convert the larger one each time, which costs the whole layer."""
    return pd.Index(np.asarray(values, dtype=object))


def _key_index(keys: pd.Series) -> pd.Index:
    """The record ids as an index whose hash table is built now, with the source (not by the first patch)."""
    index = _keys(keys)
    if index.is_unique and len(index):
        index.get_indexer(index[:1])
    return index


class FeatureRecords(Sequence):
    """Each feature's tile attributes as a dict of its JSON-ready values (missing ones left out), made when a tile
    asks for it: making a whole layer's at once (``to_dict``) was a third of a 10⁵-parcel park's first tile, and a
    tile holds a few hundred."""

    def __init__(self, properties: pd.DataFrame):
        ready = json_ready(properties)
        self._names = list(ready.columns)
        self._columns = [ready[name].to_numpy(dtype=object) for name in self._names]
        self._length = len(ready)

    def __len__(self) -> int:
        return self._length

    def __iter__(self):
        return (self[i] for i in range(self._length))

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._length))]
        return {name: value for name, column in zip(self._names, self._columns)
                if (value := column[position]) is not None}


def patch_source(source: TileSource | PatchedSource, removed: pd.Index, added: gpd.GeoDataFrame, *,
                 properties: pd.DataFrame, keys: pd.Series) -> PatchedSource | None:
    """``source`` without the features of records ``removed`` and with the features of ``added`` (aligned
    ``properties`` and record ids ``keys``), at the cost of the change, not of the layer.

    A record both removed and added (an edit) is replaced in its place. None when the
    source cannot be patched (built without keys, with feature ids, or with duplicate
    keys): then it must be built again.
    """
    base, hidden, extra, rank = ((source.base, source.hidden, source.extra, source.rank)
                                 if isinstance(source, PatchedSource)
                                 else (source, np.zeros(len(source), dtype=bool), None, np.empty(0)))
    if base.keys is None or base.ids or not base.keys.is_unique:
        return None
    gone = _keys(removed).union(_keys(keys))  # replaced records leave first
    at = base.keys.get_indexer(gone)
    hidden = hidden.copy()
    hidden[at[at >= 0]] = True
    extra = extra if extra is not None else TileSource(base.layer, np.empty(0, dtype=object), shapely.STRtree([]),
                                                         [], False, _keys([]))
    kept = ~extra.keys.isin(gone)
    if added.crs is None and len(added):
        msg = f"layer {base.layer!r} has no CRS; tiles need to know where the features are"
        raise ValueError(msg)
    geometries = web_mercator(added.geometry) if len(added) else np.empty(0, dtype=object)
    new_keys = _keys(np.asarray(keys, dtype=object))
    # A replaced record keeps its place (in the base, or among the extras); a new one comes after every
    # feature there is, in the order given.
    new_rank = base.keys.get_indexer(new_keys).astype(float)
    earlier = pd.Series(rank, index=extra.keys).reindex(new_keys).to_numpy(dtype=float) if len(extra) else \
        np.full(len(new_keys), np.nan)
    new_rank = np.where((new_rank < 0) & ~np.isnan(earlier), earlier, new_rank)
    fresh = new_rank < 0
    last = max(float(len(base)), float(rank.max()) + 1 if len(rank) else 0.0)
    new_rank[fresh] = last + np.arange(fresh.sum())
    all_geometries = np.concatenate([extra.geometries[kept], geometries])
    all_keys = _keys(np.concatenate([np.asarray(extra.keys[kept], dtype=object), np.asarray(new_keys)]))
    kept_properties = [p for p, k in zip(extra.properties, kept) if k]
    extra = TileSource(base.layer, all_geometries, shapely.STRtree(all_geometries),
                       kept_properties + list(FeatureRecords(properties)), False, all_keys)
    patched = PatchedSource(base, hidden, extra, np.concatenate([rank[kept], new_rank]))
    return merged(patched) if len(extra) > max(MERGE_EXTRA_MIN, len(base) // MERGE_EXTRA_SHARE) else patched


def merged(source: PatchedSource) -> TileSource:
    """One source of the features ``source`` draws, in its order: from its arrays (nothing is projected again)."""
    visible = np.flatnonzero(~source.hidden)
    order = np.argsort(np.concatenate([visible.astype(float), source.rank]), kind="stable")
    geometries = np.concatenate([source.base.geometries[visible], source.extra.geometries])[order]
    properties = [source.base.properties[i] for i in visible] + source.extra.properties
    keys = np.concatenate([np.asarray(source.base.keys[visible], dtype=object),
                           np.asarray(source.extra.keys, dtype=object)])[order]
    return TileSource(source.layer, geometries, shapely.STRtree(geometries), [properties[i] for i in order],
                      False, _key_index(keys))


def tile_features(
    source: TileSource | PatchedSource, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
) -> tuple[np.ndarray, np.ndarray]:
    """The features of one tile: (positions in the source, geometries in tile coordinates, y down).

    Geometries are clipped to the tile plus ``buffer`` units, simplified by
    :data:`SIMPLIFY_UNITS` and snapped to the integer grid; features left empty
    are dropped.
    """
    minx, _, maxx, maxy = tile_bounds(z, x, y)
    scale = extent / (maxx - minx)
    clip_box = buffered_tile_box(z, x, y, extent=extent, buffer=buffer)
    hits = source.hits(shapely.box(*clip_box))
    if not len(hits):
        return hits, np.empty(0, dtype=object)
    clipped = shapely.clip_by_rect(source.geometries_at(hits), *clip_box)
    local = shapely.transform(clipped, lambda c: np.column_stack(((c[:, 0] - minx) * scale, (maxy - c[:, 1]) * scale)))
    simplified = shapely.simplify(local, SIMPLIFY_UNITS, preserve_topology=True)
    snapped = shapely.set_precision(simplified, 1.0)
    keep = ~(shapely.is_empty(snapped) | shapely.is_missing(snapped))
    return hits[keep], snapped[keep]


def buffered_tile_box(z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
                      ) -> tuple[float, float, float, float]:
    """Tile (z, x, y) with its ``buffer`` (in tile units) around it, in Web Mercator: what a tile's features are
    selected and clipped by."""
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    pad = buffer * (maxx - minx) / extent
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


#: Points per edge when a tile's box is moved into another CRS: its edges curve there, and the box around the
#: curved edges must hold every point of the tile.
BOX_DENSIFY_POINTS = 21
#: Metres added around a tile's box moved into another CRS, for the rounding of the transformation.
BOX_MARGIN_M = 1.0


def tile_box_in(crs, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
                ) -> tuple[float, float, float, float]:
    """A box in ``crs`` (projected, metres) that holds :func:`buffered_tile_box`: the features to read from a store
    for one tile."""
    minx, miny, maxx, maxy = transformer(WEB_MERCATOR_EPSG, crs).transform_bounds(
        *buffered_tile_box(z, x, y, extent=extent, buffer=buffer), densify_pts=BOX_DENSIFY_POINTS)
    return (minx - BOX_MARGIN_M, miny - BOX_MARGIN_M, maxx + BOX_MARGIN_M, maxy + BOX_MARGIN_M)


def encode_tile(
    source: TileSource | PatchedSource, z: int, x: int, y: int, *, extent: int = DEFAULT_EXTENT, buffer: int = DEFAULT_BUFFER
) -> bytes:
    """The Mapbox Vector Tile of ``source`` at (z, x, y); empty bytes when no feature shows there."""
    positions, geometries = tile_features(source, z, x, y, extent=extent, buffer=buffer)
    if not len(positions):
        return b""
    features = [
        {"geometry": geometry, "properties": source.properties_at(i), **({"id": int(i) + 1} if source.ids else {})}
        for i, geometry in zip(positions.tolist(), geometries)
    ]
    return mapbox_vector_tile.encode(
        [{"name": source.layer, "features": features}],
        default_options={"extents": extent, "y_coord_down": True,
                         "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid},
    )


def web_mercator(geometries: gpd.GeoSeries) -> np.ndarray:
    """``geometries.to_crs(3857).to_numpy()``, the same numbers, with the transformer made once per CRS: geopandas
    makes one on every call (50–360 ms), which is more than a tile read for itself costs."""
    if geometries.crs is None:
        return geometries.to_crs(WEB_MERCATOR_EPSG).to_numpy()
    return geometry_array.transform(geometries.to_numpy(), transformer(geometries.crs, WEB_MERCATOR_EPSG).transform)


def mercator_bounds(geometries: gpd.GeoSeries) -> np.ndarray:
    """(n, 4) Web Mercator boxes (minx, miny, maxx, maxy) of ``geometries`` (any CRS); NaN for missing ones."""
    if not len(geometries):
        return np.empty((0, 4))
    data = geometries.to_numpy()
    if geometries.crs is None or shapely.has_z(data).any():
        return shapely.bounds(geometries.to_crs(WEB_MERCATOR_EPSG).to_numpy())
    # A box is the least and greatest of its geometry's coordinates: reprojecting the coordinates gives the boxes of
    # the reprojected geometries (the same numbers, as geopandas' to_crs transforms the same coordinates with the
    # same transformer) without making the geometries again, which was half of a first tile's fingerprinting.
    coords, index = shapely.get_coordinates(data, return_index=True)
    x, y = transformer(geometries.crs, WEB_MERCATOR_EPSG).transform(coords[:, 0], coords[:, 1])
    out = np.full((len(data), 4), np.nan)
    if len(index):
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        rows = index[starts]
        for column, values, reduce in ((0, x, np.minimum), (1, y, np.minimum), (2, x, np.maximum), (3, y, np.maximum)):
            out[rows, column] = reduce.reduceat(np.asarray(values, dtype=float), starts)
    return out



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


#: The grid's names stay importable from here, where tile users have always found them.
__all__ = ["DEFAULT_BUFFER", "DEFAULT_EXTENT", "MAX_ZOOM", "MERCATOR_HALF_WORLD_M", "SIMPLIFY_UNITS",
           "WEB_MERCATOR_EPSG",
           "PatchedSource", "TileSource", "buffered_tile_box", "check_tile", "decode_tile", "encode_tile", "feature_digests", "mercator_bounds",
           "merged", "patch_source", "tile_bounds", "tile_box_in", "tile_features", "tile_ranges", "tile_source", "tiles_covering", "tiles_touched"]
