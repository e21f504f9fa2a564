"""Site readiness (三通/五通/七通/九通一平): served flags per parcel and network, and the label.

DOMAIN.md §5 keeps one boolean per connection and derives the label from a
configured template; §8.6 gives the "served" heuristic, shipped as configuration
(``data/infrastructure.yaml``, section ``served``):

* a connection is served when an eligible main lies within the bordering road's
  half red-line width + ``extra_distance_m`` of the parcel (its red line). With
  several bordering roads the widest sets the limit: a main within any road's
  limit is within the widest one's;
* eligible: one of the connection's networks, an in-service status, and what the
  connection demands of the main (water DN ≥ 150, gas from the medium-pressure
  network, power from a 10 kV feeder);
* ``road``: a completed or temporary-surface road borders the parcel;
  ``site_levelled``: the parcel's own flag (unknown counts as not levelled).

The parcel's label is the richest template it meets in full; what it lacks is
listed against the park's target template (七通一平 by default).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import require_projected
from geo.nearby import EPS_M, any_within, near_pairs, nearest_distance
from geo.roadnet import Frontage, frontage, road_widths_m
from layers.infra_rules import InfraRules, ServedSource

#: Separator of the connection codes in the ``missing`` column.
MISSING_SEPARATOR = ","


def eligible_mains(pipelines: pd.DataFrame, source: ServedSource, *, rules: InfraRules) -> np.ndarray:
    """Mask of the pipes that can serve ``source.connection`` (network, status and capacity)."""
    served = rules.served
    unknown_ok = served.unknown_attribute_serves
    ok = (pipelines["network"].isin(source.networks) & pipelines["status"].isin(served.pipe_statuses)).to_numpy(copy=True)
    if source.min_diameter_mm is not None:
        diameter = pipelines["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
        ok &= (diameter >= source.min_diameter_mm) | (np.isnan(diameter) & unknown_ok)
    if source.voltage_kv is not None:
        voltage = pipelines["voltage_kv"]
        ok &= (voltage.isin(source.voltage_kv) | (voltage.isna() & unknown_ok)).to_numpy()
    if source.pressure_classes is not None:
        pressure = pipelines["pressure_class"]
        ok &= (pressure.isin(source.pressure_classes) | (pressure.isna() & unknown_ok)).to_numpy()
    return ok


def nearest_main_m(parcels: gpd.GeoDataFrame, mains: np.ndarray) -> np.ndarray:
    """Distance from each parcel (its red line; 0 when a main crosses it) to the nearest of ``mains`` (NaN: none)."""
    return nearest_distance(parcels.geometry.to_numpy(), mains)


def _labels(connections: pd.DataFrame, rules: InfraRules, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label, ready, missing) per row from the boolean ``connections`` frame."""
    def has(item: str) -> np.ndarray:
        column = connections.get(item)
        return np.zeros(len(connections), dtype=bool) if column is None else column.to_numpy(dtype=bool)

    label = np.full(len(connections), None, dtype=object)
    for template in rules.readiness.templates:
        met = np.logical_and.reduce([has(item) for item in template.requires])
        label[met] = template.label
    goal = rules.readiness.template(target)
    missing = np.full(len(connections), "", dtype=object)
    for item in goal.requires:
        lacking = ~has(item)
        missing[lacking] = missing[lacking] + (item + MISSING_SEPARATOR)
    missing = pd.Series(missing, dtype="str").str.removesuffix(MISSING_SEPARATOR).to_numpy()
    ready = np.logical_and.reduce([has(item) for item in goal.requires])
    return label, ready, missing


