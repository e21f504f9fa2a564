"""Partition-wise analysis on dask: a province-size inventory's per-parcel steps, spread over workers.

Parcels are partitioned spatially with dask-geopandas (Hilbert curve); each task
runs the same :func:`geo.analysis.parcel_steps` (overlay, utilisation, idle land,
readiness) on the parcels it owns plus a halo of what they need from around them:

* the buildings touching its parcels, and every parcel those buildings touch (also
  parcels owned by other partitions), so each building's footprint is split between
  all of its parcels exactly as in one process;
* the roads within frontage reach of its parcels (widest red line ÷ 2 + the
  frontage tolerance), so every bordering road is seen;
* the pipelines within serving reach (widest red line ÷ 2 + the extra distance),
  so every main that could serve one of its parcels is seen.

A task then keeps the rows of the parcels it owns. Every parcel's row is therefore
computed once, from the same inputs, and the gathered rows are put back in the
parcels' order: the result is identical to the single-process run. The park-wide
steps (亩均 percentile grades, inefficient land, vacancy) need every parcel at once
and run in the client on the gathered rows (``geo.analysis.analyse_land``).

Only ``served_<network>`` and the readiness label leave a task: the distance to a
main beyond serving reach depends on how far the halo goes, the flags do not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis import ParcelSteps, parcel_steps, sorted_pairs
from geo.nearby import EPS_M
from geo.roadnet import road_widths_m

#: Parcels per partition when the caller does not choose: enough work per task to outweigh its overhead.
PARCELS_PER_PARTITION = 50_000


def spatial_partitions(parcels: gpd.GeoDataFrame, *, npartitions: int) -> list[np.ndarray]:
    """Positions of ``parcels`` in ``npartitions`` spatially compact groups of equal size.

    Parcels are ordered along a Hilbert curve over the layer's extent (dask-geopandas'
    ``hilbert_distance``, the key of its ``spatial_shuffle``) and cut into runs.
    """
    geometries = gpd.GeoSeries(parcels.geometry.to_numpy(), crs=parcels.crs)
    # Computed here (local threads): the geometries need not travel to the cluster for a sort key.
    distance = dask_geopandas.from_geopandas(geometries, npartitions=1).hilbert_distance(
        total_bounds=geometries.total_bounds).compute(scheduler="threads").to_numpy()
    order = np.argsort(distance, kind="stable")
    return [np.sort(chunk) for chunk in np.array_split(order, npartitions) if len(chunk)]


def halo_reach_m(roads: pd.DataFrame, *, infra_rules) -> tuple[float, float]:
    """(road reach, pipeline reach) in metres around a partition's parcels; (0, 0) without infrastructure rules.

    Bounds of what :func:`geo.readiness.readiness` can look at from a parcel: a road
    borders within its half red-line width + the frontage tolerance; a main serves
    within the widest bordering road's half width + the extra distance.
    """
    if infra_rules is None:
        return 0.0, 0.0
    widths_m = road_widths_m(roads, rules=infra_rules).to_numpy() if len(roads) else np.array([])
    half_width_m = float(np.nanmax(widths_m, initial=0.0)) / 2.0
    return (half_width_m + infra_rules.roads.frontage_tolerance_m + EPS_M,
            half_width_m + infra_rules.served.extra_distance_m + EPS_M)


@dataclass
class _Layers:
    """What every task reads: the layers of one run and their spatial indexes, built once per worker."""

    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    roads: pd.DataFrame
    pipelines: pd.DataFrame
    trees: dict | None = None

    def tree(self, name: str) -> shapely.STRtree:
        if self.trees is None:
            self.trees = {}
        if name not in self.trees:
            frame = getattr(self, name)
            geometry = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else np.array([], dtype=object)
            self.trees[name] = shapely.STRtree(geometry)
        return self.trees[name]


def _within(data: _Layers, name: str, geoms: np.ndarray, reach_m: float) -> np.ndarray:
    """Sorted positions of layer ``name``'s records within ``reach_m`` of any of ``geoms``."""
    frame = getattr(data, name)
    if not len(frame) or not len(geoms):
        return np.array([], dtype=np.intp)
    _, found = data.tree(name).query(geoms, predicate="dwithin", distance=reach_m)
    return np.unique(found)


def partition_steps(owned: np.ndarray, data: _Layers, *, as_of: pd.Timestamp, rules, infra_rules,
                    road_reach_m: float, pipe_reach_m: float) -> ParcelSteps:
    """:func:`geo.analysis.parcel_steps` of the parcels at positions ``owned``, computed with their halo.

    Returns the rows of ``owned`` only; ``pairs`` in global positions.
    """
    parcels, buildings = data.parcels, data.buildings
    owned_geoms = parcels.geometry.to_numpy()[owned]
    if len(buildings):
        _, touching = data.tree("buildings").query(owned_geoms, predicate="intersects")
        local_buildings = np.unique(touching)
        _, halo = data.tree("parcels").query(buildings.geometry.to_numpy()[local_buildings], predicate="intersects")
    else:
        local_buildings, halo = np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    # The halo parcels join the overlay (a building is split between all its parcels) but not the other steps.
    overlay_parcels = np.union1d(owned, halo)
    local = building_pairs_of(overlay_parcels, local_buildings, data)
    local = local[np.isin(local["parcel"].to_numpy(), owned)]
    global_pairs = local.assign(parcel=local["parcel"].to_numpy(), building=local_buildings[local["building"].to_numpy()])

    # Re-aim the owned pairs at positions into parcels.iloc[owned] for the per-parcel steps.
    owned_pairs = local.assign(parcel=np.searchsorted(owned, local["parcel"].to_numpy()))
    roads = data.roads.iloc[_within(data, "roads", owned_geoms, road_reach_m)]
    pipelines = data.pipelines.iloc[_within(data, "pipelines", owned_geoms, pipe_reach_m)]
    steps = parcel_steps(parcels.iloc[owned], buildings.iloc[local_buildings], enterprises=data.enterprises,
                         roads=roads, pipelines=pipelines, as_of=as_of, rules=rules, infra_rules=infra_rules,
                         pairs=sorted_pairs(owned_pairs))
    return ParcelSteps(global_pairs, steps.utilisation, steps.idle, steps.readiness)


