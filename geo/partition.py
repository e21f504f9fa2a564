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
  so every main that could serve one of its parcels is seen: a main serves from
  the part of it lying in a bordering road (those roads are in the halo) within
  that road's limit, no farther than the widest one's, and the part a road holds
  of a pipe depends on that pipe and road alone, so it is the same in every task.

A task then keeps the rows of the parcels it owns. Every parcel's row is therefore
computed once, from the same inputs, and the gathered rows are put back in the
parcels' order: the result is identical to the single-process run. The park-wide
steps (亩均 percentile grades, inefficient land, vacancy) need every parcel at once
and run in the client on the gathered rows (``geo.analysis.analyse_land``).

Readiness gives the served flags and the label (``parcel_analysis`` keeps no distances):
a main beyond serving reach changes no flag, so the halo need not reach further.
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


def halo_reach_m(roads: pd.DataFrame, *, infra_rules) -> tuple[float, float]:
    """(road reach, pipeline reach) in metres around a partition's parcels; (0, 0) without infrastructure rules.

    Bounds of what :func:`geo.readiness.readiness` can look at from a parcel: a road
    borders within its half red-line width + the frontage tolerance; a main serves
    from a bordering road within that road's half width + the extra distance, at
    most the widest road's (and within the extra distance when a main off the roads
    may serve).
    """
    if infra_rules is None:
        return 0.0, 0.0
    widths_m = road_widths_m(roads, rules=infra_rules).to_numpy() if len(roads) else np.array([])
    half_width_m = float(np.nanmax(widths_m, initial=0.0)) / 2.0
    return (half_width_m + infra_rules.roads.frontage_tolerance_m + EPS_M,
            half_width_m + infra_rules.served.extra_distance_m + EPS_M)


@dataclass(frozen=True)
class Partition:
    """One task's share of the park: positions (into the whole layers) of what it needs.

    ``owned`` are the parcels whose rows it computes; ``parcels`` adds the halo parcels
    that share a building with them; the others are the buildings touching the owned
    parcels and the roads, pipelines and enterprises within their reach.
    """

    owned: np.ndarray
    parcels: np.ndarray
    buildings: np.ndarray
    roads: np.ndarray
    pipelines: np.ndarray
    enterprises: np.ndarray


class Halo:
    """Works out each partition's halo from spatial indexes of the whole layers (built once per run)."""

    def __init__(self, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, enterprises: pd.DataFrame,
                 roads: pd.DataFrame, pipelines: pd.DataFrame, road_reach_m: float, pipe_reach_m: float):
        self.parcels, self.buildings, self.enterprises = parcels, buildings, enterprises
        self.road_reach_m, self.pipe_reach_m = road_reach_m, pipe_reach_m
        self.trees = {name: shapely.STRtree(frame.geometry.to_numpy()) for name, frame in
                      (("parcels", parcels), ("buildings", buildings), ("roads", roads), ("pipelines", pipelines))
                      if isinstance(frame, gpd.GeoDataFrame) and len(frame)}
        # Enterprise ids as integer codes shared by both layers (-1: none), matched per partition with numpy.
        self.parcel_firm = self.firm = np.array([], dtype=np.intp)
        if "enterprise_id" in parcels and len(enterprises):
            codes, _ = pd.factorize(pd.concat([parcels["enterprise_id"], enterprises["enterprise_id"]],
                                              ignore_index=True))
            self.parcel_firm, self.firm = codes[:len(parcels)], codes[len(parcels):]

    def _near(self, name: str, geoms: np.ndarray, reach_m: float | None = None) -> np.ndarray:
        """Sorted positions of layer ``name``'s records that may lie within ``reach_m`` of any of ``geoms``.

        Without ``reach_m``: the records intersecting them, exactly. With it: every record
        whose bounding box comes within ``reach_m`` of a geometry's bounding box, a superset
        (a few records more than needed cost nothing; an exact distance test here cost as
        much as the readiness step itself).
        """
        tree = self.trees.get(name)
        if tree is None or not len(geoms):
            return np.array([], dtype=np.intp)
        if reach_m is None:
            _, found = tree.query(geoms, predicate="intersects")
        else:
            x0, y0, x1, y1 = shapely.bounds(geoms).T
            _, found = tree.query(shapely.box(x0 - reach_m, y0 - reach_m, x1 + reach_m, y1 + reach_m))
        return np.unique(found)

    def of(self, owned: np.ndarray) -> Partition:
        """The partition of the parcels at positions ``owned`` (sorted), with its halo."""
        owned_geoms = self.parcels.geometry.to_numpy()[owned]
        buildings = self._near("buildings", owned_geoms)
        # Parcels sharing a building with the owned ones join the overlay, so the building is split between all.
        parcels = np.union1d(owned, self._near("parcels", self.buildings.geometry.to_numpy()[buildings]))
        enterprises = np.array([], dtype=np.intp)
        if len(self.firm):
            wanted = self.parcel_firm[owned]
            enterprises = np.flatnonzero(np.isin(self.firm, wanted[wanted >= 0]))
        return Partition(owned, parcels, buildings, self._near("roads", owned_geoms, self.road_reach_m),
                         self._near("pipelines", owned_geoms, self.pipe_reach_m), enterprises)