def readiness(parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, pipelines: gpd.GeoDataFrame, *,
              rules: InfraRules, template: str | None = None, fronting: Frontage | None = None,
              distances: bool = True) -> pd.DataFrame:
    """Per parcel: road frontage, distance to the nearest eligible main and served flag per network, the label.

    Parameters
    ----------
    parcels, roads, pipelines
        Validated layers in the park's working CRS (records in force only).
    rules
        Infrastructure rules (sections ``served``, ``roads``, ``readiness``).
    template
        The target label (default ``rules.readiness.default_template``).
    fronting
        :func:`geo.roadnet.frontage` of the same parcels and roads, if already computed.
    distances
        ``False``: leave out the ``<network>_distance_m`` columns and judge the
        served flags from the mains within each parcel's own limit only (the same
        flags, without searching the nearest main of every parcel, which at 10⁶
        parcels is most of the time; for callers that keep only the flags).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``parcels``: ``road_access`` (any road borders it),
        ``road`` (a completed or temporary-surface road does), ``serve_limit_m``
        (widest bordering half-width + the extra distance; NaN without a road
        when one is required), ``<network>_distance_m`` (unless ``distances`` is
        false) and ``served_<network>`` for each served network, ``site_levelled``, ``readiness_label`` (richest
        template met; missing if none), ``ready`` (target met) and ``missing``
        (the target's connections the parcel lacks, comma-separated).
    """
    require_projected(parcels, what="readiness")
    require_projected(pipelines, what="readiness")
    target = rules.readiness.template(template).label
    fronting = fronting if fronting is not None else frontage(parcels, roads, rules=rules)
    road = fronting.line_road[fronting.line]
    width = np.full(len(parcels), np.nan)
    np.fmax.at(width, fronting.parcel, road_widths_m(roads, rules=rules).to_numpy()[road])
    road_ready = np.zeros(len(parcels), dtype=bool)
    road_ready[fronting.parcel[roads["status"].isin(rules.roads.ready_statuses).to_numpy()[road]]] = True

    out = pd.DataFrame(index=parcels.index)
    out["road_access"] = pd.array(~np.isnan(width), dtype="boolean")
    out["road"] = pd.array(road_ready, dtype="boolean")
    if not rules.served.require_bordering_road:
        width = np.where(np.isnan(width), 0.0, width)
    limit = width / 2.0 + rules.served.extra_distance_m
    out["serve_limit_m"] = limit
    parcel_geoms, geoms = parcels.geometry.to_numpy(), pipelines.geometry.to_numpy()
    networks = rules.served.networks
    eligible = [eligible_mains(pipelines, rules.served.sources[network], rules=rules) for network in networks]
    if not distances:
        # Each parcel's own limit (none without a road when one is required): a main within it serves.
        limited = np.flatnonzero(~np.isnan(limit))
        for network, found in zip(networks, any_within(parcel_geoms[limited], geoms, limit[limited], eligible)):
            served = np.zeros(len(parcels), dtype=bool)
            served[limited] = found
            out[f"served_{network}"] = pd.array(served, dtype="boolean")
    else:
        # Pipes within reach of a served limit are paired once for all networks; the rest searched per network.
        near_parcel, near_pipe, near_m = near_pairs(parcel_geoms, geoms, float(np.nanmax(limit, initial=0.0)))
        for network, mask in zip(networks, eligible):
            mine = mask[near_pipe]
            distance = nearest_distance(parcel_geoms, geoms[mask], known=(near_parcel[mine], near_m[mine]))
            out[f"{network}_distance_m"] = distance
            # NaN (no main, or no road when one is required) compares False: not served.
            out[f"served_{network}"] = pd.array(distance <= limit + EPS_M, dtype="boolean")
    out["site_levelled"] = parcels["site_levelled"].fillna(False).astype("boolean")

    connections = out[["road", "site_levelled"]].copy()
    for network in rules.served.networks:
        connections[network] = out[f"served_{network}"]
    label, ready, missing = _labels(connections, rules, target)
    out["readiness_label"] = pd.Series(label, index=parcels.index, dtype="str")
    out["ready"] = pd.array(ready, dtype="boolean")
    out["missing"] = pd.Series(missing, index=parcels.index, dtype="str")
    return out


__all__ = ["MISSING_SEPARATOR", "eligible_mains", "nearest_main_m", "readiness"]
