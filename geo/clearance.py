"""Horizontal clearance conflicts between pipelines and with buildings (GB 50289, DOMAIN.md §8.3–8.4).

Every pipe takes the first class of ``clearance.classes`` it matches (network,
diameter band, pressure class, laying); the tables give a minimum per class
(pipe–building) and per pair of classes (pipe–pipe). Three kinds of conflict:

* ``pipe_pipe``: two pipes of different networks closer than their pair's minimum.
  Pipes that cross (their lines intersect) are a vertical-clearance matter and
  are not reported; nor are two pipes sharing one structure (a utility tunnel).
* ``pipe_building``: a pipe closer to a building than its class's minimum.
* ``pipe_under_building``: a pipe whose line meets a building's footprint.

Distances are from the outer wall (centreline distance minus half of each known
diameter) unless ``clearance.measure_from`` says ``centreline``. Candidate pairs
come from one STRtree query each; every measurement is vectorised.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_projected
from geo.nearby import EPS_M, box_pairs, envelope_gap_at, near_pairs
from layers.infra_rules import InfraRules
from layers.schema import VALID_TIME_FIELD_NAMES

KINDS = ("pipe_pipe", "pipe_building", "pipe_under_building")
#: The layers the conflicts are found in.
CLEARANCE_LAYERS = ("pipelines", "buildings")
#: The buildings' fields the conflicts read: their footprints, ids and statuses, and which are in force on the day.
#: Any other field of a building may change and the conflicts stay as they are (the park service keeps the counts
#: over such a change: a new read of a building field by the conflicts belongs here).
CLEARANCE_BUILDING_FIELDS = frozenset({"building_id", "geometry", "status", *VALID_TIME_FIELD_NAMES, "retired_on"})
COLUMNS = ("kind", "id_a", "id_b", "network_a", "network_b", "class_a", "class_b",
           "required_m", "actual_m", "status", "source")


def pipe_classes(pipelines: pd.DataFrame, *, rules: InfraRules) -> pd.Series:
    """The clearance class of each pipe (first matching entry of ``clearance.classes``; missing if none)."""
    network, laying, pressure = pipelines["network"], pipelines["laying"], pipelines["pressure_class"]
    diameter = pipelines["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(pipelines), None, dtype=object)
    for pipe_class in rules.clearance.classes:
        match = network.isin(pipe_class.networks).to_numpy(copy=True)
        if pipe_class.layings is not None:
            match &= laying.isin(pipe_class.layings).to_numpy()
        if pipe_class.pressure_classes is not None:
            match &= pressure.isin(pipe_class.pressure_classes).to_numpy()
        # NaN compares False: a pipe of unknown diameter matches no diameter condition.
        if pipe_class.diameter_mm_max is not None:
            match &= diameter <= pipe_class.diameter_mm_max
        if pipe_class.diameter_mm_over is not None:
            match &= diameter > pipe_class.diameter_mm_over
        take = match & pd.isna(out)
        out[take] = pipe_class.name
    return pd.Series(out, index=pipelines.index, dtype="str", name="clearance_class")


class _Tables:
    """Clearance tables as arrays over class numbers, with each entry's mark and source."""

    def __init__(self, rules: InfraRules):
        names = rules.clearance.class_names
        self.number = {name: i for i, name in enumerate(names)}
        k = len(names)
        self.building_m = np.full(k, np.nan)
        self.building_rule = np.full(k, -1)
        for r, rule in enumerate(rules.clearance.pipe_building):
            at = [self.number[n] for n in rule.classes]
            self.building_m[at], self.building_rule[at] = rule.min_m, r
        self.pair_m = np.full((k, k), np.nan)
        self.pair_rule = np.full((k, k), -1)
        for r, rule in enumerate(rules.clearance.pipe_pipe):
            a = np.array([self.number[n] for n in rule.a])[:, None]
            b = np.array([self.number[n] for n in rule.b])[None, :]
            self.pair_m[a, b] = self.pair_m[b, a] = rule.min_m
            self.pair_rule[a, b] = self.pair_rule[b, a] = r

    def numbers(self, classes: pd.Series) -> np.ndarray:
        """Class number of each pipe (-1: unclassified)."""
        return classes.map(self.number).fillna(-1).astype(int).to_numpy()


