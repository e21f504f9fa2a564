"""Suitability of an expansion area on a regular grid: criteria reclassified 0–10, weighted to a sum.

Cells are squares of ``cell_m`` whose centre lies in the gross area; a cell whose
centre is not in the net developable land is restricted (no score). Each
criterion of ``data/expansion.yaml`` (section ``suitability``) measures a raw
value per cell, all cells at once (numpy and shapely arrays, STRtree queries):

* ``road_distance``: straight distance to the nearest road that counts as the road
  connection (infrastructure rules ``roads.ready_statuses``);
* ``pipe_distance``: straight distance to the nearest main that could serve the
  connection (``geo.readiness.eligible_mains``: network, in service, capacity);
* ``facility_distance``: network distance along roads (``geo.roadnet``: the leg to
  the nearest road of the graph plus the distance along it) to the nearest facility
  of a kind; where the graph does not reach, the straight distance;
* ``industrial_share``: share of the square neighbourhood (± ``industrial_radius_m``)
  covered by existing industrial parcels;
* ``soft_penalty``: the highest penalty of the soft constraints covering the cell.

A value becomes a score by its influence: ``positive`` (10 at ``high``, 0 at
``low``), ``inverse`` (10 at ``low``, 0 at ``high``) or ``ideal`` (10 between
``ideal_from`` and ``ideal_to``, falling linearly to 0 at ``low`` and ``high``).
A value that cannot be measured (no road, no main) scores 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.constraints import DevelopableLand
from geo.crs import require_projected
from geo.readiness import eligible_mains
from geo.records import in_force, is_industrial
from geo.roadnet import RoadGraph, attach, attach_facilities, build_road_graph, node_distances
from layers.expansion_rules import Criterion, ExpansionRules
from layers.infra_rules import InfraRules

SCORE_MAX = 10.0
#: Histogram classes: [0, 1), [1, 2), … [9, 10].
HISTOGRAM_EDGES = np.arange(0, 11, dtype=float)


def reclassify(values: np.ndarray, criterion: Criterion) -> np.ndarray:
    """Scores 0–10 of raw ``values`` by the criterion's influence; NaN values score 0."""
    x = np.asarray(values, dtype=float)
    low, high = criterion.low, criterion.high
    if criterion.influence == "positive":
        share = (x - low) / (high - low)
    elif criterion.influence == "inverse":
        share = (high - x) / (high - low)
    else:
        a, b = criterion.ideal_from, criterion.ideal_to
        # An ideal range that starts at low (or ends at high) has no slope on that side.
        rising = (x - low) / (a - low) if a > low else (x >= low).astype(float)
        falling = (high - x) / (high - b) if high > b else (x <= high).astype(float)
        share = np.where(x < a, rising, np.where(x > b, falling, 1.0))
    return np.where(np.isnan(x), 0.0, SCORE_MAX * np.clip(share, 0.0, 1.0))


