"""The park's headline figures (the KPI strip and ``/api/summary``), computed from the data only.

One function per figure group, each taking the layers it needs (already validated,
in the park's projected working CRS) and returning a plain ``dict`` of numbers and
counts. :func:`park_summary` runs every group named in :data:`FIGURE_GROUPS`, then
takes idle land, inefficiency and vacancy from the land analysis (``geo.analysis``) and
readiness from ``geo.infrastructure_summary``, both under the park's rules in force
(required: never the national defaults behind an override's back).

A day is judged in valid time (:func:`in_force`): records not yet true in the world
on the day asked for (``valid_from``) or no longer true (``valid_to``) are left out,
whenever the register learnt of them; history is kept in the layers, not counted.
Missing values are never guessed: every group says how many records it could not
judge (``*_unknown``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import shapely

from geo.analysis import LandAnalysis, analyse_land
from geo.crs import require_projected
from geo.inefficiency import CATEGORIES
from geo.infrastructure_summary import overview_figures
from geo.judged import layer_states, not_judged
from geo.records import SUPPLIED_STATUSES, UNKNOWN, in_force, is_industrial, supplied_parcels
from geo.units import m2_to_km2, m2_to_mu
from layers.evaluation_rules import EvaluationRules, default_evaluation_rules
from layers.infra_rules import InfraRules
from layers.registry import get_layer
from layers.rules import LandRules

METRES_PER_KM = 1_000.0


def _counts(values: pd.Series, layer: str, field: str) -> dict[str, int]:
    """Counts per declared code of ``layer.field`` (registry order, zeros kept), plus missing ones."""
    declared = get_layer(layer).field(field).allowed_values
    counts = values.value_counts(dropna=True)
    out = {code: int(counts.get(code, 0)) for code in declared}
    out[UNKNOWN] = int(values.isna().sum())
    return out


def _sums(amounts: np.ndarray, values: pd.Series, layer: str, field: str) -> dict[str, float]:
    """Sums of ``amounts`` per declared code of ``layer.field`` (zeros kept), plus missing ones."""
    declared = get_layer(layer).field(field).allowed_values
    sums = pd.Series(amounts, index=values.index).groupby(values, dropna=True).sum()
    out = {code: float(sums.get(code, 0.0)) for code in declared}
    out[UNKNOWN] = float(amounts[values.isna().to_numpy()].sum())
    return out


def park_area(zones: pd.DataFrame, parcels: pd.DataFrame) -> dict:
    """Park area: the union of ``park_boundary`` zones, else the union of the parcels.

    Beside it, the registered parcels' own total, which pages that sum parcels (/land's 全园区) show: it
    differs from the park area because parcels may lie outside the boundary (an expansion area registered
    before the boundary was redrawn) and the boundary holds roads and land not yet parcelled.

    Returns ``area_m2``, ``area_km2``, ``area_mu``, ``source`` (``park_boundary``, ``parcels`` or ``none``),
    ``parcels_mu`` (the sum of every parcel's area) and ``parcels_outside_mu`` (the part of it outside the
    boundary; 0 without a boundary).
    """
    boundary = zones.geometry[(zones["kind"] == "park_boundary").to_numpy()]
    parcel_geoms = parcels.geometry.to_numpy() if len(parcels) else np.array([], dtype=object)
    if len(parcels):
        require_projected(parcels, what="park area")
    if len(boundary):
        require_projected(boundary, what="park area")
        source, geoms = "park_boundary", boundary.to_numpy()
    elif len(parcels):
        source, geoms = "parcels", parcel_geoms
    else:
        source, geoms = "none", np.array([], dtype=object)
    outline = shapely.union_all(geoms) if len(geoms) else None
    area_m2 = float(shapely.area(outline)) if outline is not None else 0.0
    parcel_m2 = shapely.area(parcel_geoms)
    outside_m2 = 0.0
    if source == "park_boundary" and len(parcel_geoms):
        # Only parcels not wholly inside need the (costly) intersection.
        shapely.prepare(outline)
        crossing = ~shapely.contains(outline, parcel_geoms)
        inside_m2 = shapely.area(shapely.intersection(parcel_geoms[crossing], outline))
        outside_m2 = float((parcel_m2[crossing] - inside_m2).sum())
    return {"area_m2": area_m2, "area_km2": m2_to_km2(area_m2), "area_mu": m2_to_mu(area_m2), "source": source,
            "parcels_mu": m2_to_mu(float(parcel_m2.sum())), "parcels_outside_mu": m2_to_mu(outside_m2)}


def land_supply(parcels: pd.DataFrame, *, as_of: dt.date | None = None, supplied_date: str | None = None) -> dict:
    """Land supplied (供地) and of it industrial, from parcel geometry areas.

    A parcel is supplied by its status (:data:`SUPPLIED_STATUSES`). A parcel **without a status** is supplied when
    its ``supplied_date`` field (the evaluation rules' ``status.supplied_date_without_status``: the contract date) is
    on or before ``as_of`` (today without a day) — the rule of ``geo.evaluation``, from
    :func:`geo.records.dated_without_status`; without ``supplied_date`` nothing is inferred. A parcel with neither a
    status nor that date is not guessed: the figures are then ``None``.

    Returns ``supplied_m2``/``supplied_mu``, ``industrial_m2``/``industrial_mu``,
    ``supplied_parcels`` and ``land_use_unknown`` (supplied parcels without a
    land-use code, counted as supplied but not as industrial), ``supplied_by_date`` (parcels without a status
    counted by their date) and ``supply_unknown`` (parcels with neither, which leave the others ``None``).
    """
    require_projected(parcels, what="supplied land area")
    supplied, by_date, untold = supplied_parcels(parcels, as_of=as_of, supplied_date=supplied_date)
    counts = {"supplied_by_date": int(by_date.sum()), "supply_unknown": int(untold.sum())}
    if untold.any():
        return {key: None for key in ("supplied_m2", "supplied_mu", "industrial_m2", "industrial_mu",
                                      "supplied_parcels", "land_use_unknown")} | counts
    area_m2 = shapely.area(parcels.geometry.to_numpy())
    industrial = supplied & is_industrial(parcels)
    supplied_m2 = float(area_m2[supplied].sum())
    industrial_m2 = float(area_m2[industrial].sum())
    return {
        "supplied_m2": supplied_m2,
        "supplied_mu": m2_to_mu(supplied_m2),
        "industrial_m2": industrial_m2,
        "industrial_mu": m2_to_mu(industrial_m2),
        "supplied_parcels": int(supplied.sum()),
        "land_use_unknown": int((supplied & parcels["land_use"].isna().to_numpy()).sum()),
        **counts,
    }


def parcel_counts(parcels: pd.DataFrame) -> dict:
    """Number of parcels, in total and by status (``unknown`` for a missing status)."""
    return {"total": len(parcels), "by_status": _counts(parcels["status"], "parcels", "status")}


def factory_space(buildings: pd.DataFrame, units: pd.DataFrame) -> dict:
    """Standard factory (标准厂房) floor area, buildings and units; all buildings' GFA by use.

    Demolished buildings are left out. GFA is the recorded ``gfa_m2``; buildings
    without one are counted in ``*_gfa_unknown`` rather than estimated.
    """
    standing = buildings[(buildings["status"] != "demolished").to_numpy()]
    gfa_m2 = standing["gfa_m2"].to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(gfa_m2)
    standard = (standing["use"] == "standard_factory").to_numpy()
    standard_ids = standing["building_id"][standard]
    return {
        "standard_factory_gfa_m2": float(gfa_m2[standard & known].sum()),
        "standard_factory_buildings": int(standard.sum()),
        "standard_factory_gfa_unknown": int((standard & ~known).sum()),
        "standard_factory_units": int(units["building_id"].isin(standard_ids).sum()),
        "units_total": len(units),
        "buildings": len(standing),
        "gfa_m2": float(gfa_m2[known].sum()),
        "gfa_unknown": int((~known).sum()),
        "gfa_by_use_m2": _sums(np.where(known, gfa_m2, 0.0), standing["use"], "buildings", "use"),
    }


def _km_by(frame: pd.DataFrame, layer: str, groups: Mapping[str, str]) -> dict:
    """Total km of the lines of ``frame`` and km per code of each field in ``groups`` (key → field)."""
    require_projected(frame, what=f"{layer} length")
    km = shapely.length(frame.geometry.to_numpy()) / METRES_PER_KM
    return {"total_km": float(km.sum()), **{key: _sums(km, frame[name], layer, name) for key, name in groups.items()}}


def road_lengths(roads: pd.DataFrame) -> dict:
    """Road centreline km in total, by construction status and by grade."""
    return _km_by(roads, "roads", {"by_status_km": "status", "by_grade_km": "grade"})


def pipeline_lengths(pipelines: pd.DataFrame) -> dict:
    """Pipeline km in total, by network (CJJ 61) and by status; the number of pipelines by network
    (``by_network_count``: a pipeline whose type is not a CJJ 61 code has none and is counted as ``unknown``)."""
    return {**_km_by(pipelines, "pipelines", {"by_network_km": "network", "by_status_km": "status"}),
            "by_network_count": _counts(pipelines["network"], "pipelines", "network")}


def land_use_efficiency(land: LandAnalysis) -> dict:
    """Idle land (亩, by status), inefficient land (亩, by category) and factory vacancy of one land analysis.

    The figures of the very result ``/idle``, ``/land``, ``/vacancy`` and ``analyse``
    show, so the overview says what they say; records it could not judge are counted
    in ``idle_not_judged`` and ``inefficient_not_judged`` (a figure is then a lower bound; when no parcel could be
    judged it is ``None``, never 0).
    """
    analysed = land.parcels
    mu = analysed["area_mu"].to_numpy()
    idle_statuses = ("idle_fee", "idle_reclaim", "stalled_idle")
    status = analysed["idle_status"]
    by_status = {key: float(mu[(status == key).fillna(False).to_numpy(dtype=bool)].sum()) for key in idle_statuses}
    flags = {c: analysed[c].to_numpy(dtype=bool) for c in CATEGORIES}
    any_kind = np.logical_or.reduce(list(flags.values())) if flags else np.zeros(len(analysed), dtype=bool)
    vacancy = land.park_vacancy
    out = {
        "as_of": land.as_of.date().isoformat(),
        "idle_mu": float(sum(by_status.values())),
        "idle_by_status_mu": by_status,
        "idle_parcels": int(status.isin(idle_statuses).sum()),
        "idle_fee_wan": float(np.nansum(analysed["idle_fee_wan"].to_numpy())),
        "idle_not_judged": int(status.isna().sum()),
        "inefficient_mu": float(mu[any_kind].sum()),
        "inefficient_not_judged": int(analysed["inefficiency_not_judged"].notna().sum()),
        "inefficient_by_category_mu": {c: float(mu[flag].sum()) for c, flag in flags.items()},
        "vacancy_rate": vacancy["vacancy_rate"],
        "leasable_m2": vacancy["leasable_m2"],
        "vacant_m2": vacancy["vacant_m2"],
        "overlapping_leases": int(len(land.overlaps)),
    }
    # Every parcel not judged (no status, no dates …): no figure of idle land is told, not even 0.
    if len(analysed) and out["idle_not_judged"] == len(analysed):
        out.update(dict.fromkeys(("idle_mu", "idle_by_status_mu", "idle_parcels", "idle_fee_wan")))
    if len(analysed) and out["inefficient_not_judged"] == len(analysed):
        out.update(dict.fromkeys(("inefficient_mu", "inefficient_by_category_mu")))
    return out


#: Figure groups computed from the data alone, in the order the summary lists them: (name, layers, function).
#: ``land_use_efficiency`` (from the land analysis) and ``infrastructure`` (readiness, conflicts) follow them.
FIGURE_GROUPS: tuple[tuple[str, tuple[str, ...], Callable[..., dict]], ...] = (
    ("park_area", ("zones", "parcels"), park_area),
    ("land_supply", ("parcels",), land_supply),
    ("parcels", ("parcels",), parcel_counts),
    ("factory_space", ("buildings", "units"), factory_space),
    ("roads", ("roads",), road_lengths),
    ("pipelines", ("pipelines",), pipeline_lengths),
)
#: The figures of each topic (``geo.judged.TOPICS``) in the summary: topic → {group: its keys}. A topic the park
#: lacks the layers for (no records in force on the day) gives them as ``None`` — never a 0 beside "无法判断".
TOPIC_FIGURES: dict[str, dict[str, tuple[str, ...]]] = {
    "park_area": {"park_area": ("area_m2", "area_km2", "area_mu")},
    "land_supply": {"land_supply": ("supplied_m2", "supplied_mu", "industrial_m2", "industrial_mu",
                                    "supplied_parcels", "land_use_unknown", "supplied_by_date", "supply_unknown")},
    "factory_space": {"factory_space": ("standard_factory_gfa_m2", "standard_factory_buildings",
                                        "standard_factory_gfa_unknown", "standard_factory_units", "buildings",
                                        "gfa_m2", "gfa_unknown", "gfa_by_use_m2")},
    "roads": {"roads": ("total_km", "by_status_km", "by_grade_km")},
    "pipelines": {"pipelines": ("total_km", "by_network_km", "by_status_km", "by_network_count")},
    "idle_land": {"land_use_efficiency": ("idle_mu", "idle_by_status_mu", "idle_parcels", "idle_fee_wan",
                                          "idle_not_judged")},
    "inefficient_land": {"land_use_efficiency": ("inefficient_mu", "inefficient_by_category_mu",
                                                 "inefficient_not_judged")},
    "vacancy": {"land_use_efficiency": ("vacancy_rate", "leasable_m2", "vacant_m2", "overlapping_leases")},
    "readiness": {"infrastructure": ("supplied_parcels", "ready_parcels", "ready_share", "road_share",
                                     "served_share")},
    "clearance": {"infrastructure": ("conflicts",)},
}


def without_unjudged(figures: Mapping[str, dict], states: Mapping[str, str]) -> dict[str, dict]:
    """``figures`` with the figures of every topic of :data:`TOPIC_FIGURES` the park cannot judge (``states``:
    ``geo.judged.layer_states``) set to ``None``."""
    out = {group: dict(values) for group, values in figures.items()}
    for item in not_judged(states, TOPIC_FIGURES):
        for group, keys in TOPIC_FIGURES[item.topic.key].items():
            out[group].update(dict.fromkeys(keys))
    return out


#: Layers of the land analysis and of the infrastructure figures.
LAND_LAYERS = ("parcels", "buildings", "units", "leases", "enterprises", "enterprise_years", "roads", "pipelines")
INFRASTRUCTURE_LAYERS = ("parcels", "roads", "pipelines", "buildings")
#: Every layer the summary reads.
SUMMARY_LAYERS = tuple(sorted({name for _, names, _ in FIGURE_GROUPS for name in names}
                              | set(LAND_LAYERS) | set(INFRASTRUCTURE_LAYERS)))

#: Fields of its layers that no figure of the summary reads — the names and notes shown beside the records: a change
#: of these alone leaves every figure as it was (``service.park`` keeps the figures over it; the test scrambles them
#: and computes the figures again). A figure that comes to read one of them must take it out of here.
SUMMARY_UNREAD_FIELDS: dict[str, frozenset[str]] = {
    "zones": frozenset({"name", "note"}),
    "parcels": frozenset({"name"}),
    "buildings": frozenset({"name"}),
    "roads": frozenset({"name"}),
    "enterprises": frozenset({"name"}),
}


#: The figure groups :func:`park_summary` gives, in its order.
SUMMARY_GROUPS = (*(group for group, _, _ in FIGURE_GROUPS), "land_use_efficiency", "infrastructure")
#: The types of a single figure (a count, an area, a share not judged: ``None``, a label such as the day or template).
_FIGURE_TYPES = (int, float, str, type(None))


def _figures_shaped(value: object) -> bool:
    if type(value) is dict:
        return all(type(key) is str and _figures_shaped(item) for key, item in value.items())
    return type(value) in _FIGURE_TYPES


def summary_shaped(value: object) -> bool:
    """Whether ``value`` has the shape of a :func:`park_summary`: its groups, in order, each a dict of text keys
    to figures or to dicts of them (a summary read back from a store is checked before a page shows it)."""
    return (type(value) is dict and tuple(value) == SUMMARY_GROUPS
            and all(type(group) is dict and _figures_shaped(group) for group in value.values()))


def park_summary(layers: Mapping[str, pd.DataFrame], *, as_of: dt.date | None, rules: LandRules,
                 infra_rules: InfraRules, land: LandAnalysis | None = None,
                 conflicts: Mapping[str, int] | None = None,
                 evaluation_rules: EvaluationRules | None = None) -> dict[str, dict]:
    """Every figure group for the park's ``layers`` on ``as_of``, under the park's rules in force.

    Parameters
    ----------
    layers
        Validated layers by name (at least :data:`SUMMARY_LAYERS`).
    as_of
        Count records true on this day (valid time) and judge idle land and leases on it;
        ``None``: the records the register holds now, judged today.
    rules, infra_rules
        The park's land and infrastructure rules in force (defaults merged with its overrides).
    land
        The land analysis of these layers on ``as_of`` under ``rules`` when already computed
        (the park service passes its cached one, so every page shows the same figures).
    conflicts
        The clearance conflict counts of these layers on ``as_of`` under ``infra_rules`` when already counted
        (``geo.infrastructure_summary.park_conflict_counts``: the park service keeps them apart).
    evaluation_rules
        The park's evaluation rules in force, for the date that supplies a parcel without a status
        (``status.supplied_date_without_status``); ``None``: the national defaults.

    The figures of a topic the park holds no records for on the day (``geo.judged``) are ``None``
    (:func:`without_unjudged`), as are those the records cannot tell (parcels with neither status nor contract date).
    """
    current = {name: in_force(layers[name], as_of=as_of) for name in SUMMARY_LAYERS}
    evaluation_rules = evaluation_rules or default_evaluation_rules()
    if land is None:
        land = analyse_land(layers, as_of=as_of or dt.date.today(), rules=rules, infra_rules=infra_rules,
                            status_rules=evaluation_rules.status)
    options = {"land_supply": {"as_of": as_of,
                               "supplied_date": evaluation_rules.status.supplied_date_without_status}}
    figures = {group: function(*(current[name] for name in names), **options.get(group, {}))
               for group, names, function in FIGURE_GROUPS}
    figures["land_use_efficiency"] = land_use_efficiency(land)
    # Readiness as the land analysis judged it (same day, records and rules): the park is not judged twice.
    figures["infrastructure"] = overview_figures(*(current[name] for name in INFRASTRUCTURE_LAYERS),
                                                 rules=infra_rules, ready=land.readiness_flags, conflicts=conflicts,
                                                 as_of=as_of, supplied_date=options["land_supply"]["supplied_date"])
    states = layer_states({name: len(frame) for name, frame in current.items()}, current)
    return without_unjudged(figures, states)


__all__ = [
    "FIGURE_GROUPS",
    "SUMMARY_GROUPS",
    "SUMMARY_LAYERS",
    "SUMMARY_UNREAD_FIELDS",
    "SUPPLIED_STATUSES",
    "TOPIC_FIGURES",
    "factory_space",
    "in_force",
    "is_industrial",
    "land_supply",
    "land_use_efficiency",
    "park_area",
    "park_summary",
    "parcel_counts",
    "pipeline_lengths",
    "road_lengths",
    "summary_shaped",
    "without_unjudged",
]