def _checked(pipelines: gpd.GeoDataFrame, rules: InfraRules) -> gpd.GeoDataFrame:
    status = pipelines["status"]
    return pipelines[(status.isin(rules.clearance.pipe_statuses) | status.isna()).to_numpy()]


def _radius_m(pipes: pd.DataFrame, rules: InfraRules) -> np.ndarray:
    if rules.clearance.measure_from == "centreline":
        return np.zeros(len(pipes))
    diameter = pipes["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(diameter), 0.0, diameter / 2000.0)


def _frame(columns: dict, geometry: np.ndarray, crs) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({name: columns.get(name, np.full(len(geometry), np.nan)) for name in COLUMNS})
    for name in ("kind", "id_a", "id_b", "network_a", "network_b", "class_a", "class_b", "status", "source"):
        frame[name] = frame[name].astype("str")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)


def _marks(rule: np.ndarray, entries) -> tuple[np.ndarray, np.ndarray]:
    status = np.array([e.status for e in entries] + [None], dtype=object)
    source = np.array([e.source for e in entries] + [None], dtype=object)
    return status[rule], source[rule]


def pipe_pipe_conflicts(pipelines: gpd.GeoDataFrame, *, rules: InfraRules) -> gpd.GeoDataFrame:
    """Pairs of pipes of different networks closer than the minimum for their classes (crossings excluded).

    Returns one row per conflict (columns :data:`COLUMNS`), located at the
    midpoint of the shortest line between the two pipes.
    """
    require_projected(pipelines, what="pipe clearance")
    pipes = _checked(pipelines, rules)
    tables = _Tables(rules)
    number = tables.numbers(pipe_classes(pipes, rules=rules))
    radius = _radius_m(pipes, rules)
    # Only pipes with some entry in the table are searched, each as far as its strictest entry needs.
    widest = np.append(np.nanmax(tables.pair_m, axis=1, initial=-1.0), -1.0)[number]
    checked = np.flatnonzero(widest >= 0)
    geoms = pipes.geometry.to_numpy()[checked]
    number, radius = number[checked], radius[checked]
    a, b = box_pairs(geoms, geoms, widest[checked] + radius + radius.max(initial=0.0))
    network = pipes["network"].to_numpy(dtype=object)[checked]
    shared = pipes["laying"].isin(rules.clearance.shared_structure_layings).to_numpy()[checked]
    # Only the pairs that could conflict are measured (GEOS distances were most of the figures' time): each pair
    # once, of two networks, not in one structure, with a minimum in the table, and envelopes (whose gap no
    # distance is below) closer than that minimum plus both radii.
    keep = (a < b) & (network[a] != network[b]) & ~(shared[a] & shared[b])
    a, b = a[keep], b[keep]
    required = tables.pair_m[number[a], number[b]]
    bounds = tuple(shapely.bounds(geoms).T)
    keep = envelope_gap_at(bounds, a, bounds, b) < required + radius[a] + radius[b]  # NaN (no minimum): False
    a, b, required = a[keep], b[keep], required[keep]
    distance = shapely.distance(geoms[a], geoms[b])
    actual = distance - radius[a] - radius[b]
    # Lines at distance 0 cross or touch: a vertical-clearance matter, not reported here.
    conflict = (actual < required - EPS_M) & (distance > 0)
    a, b, required, actual = a[conflict], b[conflict], required[conflict], actual[conflict]
    status, source = _marks(tables.pair_rule[number[a], number[b]], rules.clearance.pipe_pipe)
    names = np.array(rules.clearance.class_names + (None,), dtype=object)
    ids = pipes["pipe_id"].to_numpy(dtype=object)[checked]
    where = shapely.centroid(shapely.shortest_line(geoms[a], geoms[b]))
    return _frame({"kind": np.full(len(a), "pipe_pipe", dtype=object), "id_a": ids[a], "id_b": ids[b],
                   "network_a": network[a], "network_b": network[b], "class_a": names[number[a]],
                   "class_b": names[number[b]], "required_m": required, "actual_m": actual,
                   "status": status, "source": source}, where, pipelines.crs)