def partition_steps(parcels: gpd.GeoDataFrame, owned: np.ndarray, buildings: gpd.GeoDataFrame, *,
                    enterprises: pd.DataFrame, roads: pd.DataFrame, pipelines: pd.DataFrame, **options) -> ParcelSteps:
    """:func:`geo.analysis.parcel_steps` of one partition, on a worker.

    ``parcels`` are the partition's parcels with their halo and ``owned`` the mask of its
    own: the overlay runs on all of them, the other steps on the owned ones. Returns the
    owned parcels' rows; ``pairs`` in positions into the frames passed in.
    """
    pairs = building_parcel_pairs(parcels, buildings)
    pairs = pairs[owned[pairs["parcel"].to_numpy()]]
    own = np.flatnonzero(owned)
    # The owned pairs re-aimed at positions into parcels.iloc[own] for the per-parcel steps.
    owned_pairs = sorted_pairs(pairs.assign(parcel=np.searchsorted(own, pairs["parcel"].to_numpy())))
    steps = parcel_steps(parcels.iloc[own], buildings, enterprises=enterprises, roads=roads, pipelines=pipelines,
                         pairs=owned_pairs, **options)
    return ParcelSteps(pairs, steps.utilisation, steps.idle, steps.ready())


def partitioned_steps(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, enterprises: pd.DataFrame,
                      roads: pd.DataFrame, pipelines: pd.DataFrame, as_of: pd.Timestamp, rules, infra_rules=None,
                      client, npartitions: int | None = None, park_has_buildings: bool | None = None) -> ParcelSteps:
    """:func:`geo.analysis.parcel_steps` computed partition-wise on a dask cluster; the same result.

    Each task receives only its partition with the halo (scattered to one worker, not
    broadcast), so a worker holds its share of the park rather than the whole of it.

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
    options = {"as_of": as_of, "rules": rules, "infra_rules": infra_rules,
               # (each partition holds only the buildings near its parcels: the park's answer goes with it)
               "park_has_buildings": len(buildings) > 0 if park_has_buildings is None else park_has_buildings}
    if not len(parcels):
        return parcel_steps(parcels, buildings, enterprises=enterprises, roads=roads, pipelines=pipelines, **options)
    if npartitions is None:
        threads = sum(client.nthreads().values()) or 1
        npartitions = max(threads, int(np.ceil(len(parcels) / PARCELS_PER_PARTITION)))
    road_reach_m, pipe_reach_m = halo_reach_m(roads, infra_rules=infra_rules)
    halo = Halo(parcels, buildings, enterprises=enterprises, roads=roads, pipelines=pipelines,
                road_reach_m=road_reach_m, pipe_reach_m=pipe_reach_m)
    parts = [halo.of(owned) for owned in spatial_partitions(parcels, npartitions=min(npartitions, len(parcels)))]
    futures = []
    for part in parts:  # one task per partition (tens to thousands), not per feature
        # A list, not a dict (dict keys would name the data alike in every partition), and keys not derived from
        # the content: equal pieces of two partitions (an all-owned mask, no roads) must not share one key, whose
        # second scatter races the first one's task on the scheduler.
        frames = client.scatter([parcels.iloc[part.parcels], np.isin(part.parcels, part.owned),
                                 buildings.iloc[part.buildings], roads.iloc[part.roads],
                                 pipelines.iloc[part.pipelines], enterprises.iloc[part.enterprises]], hash=False)
        futures.append(client.submit(partition_steps, *frames[:3], roads=frames[3], pipelines=frames[4],
                                     enterprises=frames[5], pure=False, **options))
    pieces: list[ParcelSteps] = client.gather(futures)
    # Rows back in the parcels' order, pairs back to positions into the whole layers.
    order = np.argsort(np.concatenate([part.owned for part in parts]), kind="stable")

    def gathered(frames: list[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(frames).iloc[order]

    pairs = pd.concat([piece.pairs.assign(building=part.buildings[piece.pairs["building"].to_numpy()],
                                          parcel=part.parcels[piece.pairs["parcel"].to_numpy()])
                       for part, piece in zip(parts, pieces, strict=True)], ignore_index=True)
    ready = None if pieces[0].readiness is None else gathered([piece.readiness for piece in pieces])
    return ParcelSteps(sorted_pairs(pairs), gathered([piece.utilisation for piece in pieces]),
                       gathered([piece.idle for piece in pieces]), ready)


@contextlib.contextmanager
def dask_engine(*, scheduler: str | None = None, n_workers: int | None = None,
                npartitions: int | None = None, connect_timeout_s: float = 10.0) -> Iterator:
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
    connect_timeout_s
        How long to try reaching ``scheduler`` before giving up with ``OSError``.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        cluster = None
        client = Client(scheduler, timeout=connect_timeout_s)
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