def building_pairs_of(parcel_positions: np.ndarray, building_positions: np.ndarray, data: _Layers) -> pd.DataFrame:
    """The overlay of a subset: ``parcel`` in global positions, ``building`` in positions into the subset."""
    from geo.utilisation import building_parcel_pairs

    pairs = building_parcel_pairs(data.parcels.iloc[parcel_positions], data.buildings.iloc[building_positions])
    return pairs.assign(parcel=parcel_positions[pairs["parcel"].to_numpy()])


#: The layers a worker holds for the current run, with their indexes (one run at a time per worker).
_WORKER_LAYERS: dict[tuple[int, ...], _Layers] = {}


def _run_partition(owned: np.ndarray, parcels, buildings, enterprises, roads, pipelines, **options) -> ParcelSteps:
    key = tuple(id(frame) for frame in (parcels, buildings, enterprises, roads, pipelines))
    if key not in _WORKER_LAYERS:  # scattered data is one object per worker for the whole run
        _WORKER_LAYERS.clear()
        _WORKER_LAYERS[key] = _Layers(parcels, buildings, enterprises, roads, pipelines)
    return partition_steps(owned, _WORKER_LAYERS[key], **options)


def partitioned_steps(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, enterprises: pd.DataFrame,
                      roads: pd.DataFrame, pipelines: pd.DataFrame, as_of: pd.Timestamp, rules, infra_rules=None,
                      client, npartitions: int | None = None) -> ParcelSteps:
    """:func:`geo.analysis.parcel_steps` computed partition-wise on a dask cluster; the same result.

    Parameters
    ----------
    parcels, buildings, enterprises, roads, pipelines, as_of, rules, infra_rules
        As :func:`geo.analysis.parcel_steps` takes them (layers in the working CRS).
    client
        A ``dask.distributed.Client``.
    npartitions
        Number of spatial partitions (default: one per :data:`PARCELS_PER_PARTITION`
        parcels, at least one per worker thread).
    """
    options = {"as_of": as_of, "rules": rules, "infra_rules": infra_rules}
    if not len(parcels):
        return parcel_steps(parcels, buildings, enterprises=enterprises, roads=roads, pipelines=pipelines, **options)
    if npartitions is None:
        threads = sum(client.nthreads().values()) or 1
        npartitions = max(threads, int(np.ceil(len(parcels) / PARCELS_PER_PARTITION)))
    parts = spatial_partitions(parcels, npartitions=min(npartitions, len(parcels)))
    road_reach_m, pipe_reach_m = halo_reach_m(roads, infra_rules=infra_rules)
    # Ship the layers once; every task reads them from its worker's memory.
    shipped = client.scatter([parcels, buildings, enterprises, roads, pipelines], broadcast=True)
    futures = [client.submit(_run_partition, owned, *shipped, road_reach_m=road_reach_m, pipe_reach_m=pipe_reach_m,
                             pure=False, **options) for owned in parts]
    pieces: list[ParcelSteps] = client.gather(futures)
    # Rows back in the parcels' order.
    order = np.argsort(np.concatenate(parts), kind="stable")

    def gathered(frames: list[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(frames).iloc[order]

    ready = None if pieces[0].readiness is None else gathered([piece.readiness for piece in pieces])
    return ParcelSteps(sorted_pairs(pd.concat([piece.pairs for piece in pieces], ignore_index=True)),
                       gathered([piece.utilisation for piece in pieces]), gathered([piece.idle for piece in pieces]),
                       ready)


@contextlib.contextmanager
def dask_engine(*, scheduler: str | None = None, n_workers: int | None = None,
                npartitions: int | None = None) -> Iterator:
    """A ``steps`` function for ``analyse_land(steps=…)`` that runs on dask, for the duration of the block.

    Parameters
    ----------
    scheduler
        Address of an existing dask scheduler (``tcp://host:8786``); by default a
        local cluster of ``n_workers`` processes (one per core) on 127.0.0.1 is
        started and stopped with the block.
    n_workers, npartitions
        Local cluster size and number of spatial partitions (defaults as above and
        in :func:`partitioned_steps`).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        cluster = None
        client = Client(scheduler)
    else:
        # Loopback only; the scheduler's HTTP endpoint on a free port, without the dashboard.
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, host="127.0.0.1", processes=True,
                               dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False})
        client = Client(cluster)
    try:
        def steps(parcels, buildings, **layers_and_options) -> ParcelSteps:
            return partitioned_steps(parcels, buildings, client=client, npartitions=npartitions, **layers_and_options)

        yield steps
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