def pipe_building_conflicts(pipelines: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *,
                            rules: InfraRules) -> gpd.GeoDataFrame:
    """Pipes closer to a building than their class's minimum, and pipes running under buildings.

    A pipe whose line meets a footprint is reported once, as ``pipe_under_building``
    (located on the stretch under the building), whatever its class; the others as
    ``pipe_building`` (located at the midpoint of the shortest line).
    """
    require_projected(pipelines, what="pipe clearance")
    require_projected(buildings, what="pipe clearance")
    pipes = _checked(pipelines, rules)
    status = buildings["status"]
    standing = buildings[(status.isin(rules.clearance.building_statuses) | status.isna()).to_numpy()]
    tables = _Tables(rules)
    number = tables.numbers(pipe_classes(pipes, rules=rules))
    required = np.append(tables.building_m, np.nan)[number]
    radius = _radius_m(pipes, rules)
    geoms, footprints = pipes.geometry.to_numpy(), standing.geometry.to_numpy()
    # Every pipe is searched for buildings it runs under; classed pipes as far as their minimum needs.
    pipe, building, distance = near_pairs(geoms, footprints, np.where(np.isnan(required), 0.0, required + radius))
    under = distance == 0
    actual = distance - radius[pipe]
    close = ~under & (actual < required[pipe] - EPS_M)
    names = np.array(rules.clearance.class_names + (None,), dtype=object)
    marks, sources = _marks(np.append(tables.building_rule, -1)[number], rules.clearance.pipe_building)
    ids, network = pipes["pipe_id"].to_numpy(dtype=object), pipes["network"].to_numpy(dtype=object)
    building_ids = standing["building_id"].to_numpy(dtype=object)

    def rows(mask: np.ndarray, kind: str, measured: np.ndarray, where: np.ndarray) -> gpd.GeoDataFrame:
        p, b = pipe[mask], building[mask]
        return _frame({"kind": np.full(len(p), kind, dtype=object), "id_a": ids[p], "id_b": building_ids[b],
                       "network_a": network[p], "class_a": names[number[p]], "required_m": required[p],
                       "actual_m": measured, "status": marks[p], "source": sources[p]}, where, pipelines.crs)

    near = rows(close, "pipe_building", actual[close],
                shapely.centroid(shapely.shortest_line(geoms[pipe[close]], footprints[building[close]])))
    crossing = shapely.intersection(geoms[pipe[under]], footprints[building[under]])
    below = rows(under, "pipe_under_building", np.zeros(int(under.sum())), shapely.point_on_surface(crossing))
    return pd.concat([near, below], ignore_index=True)


def clearance_conflicts(pipelines: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *,
                        rules: InfraRules) -> gpd.GeoDataFrame:
    """Every clearance conflict: pipe–pipe, pipe–building and pipes under buildings.

    Parameters
    ----------
    pipelines, buildings
        Validated layers in the park's working CRS (records in force only).
    rules
        Infrastructure rules (section ``clearance``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per conflict with :data:`COLUMNS` (``id_a`` the pipe, ``id_b`` the
        other pipe or the building; ``required_m`` and ``actual_m`` in metres;
        ``status``/``source`` of the table entry applied) and a point geometry
        where it occurs, sorted by kind and ids.
    """
    frames = [pipe_pipe_conflicts(pipelines, rules=rules),
              pipe_building_conflicts(pipelines, buildings, rules=rules)]
    out = pd.concat(frames, ignore_index=True)
    order = pd.Categorical(out["kind"], categories=KINDS, ordered=True)
    out = out.iloc[np.lexsort((out["id_b"].to_numpy(dtype=str), out["id_a"].to_numpy(dtype=str), order.codes))]
    return out.reset_index(drop=True)


def unchecked_pipes(pipelines: pd.DataFrame, *, rules: InfraRules) -> pd.DataFrame:
    """Pipes the clearance tables cannot judge (no class: e.g. gas of unknown or high pressure)."""
    pipes = _checked(pipelines, rules)
    classes = pipe_classes(pipes, rules=rules)
    return pipes.loc[classes.isna().to_numpy(), ["pipe_id", "network", "pressure_class", "diameter_mm"]]


__all__ = ["COLUMNS", "KINDS", "clearance_conflicts", "pipe_building_conflicts", "pipe_classes",
           "pipe_pipe_conflicts", "unchecked_pipes"]
