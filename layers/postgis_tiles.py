"""Mapbox Vector Tiles made by PostGIS: every requested layer of one tile in one statement.

A page asks for one tile of several layers (``zones,parcels,roads,…``). Each layer is a
scalar sub-select ``(SELECT ST_AsMVT(…) FROM <layer> …)``, and all of them are columns
of one ``SELECT``: one round trip and one pooled connection per page tile instead of
one per layer, while each layer's bytes still come back on their own (the tile cache
keeps layers apart, so an edit of one leaves the others' tiles alone).

Only records in force are drawn (``retired_on IS NULL``, as ``geo.records.in_force``
without a day and the GeoJSON pages): a retired record is history, not map.

Conventions as ``geo.tiles`` (extent 4096, buffer 64, y down, features in table
order ``fid``, no feature id), so both stores serve the same tiles.
:func:`feature_fingerprints` lets the tile cache see which features an edit changed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from layers._sql import identifier
from layers.registry import get_layer


@dataclass(frozen=True)
class LayerRequest:
    """What one layer contributes to a tile.

    Attributes
    ----------
    name
        Registry layer (its table in the park schema) and the MVT layer name.
    columns
        Attributes to include (NULLs are left out of a feature, as MVT has no null).
    area_column, m2_per_area_unit
        Optionally an attribute with each feature's area in the working CRS divided
        by ``m2_per_area_unit`` (e.g. 亩), rounded to 2 decimals.
    layer_column
        Optionally an attribute holding the layer's name in every feature.
    """

    name: str
    columns: tuple[str, ...]
    area_column: str | None = None
    m2_per_area_unit: float = 1.0
    layer_column: str | None = None


def _in_force(name: str):
    """The SQL condition keeping the records of layer ``name`` in force (every record when it keeps no ``retired_on``)."""
    from psycopg import sql

    fields = {f.name for f in get_layer(name).fields}
    return sql.SQL("retired_on IS NULL" if "retired_on" in fields else "true")


def _layer_select(schema: str, request: LayerRequest):
    from psycopg import sql

    spec = get_layer(request.name)
    if spec.geometry is None:
        msg = f"layer {request.name!r} is a table without geometry; it has no tiles"
        raise ValueError(msg)
    selected = [identifier(c) for c in request.columns]
    if request.layer_column:
        selected.append(sql.SQL("{} AS {}").format(sql.Literal(request.name), identifier(request.layer_column)))
    if request.area_column:
        selected.append(sql.SQL("round((ST_Area(geometry) / {})::numeric, 2)::float8 AS {}").format(
            sql.Literal(float(request.m2_per_area_unit)), identifier(request.area_column)))
    # Features are clipped and snapped to the tile grid by ST_AsMVTGeom (what is smaller than
    # a tile unit disappears, as on the GeoPackage path); an explicit simplification was
    # measured to triple the time of a tile for no visible change at the grid's resolution.
    return sql.SQL(
        "(SELECT ST_AsMVT(mvt, {layer}, %(extent)s, 'geom') FROM ("
        "SELECT {selected}, ST_AsMVTGeom(ST_Transform(geometry, 3857), bounds.tile, %(extent)s, %(buffer)s, true) "
        "AS geom FROM {schema}.{table}, bounds WHERE ST_Transform(geometry, 3857) && bounds.padded AND {in_force} "
        "ORDER BY fid) AS mvt WHERE geom IS NOT NULL)"
    ).format(layer=sql.Literal(request.name), selected=sql.SQL(", ").join(selected),
             schema=identifier(schema), table=identifier(request.name), in_force=_in_force(request.name))


def mvt_tiles(store, requests: list[LayerRequest], z: int, x: int, y: int, *, extent: int = 4096,
              buffer: int = 64) -> dict[str, bytes]:
    """Tile (z, x, y) of each requested layer of a :class:`layers.postgis.PostGISStore`, in one statement.

    Returns layer name → tile bytes (empty where the layer has nothing there or the
    park has no such layer).
    """
    import psycopg
    from psycopg import sql

    if not requests:
        return {}
    params = {"z": z, "x": x, "y": y, "margin": buffer / extent, "extent": extent, "buffer": buffer}
    with store.connection() as conn:
        present = None
        while True:
            asked = [r for r in requests if present is None or r.name in present]
            if not asked:
                return {r.name: b"" for r in requests}
            query = sql.SQL(
                "WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile, "
                "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS padded) SELECT {} FROM bounds"
            ).format(sql.SQL(", ").join(_layer_select(store.schema, r) for r in asked))
            try:  # the tables are there on the hot path; look which are only when one is not
                with conn.transaction():
                    row = conn.execute(query, params, prepare=False).fetchone()
                break
            except psycopg.errors.UndefinedTable:
                if present is not None:
                    raise
                present = store._require(conn)
    made = {r.name: bytes(value) if value is not None else b"" for r, value in zip(asked, row)}
    return {r.name: made.get(r.name, b"") for r in requests}


def feature_fingerprints(store, name: str, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature fingerprints and Web Mercator boxes of layer ``name``, computed by the database.

    Records in force only (those the tiles draw): retiring a record takes its
    fingerprint away, so the tiles it reached are dropped like those of a deleted one.
    The fingerprint (uint64, in ``fid`` order) covers the geometry's EWKB and the
    tile ``columns``; equal fingerprints mean the feature is drawn the same in every
    tile. The tile cache compares them across versions without loading the layer
    into Python (one pass over the table, a few seconds for 10⁶ features).
    """
    import psycopg
    from psycopg import sql

    query = sql.SQL(
        "COPY (SELECT hashtextextended(md5(ST_AsEWKB(geometry)) || ROW({columns})::text, 0), "
        "ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ("
        "SELECT fid, geometry, {columns}, Box2D(ST_Transform(geometry, 3857)) AS b FROM {schema}.{table} "
        "WHERE {in_force}) AS t ORDER BY fid) TO STDOUT WITH (FORMAT csv)"
    ).format(columns=sql.SQL(", ").join(identifier(c) for c in columns), schema=identifier(store.schema),
             table=identifier(name), in_force=_in_force(name))
    buffer = io.BytesIO()
    with store.connection() as conn:
        try:
            with conn.transaction(), conn.cursor() as cur, cur.copy(query) as copy:
                for chunk in copy:
                    buffer.write(chunk)
        except psycopg.errors.UndefinedTable:
            store._require(conn)
            return np.empty(0, dtype=np.uint64), np.empty((0, 4))
    if not buffer.getbuffer().nbytes:
        return np.empty(0, dtype=np.uint64), np.empty((0, 4))
    buffer.seek(0)
    names = ["digest", "minx", "miny", "maxx", "maxy"]
    table = pacsv.read_csv(buffer, read_options=pacsv.ReadOptions(column_names=names),
                           convert_options=pacsv.ConvertOptions(
                               column_types={"digest": pa.int64(), **{n: pa.float64() for n in names[1:]}}))
    digests = table["digest"].to_numpy().view(np.uint64)
    bounds = np.column_stack([table[n].to_numpy(zero_copy_only=False) for n in names[1:]])
    return digests, bounds
