"""Partition-wise analysis on dask: the building–parcel overlay of a province-size inventory, spread over workers.

Parcels are partitioned spatially with dask-geopandas (Hilbert curve); each task
runs the same :func:`geo.utilisation.building_parcel_pairs` on one partition.
Neighbours across partition edges are handled with a halo: a task takes the
buildings that touch its parcels, and with them every parcel those buildings
touch (also the ones owned by other partitions), so each building is judged
against all of its parcels exactly as in one process; it then keeps only the
pairs whose parcel it owns. Every pair is thus produced once, with the same
values, and the result is ordered as the single-process overlay orders it.

The rest of the analysis (per-parcel rules, 亩均 percentile grades, vacancy) is
tabular and park-wide; :func:`geo.analysis.analyse_land` runs it on the gathered
pairs (``overlay=``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.utilisation import building_parcel_pairs

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


def _partition_pairs(owned: np.ndarray, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
                     parcel_tree: shapely.STRtree, building_tree: shapely.STRtree) -> pd.DataFrame:
    """Pairs of the parcels in ``owned`` (global positions), computed with the halo of neighbouring parcels."""
    parcel_geoms = parcels.geometry.to_numpy()
    building_geoms = buildings.geometry.to_numpy()
    _, touching = building_tree.query(parcel_geoms[owned], predicate="intersects")
    local_buildings = np.unique(touching)
    _, halo = parcel_tree.query(building_geoms[local_buildings], predicate="intersects")
    local_parcels = np.union1d(owned, halo)
    pairs = building_parcel_pairs(parcels.iloc[local_parcels], buildings.iloc[local_buildings])
    pairs["building"] = local_buildings[pairs["building"].to_numpy()]
    pairs["parcel"] = local_parcels[pairs["parcel"].to_numpy()]
    return pairs[np.isin(pairs["parcel"].to_numpy(), owned)]


def partitioned_pairs(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, client,
                      npartitions: int | None = None) -> pd.DataFrame:
    """:func:`geo.utilisation.building_parcel_pairs` computed partition-wise on a dask cluster.

    Parameters
    ----------
    parcels, buildings
        In the working CRS, as the single-process overlay takes them.
    client
        A ``dask.distributed.Client``.
    npartitions
        Number of spatial partitions (default: one per :data:`PARCELS_PER_PARTITION`
        parcels, at least one per worker thread).

    Returns
    -------
    The same frame as ``building_parcel_pairs(parcels, buildings)``: integer positions
    ``building`` and ``parcel``, ``inside_m2`` and ``share``, ordered by building then parcel.
    """
    if npartitions is None:
        threads = sum(client.nthreads().values()) or 1
        npartitions = max(threads, int(np.ceil(len(parcels) / PARCELS_PER_PARTITION)))
    empty = building_parcel_pairs(parcels.iloc[:0], buildings.iloc[:0])
    if not len(parcels) or not len(buildings):
        return empty
    parts = spatial_partitions(parcels, npartitions=min(npartitions, len(parcels)))
    # Ship the layers once; every task reads them from its worker's memory.
    geometry_only = [frame[[frame.geometry.name]] for frame in (parcels, buildings)]  # the overlay reads nothing else
    parcels_f, buildings_f = client.scatter(geometry_only, broadcast=True)
    futures = [client.submit(_run_partition, owned, parcels_f, buildings_f, pure=False) for owned in parts]
    pieces = client.gather(futures)
    pairs = pd.concat([empty, *pieces], ignore_index=True)
    return pairs.sort_values(["building", "parcel"], kind="stable", ignore_index=True)


#: The spatial indexes of the layers a worker holds, built once per worker process and reused by its tasks.
_WORKER_TREES: dict[tuple[int, int], tuple[shapely.STRtree, shapely.STRtree]] = {}


def _run_partition(owned: np.ndarray, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    key = (id(parcels), id(buildings))  # scattered data is one object per worker for the whole run
    if key not in _WORKER_TREES:
        _WORKER_TREES.clear()
        _WORKER_TREES[key] = (shapely.STRtree(parcels.geometry.to_numpy()), shapely.STRtree(buildings.geometry.to_numpy()))
    return _partition_pairs(owned, parcels, buildings, *_WORKER_TREES[key])


@contextlib.contextmanager
def dask_overlay(*, scheduler: str | None = None, n_workers: int | None = None,
                 npartitions: int | None = None) -> Iterator[Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], pd.DataFrame]]:
    """An overlay function for ``analyse_land(overlay=…)`` that runs on dask, for the duration of the block.

    Parameters
    ----------
    scheduler
        Address of an existing dask scheduler (``tcp://host:8786``); by default a
        local cluster of ``n_workers`` processes (one per core) on 127.0.0.1 is
        started and stopped with the block.
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
        yield lambda parcels, buildings: partitioned_pairs(parcels, buildings, client=client, npartitions=npartitions)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
