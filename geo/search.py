"""Find park features by id or name for the map's search box: pure, frames in, hits out.

Parcels, buildings, roads and facilities are matched on their id and name;
enterprises (a table) on theirs and located by the parcels they hold. Matching is
case-insensitive "contains", vectorised with pandas' string methods; an exact
match ranks before a prefix match, which ranks before a match inside the text.
Each hit carries its bounding box in EPSG:4326 (``[west, south, east, north]``),
so the browser can zoom to any of them, drawn inline or from tiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import to_web

#: Layers searched, in the order hits of equal rank are listed, and the fields matched.
SEARCHED: dict[str, tuple[str, ...]] = {
    "parcels": ("parcel_id", "name"),
    "buildings": ("building_id", "name"),
    "enterprises": ("enterprise_id", "name"),
    "roads": ("road_id", "name"),
    "facilities": ("facility_id", "name"),
}

#: Rank of a match: lower is listed first.
EXACT, PREFIX, INSIDE, NO_MATCH = 0, 1, 2, 3


@dataclass(frozen=True)
class SearchResult:
    """The hits of one search (at most the limit asked, best first) and how many matched in all."""

    hits: list[dict]
    matched: int


def match_rank(values: pd.Series, query: str) -> np.ndarray:
    """Rank of each value against ``query`` (:data:`EXACT`, :data:`PREFIX`, :data:`INSIDE` or :data:`NO_MATCH`),
    case-insensitively; a missing value never matches."""
    text = values.astype("string").str.casefold()
    wanted = query.casefold()
    inside = text.str.contains(wanted, regex=False).fillna(False).to_numpy(dtype=bool)
    prefix = text.str.startswith(wanted).fillna(False).to_numpy(dtype=bool)
    exact = (text == wanted).fillna(False).to_numpy(dtype=bool)
    return np.select([exact, prefix, inside], [EXACT, PREFIX, INSIDE], default=NO_MATCH)


def best_rank(frame: pd.DataFrame, fields: tuple[str, ...], query: str) -> np.ndarray:
    """The best rank of each row over ``fields`` (those ``frame`` has)."""
    ranks = [match_rank(frame[name], query) for name in fields if name in frame.columns]
    if not ranks:
        return np.full(len(frame), NO_MATCH)
    return np.minimum.reduce(ranks)


def labels(frame: pd.DataFrame, id_field: str) -> pd.Series:
    """What a hit is called: ``id name``, or the id alone when it has no name."""
    ids = frame[id_field].astype("string").fillna("")
    if "name" not in frame.columns:
        return ids
    names = frame["name"].astype("string").fillna("")
    return (ids + " " + names).str.strip()


def web_bounds(geometry: gpd.GeoSeries) -> np.ndarray:
    """``[west, south, east, north]`` in EPSG:4326 of each geometry (rows × 4)."""
    return to_web(gpd.GeoDataFrame(geometry=geometry)).geometry.bounds.to_numpy()


def enterprise_places(enterprises: pd.DataFrame, parcels: pd.DataFrame | None) -> pd.DataFrame:
    """The enterprises that hold a parcel, each with the union of their parcels' boxes in the working CRS
    (columns ``minx``, ``miny``, ``maxx``, ``maxy``); enterprises without a parcel cannot be shown and are left out."""
    if parcels is None or "enterprise_id" not in parcels.columns or not len(parcels):
        return enterprises.iloc[0:0].assign(minx=[], miny=[], maxx=[], maxy=[])
    boxes = parcels.geometry.bounds.assign(enterprise_id=parcels["enterprise_id"].to_numpy())
    boxes = boxes.dropna(subset=["enterprise_id"]).groupby("enterprise_id").agg(
        minx=("minx", "min"), miny=("miny", "min"), maxx=("maxx", "max"), maxy=("maxy", "max"))
    return enterprises.join(boxes, on="enterprise_id", how="inner")


def _hits(frame: pd.DataFrame, layer: str, rank: np.ndarray, id_field: str) -> pd.DataFrame:
    """The matching rows of ``frame`` as hit rows (layer, id, label, rank), indexed as ``frame``."""
    found = rank < NO_MATCH
    rows = frame[found]
    return pd.DataFrame({"layer": layer, "id": rows[id_field].astype("string").to_numpy(),
                         "label": labels(rows, id_field).to_numpy(), "rank": rank[found]}, index=rows.index)


def search_layers(layers: Mapping[str, pd.DataFrame], query: str, *, limit: int, crs) -> SearchResult:
    """Features of ``layers`` (by registry name, in the working CRS ``crs``) whose id or name contains ``query``.

    Returns at most ``limit`` hits, best rank first, then in :data:`SEARCHED` order, then by label;
    each a dict ``layer``, ``id``, ``label``, ``bbox`` (EPSG:4326 ``[west, south, east, north]``).
    """
    sources: dict[str, pd.DataFrame] = {}
    for layer, fields in SEARCHED.items():
        frame = layers.get(layer)
        if frame is None or not len(frame):
            continue
        if layer == "enterprises":
            frame = enterprise_places(frame, layers.get("parcels"))
        sources[layer] = frame
    found = [_hits(frame, layer, best_rank(frame, SEARCHED[layer], query), SEARCHED[layer][0])
             for layer, frame in sources.items()]
    found = [hits for hits in found if len(hits)]
    if not found:
        return SearchResult([], 0)
    every = pd.concat(found)
    every["order"] = every["layer"].map({layer: n for n, layer in enumerate(SEARCHED)})
    best = every.sort_values(["rank", "order", "label"], kind="stable").head(limit)
    bbox = np.empty((len(best), 4))
    for layer in best["layer"].unique():
        at = (best["layer"] == layer).to_numpy()
        rows = sources[layer].loc[best.index[at]]
        bbox[at] = (web_bounds(rows.geometry) if layer != "enterprises"
                    else _box_bounds(rows[["minx", "miny", "maxx", "maxy"]].to_numpy(), crs))
    hits = [{"layer": layer, "id": ident, "label": label, "bbox": [round(float(v), 7) for v in box]}
            for layer, ident, label, box in zip(best["layer"], best["id"], best["label"], bbox)]
    return SearchResult(hits, len(every))


def _box_bounds(boxes: np.ndarray, crs) -> np.ndarray:
    """:func:`web_bounds` of boxes (rows of ``minx, miny, maxx, maxy`` in ``crs``)."""
    return web_bounds(gpd.GeoSeries(shapely.box(*boxes.T), crs=crs))


__all__ = ["SEARCHED", "SearchResult", "best_rank", "enterprise_places", "labels", "match_rank", "search_layers",
           "web_bounds"]
