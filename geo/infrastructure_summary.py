"""Infrastructure status reporting: road and pipeline km, coverage ratios, and the whole analysis.

What a committee reports about its infrastructure (DESIGN.md): roads by
construction stage (规划, 报批, 路基, 临时路面, 建成) and grade in km; pipelines by
network, status and diameter band in km; how many supplied parcels each network
serves and how many are fully ready (七通一平 by default). :func:`infrastructure_analysis`
runs readiness, road-network distances, clearance conflicts and these tables in
one pass, for the page, the API and the exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.clearance import CLEARANCE_LAYERS, KINDS, clearance_conflicts, unchecked_pipes
from geo.crs import require_projected
from geo.readiness import readiness
from geo.records import UNKNOWN, described_fields, in_force, supplied_parcels
from geo.roadnet import frontage, network_distances
from layers.evaluation_rules import PARCEL_WORLD_DATES
from layers.infra_rules import InfraRules
from layers.registry import get_layer
from layers.schema import VALID_TIME_FIELD_NAMES

METRES_PER_KM = 1_000.0
#: The layers the analysis reads.
INFRASTRUCTURE_ANALYSIS_LAYERS = ("parcels", "roads", "pipelines", "buildings", "facilities")
#: The parcels' fields the analysis computes with: their shapes and ids, whether the site is levelled, whether the
#: land is supplied (the coverage counts supplied parcels), and which parcels are in force on the day (any other
#: parcel field is patched into a kept analysis: a new read of one belongs here).
INFRASTRUCTURE_PARCEL_FIELDS = frozenset({"parcel_id", "geometry", "site_levelled", "status", *VALID_TIME_FIELD_NAMES,
                                          "retired_on",
                                          # (the date that supplies a parcel without a status is configuration:
                                          # any of the parcels' world dates may be it, so a change of one recomputes)
                                          *PARCEL_WORLD_DATES})
#: Fields the analysis holds with the records it judged (``layers``) without computing with them — the descriptive
#: fields of every layer, and every other field of the parcels: a change of only these is patched into a kept
#: analysis (``geo.records.with_layer_fields``) instead of computing it again (a parcel's price, its dates).
INFRASTRUCTURE_SHOWN_FIELDS = {
    **described_fields(INFRASTRUCTURE_ANALYSIS_LAYERS),
    "parcels": frozenset(get_layer("parcels").field_names) - INFRASTRUCTURE_PARCEL_FIELDS}


def _km(frame: gpd.GeoDataFrame, *, what: str) -> np.ndarray:
    require_projected(frame, what=what)
    return shapely.length(frame.geometry.to_numpy()) / METRES_PER_KM


def _coded(values: pd.Series, layer: str, field: str) -> pd.Series:
    """Codes as a categorical in registry order, missing ones as ``unknown``."""
    declared = list(get_layer(layer).field(field).allowed_values) + [UNKNOWN]
    return pd.Series(pd.Categorical(values.fillna(UNKNOWN), categories=declared), index=values.index, name=field)


def road_km(roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Road centreline km by construction status (rows) and grade (columns), registry order, zeros kept."""
    km = pd.Series(_km(roads, what="road length"), index=roads.index)
    table = km.groupby([_coded(roads["status"], "roads", "status"), _coded(roads["grade"], "roads", "grade")],
                       observed=False).sum().unstack()
    table.index.name, table.columns.name = "status", "grade"
    return table