def _nearest_m(points: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Straight distance from each point to the nearest of ``geoms`` (NaN when there are none)."""
    out = np.full(len(points), np.nan)
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    if len(points) and len(geoms):
        (which, _), distance = shapely.STRtree(geoms).query_nearest(points, return_distance=True, all_matches=False)
        out[which] = distance
    return out


def network_distance_m(points: np.ndarray, graph: RoadGraph, facilities: gpd.GeoDataFrame, *,
                       rules: InfraRules) -> np.ndarray:
    """Distance from each point to the nearest of ``facilities`` along the road graph.

    The point joins the graph at the nearest point of its nearest road (the
    straight leg is added); the facility is attached as in ``geo.roadnet``. Inf
    where the graph does not connect the two.
    """
    out = np.full(len(points), np.inf)
    if not len(points) or not len(graph.lines) or not len(facilities):
        return out
    sources = attach_facilities(graph, facilities, rules.roads.facility_snap_max_m)
    if not len(sources.item):
        return out
    node = node_distances(graph, sources)
    (item, line), leg = shapely.STRtree(graph.lines).query_nearest(points, return_distance=True, all_matches=False)
    position = shapely.line_locate_point(graph.lines[line], points[item])
    at = attach(graph, item, line, position)
    along = np.minimum(node[graph.edge_u[at.edge]] + at.to_u_m, node[graph.edge_v[at.edge]] + at.to_v_m)
    # A facility on the same edge is reached directly along it.
    same = pd.DataFrame({"k": np.arange(len(at.item)), "edge": at.edge, "at": at.position_m}).merge(
        pd.DataFrame({"edge": sources.edge, "source_at": sources.position_m}), on="edge")
    if len(same):
        direct = (same["at"] - same["source_at"]).abs().groupby(same["k"]).min()
        along[direct.index.to_numpy()] = np.minimum(along[direct.index.to_numpy()], direct.to_numpy())
    leg_of = pd.Series(leg, index=item).groupby(level=0).min()
    out[at.item] = along + leg_of.reindex(at.item).to_numpy()
    return out


def _window_share(mask: np.ndarray, half: int) -> np.ndarray:
    """Share of True cells in the (2·half+1)² window around each cell (edges padded with False)."""
    padded = np.pad(mask.astype(float), half + 1)
    table = padded.cumsum(0).cumsum(1)
    size = 2 * half + 1
    total = (table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size])
    return total[: mask.shape[0], : mask.shape[1]] / float(size * size)


@dataclass(frozen=True)
class SuitabilityGrid:
    """Grid cells of an expansion area with each criterion's value and score and the weighted score.

    ``cells`` has one row per cell whose centre is in the gross area: ``row``,
    ``col``, ``x``, ``y`` (centre), ``restricted``, ``<name>_value`` and
    ``<name>_score`` for each criterion, ``score`` (NaN where restricted) and the
    cell square as geometry.
    """

    cells: gpd.GeoDataFrame
    cell_m: float
    criteria: tuple[Criterion, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def scored(self) -> gpd.GeoDataFrame:
        return self.cells[~self.cells["restricted"].to_numpy()]

    def mean_score(self) -> float:
        scores = self.scored["score"]
        return float(scores.mean()) if len(scores) else float("nan")

    def histogram(self) -> pd.DataFrame:
        """Cells and area per score class [0, 1), [1, 2), … [9, 10] of the unrestricted cells."""
        counts, _ = np.histogram(self.scored["score"].to_numpy(), bins=HISTOGRAM_EDGES)
        return pd.DataFrame({"from": HISTOGRAM_EDGES[:-1], "to": HISTOGRAM_EDGES[1:], "cells": counts,
                             "area_m2": counts * self.cell_m ** 2})

    def summary(self) -> dict:
        """JSON-ready: cell size, counts, mean score, histogram, criteria and notes."""
        mean = self.mean_score()
        return {
            "cell_m": self.cell_m,
            "cells": int(len(self.cells)),
            "scored_cells": int(len(self.scored)),
            "restricted_cells": int(self.cells["restricted"].sum()),
            "mean_score": None if np.isnan(mean) else round(mean, 3),
            "histogram": [{"from": float(r["from"]), "to": float(r["to"]), "cells": int(r["cells"]),
                           "area_m2": float(r["area_m2"])} for _, r in self.histogram().iterrows()],
            "criteria": [{"name": c.name, "measure": c.measure, "influence": c.influence, "weight": c.weight}
                         for c in self.criteria],
            "notes": list(self.notes),
        }


def _cell_centres(gross: shapely.Geometry, cell_m: float) -> tuple[np.ndarray, ...]:
    minx, miny, maxx, maxy = shapely.bounds(gross)
    ncol, nrow = max(int(np.ceil((maxx - minx) / cell_m)), 1), max(int(np.ceil((maxy - miny) / cell_m)), 1)
    col, row = np.meshgrid(np.arange(ncol), np.arange(nrow))
    x = minx + (col.ravel() + 0.5) * cell_m
    y = miny + (row.ravel() + 0.5) * cell_m
    shapely.prepare(gross)
    inside = shapely.contains_xy(gross, x, y)
    return row.ravel()[inside], col.ravel()[inside], x[inside], y[inside], (minx, miny)


def suitability_grid(land: DevelopableLand, *, zones: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame,
                     roads: gpd.GeoDataFrame, pipelines: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                     rules: ExpansionRules, infra_rules: InfraRules, cell_m: float | None = None,
                     graph: RoadGraph | None = None, as_of=None,
                     checkpoint: Callable[[str], None] | None = None) -> SuitabilityGrid:
    """Score every cell of the expansion area on the configured criteria.

    Parameters
    ----------
    land
        The area's developable land (``geo.constraints.developable_land``): its gross
        area is gridded, cells outside its net land are restricted.
    zones, parcels, roads, pipelines, facilities
        Validated layers in the park's working CRS.
    rules, infra_rules
        Expansion rules (``suitability``, soft penalties) and infrastructure rules
        (road statuses, eligible mains, the road graph).
    cell_m
        Cell size (default ``suitability.cell_m``).
    graph
        A road graph built with the same rules (built here otherwise).
    checkpoint
        Called with ``suitability: <criterion>`` before each criterion is measured (each
        is one pass over every cell); it may raise to stop the grid there.
    """
    for frame, what in ((roads, "roads"), (pipelines, "pipelines"), (facilities, "facilities")):
        require_projected(frame, what=f"suitability ({what})")
    srules = rules.suitability
    cell_m = float(cell_m or srules.cell_m)
    zones, parcels, roads, pipelines, facilities = (in_force(f, as_of=as_of)
                                                    for f in (zones, parcels, roads, pipelines, facilities))
    row, col, x, y, origin = _cell_centres(land.gross, cell_m)
    net = land.net
    shapely.prepare(net)
    restricted = ~shapely.contains_xy(net, x, y)
    points = shapely.points(x, y)
    notes: list[str] = []
    values: dict[str, np.ndarray] = {}
    graph_needed = any(c.measure == "facility_distance" for c in srules.criteria)
    if graph_needed and graph is None:
        if checkpoint is not None:
            checkpoint("suitability: road graph")
        graph = build_road_graph(roads, rules=infra_rules, include_planned=srules.include_planned_roads)

    for criterion in srules.criteria:
        if checkpoint is not None:
            checkpoint(f"suitability: {criterion.name}")
        measure = criterion.measure
        if measure == "road_distance":
            ready = roads[roads["status"].isin(infra_rules.roads.ready_statuses).to_numpy()]
            value = _nearest_m(points, ready.geometry.to_numpy())
        elif measure == "pipe_distance":
            source = infra_rules.served.sources.get(criterion.connection)
            mains = pipelines.geometry.to_numpy()[eligible_mains(pipelines, source, rules=infra_rules)] \
                if source is not None else np.array([], dtype=object)
            value = _nearest_m(points, mains)
        elif measure == "facility_distance":
            status_ok = facilities["status"].isin(infra_rules.roads.destination_statuses) | facilities["status"].isna()
            chosen = facilities[(status_ok & (facilities["kind"] == criterion.facility)).to_numpy()]
            value = network_distance_m(points, graph, chosen, rules=infra_rules)
            straight = ~np.isfinite(value)
            if straight.any() and len(chosen):
                notes.append(f"{criterion.name}: straight distance for {int(straight.sum())} cells "
                             "the road graph does not connect")
            value = np.where(straight, _nearest_m(points, chosen.geometry.to_numpy()), value)
        elif measure == "industrial_share":
            value = _industrial_share(parcels, x, y, row, col, origin, cell_m, rules=rules)
        else:
            value = _soft_penalty(zones, x, y, rules=rules)
        if np.isnan(value).all() and measure != "soft_penalty":
            notes.append(f"{criterion.name}: nothing to measure from in the park; every cell scores 0")
        values[criterion.name] = value

    data = {"row": row, "col": col, "x": x, "y": y, "restricted": restricted}
    weighted = np.zeros(len(x))
    total_weight = sum(c.weight for c in srules.criteria)
    for criterion in srules.criteria:
        score = reclassify(values[criterion.name], criterion)
        data[f"{criterion.name}_value"] = values[criterion.name]
        data[f"{criterion.name}_score"] = score
        weighted += criterion.weight * score
    data["score"] = np.where(restricted, np.nan, weighted / total_weight)
    half = cell_m / 2.0
    cells = gpd.GeoDataFrame(data, geometry=shapely.box(x - half, y - half, x + half, y + half), crs=roads.crs)
    return SuitabilityGrid(cells=cells, cell_m=cell_m, criteria=srules.criteria, notes=notes)


def _industrial_share(parcels, x, y, row, col, origin, cell_m, *, rules: ExpansionRules) -> np.ndarray:
    """Share of the square neighbourhood of each cell covered by existing industrial parcels (by cell centres)."""
    taken = parcels["status"].isin(rules.constraints.existing_parcel_statuses).to_numpy()
    industrial = parcels[taken & is_industrial(parcels)]
    if not len(x):
        return np.array([])
    half = int(round(rules.suitability.industrial_radius_m / cell_m))
    if not len(industrial):
        return np.zeros(len(x))
    union = shapely.union_all(industrial.geometry.to_numpy())
    shapely.prepare(union)
    # A grid around the cells, widened by the neighbourhood, rasterised by cell centres.
    rows = np.arange(row.min() - half, row.max() + half + 1)
    cols = np.arange(col.min() - half, col.max() + half + 1)
    gc, gr = np.meshgrid(cols, rows)
    mask = shapely.contains_xy(union, origin[0] + (gc + 0.5) * cell_m, origin[1] + (gr + 0.5) * cell_m)
    share = _window_share(mask.reshape(gr.shape), half)
    return share[row - rows[0], col - cols[0]]


def _soft_penalty(zones, x, y, *, rules: ExpansionRules) -> np.ndarray:
    """The highest soft-constraint penalty at each cell centre (0 where none applies)."""
    penalty = np.zeros(len(x))
    for kind, soft in rules.constraints.soft.items():  # a handful of kinds, each tested on every cell at once
        geoms = zones.geometry.to_numpy()[(zones["kind"] == kind).to_numpy()]
        if not len(geoms) or not len(x):
            continue
        union = shapely.union_all(geoms)
        shapely.prepare(union)
        penalty = np.where(shapely.contains_xy(union, x, y), np.maximum(penalty, soft.penalty), penalty)
    return penalty


def zonal_mean(cells: gpd.GeoDataFrame, polygons: np.ndarray) -> np.ndarray:
    """Mean score of the scored cells whose centre lies in each polygon (NaN where none does)."""
    scored = cells[~cells["restricted"].to_numpy()]
    out = np.full(len(polygons), np.nan)
    if not len(scored) or not len(polygons):
        return out
    centres = shapely.points(scored["x"].to_numpy(), scored["y"].to_numpy())
    polygon, cell = shapely.STRtree(centres).query(polygons, predicate="contains")
    sums = np.bincount(polygon, weights=scored["score"].to_numpy()[cell], minlength=len(polygons))
    counts = np.bincount(polygon, minlength=len(polygons))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(counts > 0, sums / counts, np.nan)
    return out


__all__ = ["HISTOGRAM_EDGES", "SuitabilityGrid", "network_distance_m", "reclassify", "suitability_grid",
           "zonal_mean"]