def diameter_bands(pipelines: pd.DataFrame, *, rules: InfraRules) -> pd.Series:
    """The reporting diameter band of each pipe (``unknown`` without a diameter)."""
    bands = rules.reporting.diameter_bands_mm
    bounds = np.array([b.max_mm for b in bands[:-1]], dtype=float)
    diameter = pipelines["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    names = np.array([b.band for b in bands] + [UNKNOWN], dtype=object)
    # Upper bounds are inclusive: DN100 falls in "≤DN100".
    number = np.where(np.isnan(diameter), len(bands), np.searchsorted(bounds, diameter, side="left"))
    return pd.Series(pd.Categorical(names[number], categories=list(names)), index=pipelines.index,
                     name="diameter_band")


def pipeline_km(pipelines: gpd.GeoDataFrame, *, rules: InfraRules) -> pd.DataFrame:
    """Pipeline km by network, status and diameter band (long form; only combinations present)."""
    km = pd.Series(_km(pipelines, what="pipeline length"), index=pipelines.index, name="km")
    keys = [_coded(pipelines["network"], "pipelines", "network"), _coded(pipelines["status"], "pipelines", "status"),
            diameter_bands(pipelines, rules=rules)]
    table = km.groupby(keys, observed=True).sum().rename_axis(["network", "status", "diameter_band"])
    return table.reset_index()


def coverage(parcels: pd.DataFrame, ready: pd.DataFrame, *, rules: InfraRules, as_of: dt.date | None = None,
             supplied_date: str | None = None) -> dict:
    """Share of supplied parcels served by each network, and share fully at the target template.

    Parameters
    ----------
    parcels
        The parcels ``ready`` was computed for (for their status, and their ``supplied_date``).
    ready
        The result of :func:`geo.readiness.readiness`, indexed like ``parcels``.
    as_of, supplied_date
        Which parcels are supplied: :func:`geo.records.supplied_parcels` (a parcel without a status by its
        contract date on the day). ``supply_unknown`` counts those with neither (not among the supplied).
    """
    supplied, _, untold = supplied_parcels(parcels, as_of=as_of, supplied_date=supplied_date)
    count = int(supplied.sum())

    def share(column: str) -> tuple[int, float | None]:
        met = int(ready[column].to_numpy(dtype=bool)[supplied].sum())
        return met, (met / count if count else None)

    served = {network: share(f"served_{network}") for network in rules.served.networks}
    ready_count, ready_share = share("ready")
    road_count, road_share = share("road")
    return {
        "supplied_parcels": count,
        "supply_unknown": int(untold.sum()),
        "served_parcels": {n: v[0] for n, v in served.items()},
        "served_share": {n: v[1] for n, v in served.items()},
        "road_parcels": road_count,
        "road_share": road_share,
        "ready_parcels": ready_count,
        "ready_share": ready_share,
    }


def conflict_counts(conflicts: pd.DataFrame) -> dict[str, int]:
    """Number of conflicts of each kind, and in total."""
    counts = conflicts["kind"].value_counts()
    return {"total": len(conflicts), **{kind: int(counts.get(kind, 0)) for kind in KINDS}}


def park_conflict_counts(layers: Mapping[str, pd.DataFrame], *, as_of: dt.date | None,
                         rules: InfraRules) -> dict[str, int]:
    """:func:`conflict_counts` of the clearance conflicts among the pipelines and buildings in force on ``as_of``
    (``None``: those the register holds now): the overview's, counted on their own so that a caller can keep them
    while those two layers stay as they were (``geo.clearance.CLEARANCE_BUILDING_FIELDS``)."""
    pipelines, buildings = (in_force(layers[name], as_of=as_of) for name in CLEARANCE_LAYERS)
    return conflict_counts(clearance_conflicts(pipelines, buildings, rules=rules))


def overview_figures(parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, pipelines: gpd.GeoDataFrame,
                     buildings: gpd.GeoDataFrame, *, rules: InfraRules, ready: pd.DataFrame | None = None,
                     conflicts: Mapping[str, int] | None = None, as_of: dt.date | None = None,
                     supplied_date: str | None = None) -> dict:
    """The overview's readiness and conflict figures (records already in force).

    Returns the target ``template``, ``supplied_parcels``, ``ready_parcels`` and
    ``ready_share``, ``road_share``, ``served_share`` per network and
    ``conflicts`` (counts by kind), under the park's infrastructure ``rules``.
    ``ready``: the readiness flags of these parcels under these rules when already judged (the land analysis's,
    indexed like ``parcels``); judged here otherwise. ``conflicts``: the conflict counts of these pipelines and
    buildings under these rules when already counted (:func:`park_conflict_counts`); counted here otherwise.
    """
    if ready is None or not ready.index.equals(parcels.index):
        # The flags alone: coverage counts served, road and ready parcels, never how far the nearest main is
        # (searching it was two thirds of the figures' time on a 10⁵-parcel park).
        ready = readiness(parcels, roads, pipelines, rules=rules, distances=False)
    cover = coverage(parcels, ready, rules=rules, as_of=as_of, supplied_date=supplied_date)
    return {
        "template": rules.readiness.default_template,
        **{key: cover[key] for key in ("supplied_parcels", "ready_parcels", "ready_share", "road_share",
                                       "served_share")},
        "conflicts": dict(conflicts) if conflicts is not None
        else conflict_counts(clearance_conflicts(pipelines, buildings, rules=rules)),
    }


def infrastructure_analysis(layers: Mapping[str, pd.DataFrame], *, rules: InfraRules, as_of: dt.date | None = None,
                            template: str | None = None, include_planned: bool = False,
                            supplied_date: str | None = None) -> dict:
    """Readiness, network distances, clearance conflicts and the km tables of a park.

    Parameters
    ----------
    layers
        Validated layers by name: parcels, roads, pipelines, buildings, facilities.
    rules
        Infrastructure rules.
    as_of
        Use the records in force on this day (default: every record not retired).
    template
        Target readiness label (default: the rules' default template).
    include_planned
        Route over planned roads too.
    supplied_date
        The evaluation rules' date that supplies a parcel without a status (``coverage``; ``None``: by status only).

    Returns
    -------
    dict
        ``layers`` (the records in force that were analysed, by name), ``parcels``
        (readiness and network distances joined, indexed like the parcels in
        force, with ``parcel_id``), ``conflicts`` (GeoDataFrame),
        ``unchecked_pipes``, ``road_km``, ``pipeline_km``, ``coverage``, ``supplied`` (which of the parcels
        are supplied, as ``coverage`` counts them), ``conflict_counts`` and ``template``.
    """
    current = {name: in_force(layers[name], as_of=as_of) for name in INFRASTRUCTURE_ANALYSIS_LAYERS}
    parcels = current["parcels"]
    fronting = frontage(parcels, current["roads"], rules=rules)
    ready = readiness(parcels, current["roads"], current["pipelines"], rules=rules, template=template,
                      fronting=fronting)
    reach = network_distances(parcels, current["roads"], current["facilities"], rules=rules,
                              include_planned=include_planned, fronting=fronting)
    conflicts = clearance_conflicts(current["pipelines"], current["buildings"], rules=rules)
    return {
        "layers": current,
        "parcels": pd.concat([parcels[["parcel_id"]], ready, reach], axis=1),
        "conflicts": conflicts,
        "unchecked_pipes": unchecked_pipes(current["pipelines"], rules=rules),
        "road_km": road_km(current["roads"]),
        "pipeline_km": pipeline_km(current["pipelines"], rules=rules),
        "coverage": coverage(parcels, ready, rules=rules, as_of=as_of, supplied_date=supplied_date),
        "supplied": supplied_parcels(parcels, as_of=as_of, supplied_date=supplied_date)[0],
        "conflict_counts": conflict_counts(conflicts),
        "template": rules.readiness.template(template).label,
    }


__all__ = ["conflict_counts", "coverage", "diameter_bands", "infrastructure_analysis", "pipeline_km", "road_km"]
