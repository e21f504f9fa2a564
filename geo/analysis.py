"""The park's land analysis in one pass: ``parcel_analysis`` and its companions.

:func:`analyse_land` runs utilisation, idle land, 亩均, inefficient land and vacancy
on a park's validated layers as of one day, sharing the building–parcel overlay
between them. ``parcel_analysis`` carries the DESIGN.md field names first (the
stable interface), then the working columns the pages show. ``served_<network>``
and ``readiness_label`` come from ``geo.readiness`` when infrastructure rules are
passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.heap import release_free_memory
from geo.idle import idle_land
from geo.inefficiency import CATEGORIES, inefficient_land
from geo.muju import MujuResult, building_parcel, muju_evaluation
from geo.readiness import readiness
from geo.reasons import TEXT_DTYPE, align, isin, lookup, take_text
from geo.records import in_force, with_fields_of
from geo.utilisation import area_ratios, building_floor_areas, building_parcel_pairs, utilisation
from geo.vacancy import overlapping_leases, park_vacancy, unit_vacancy, vacancy_by, vacancy_trend
from layers.evaluation_rules import StatusRules, default_evaluation_rules
from layers.rules import LandRules
from layers.schema import VALID_TIME_FIELD_NAMES
from layers.text_keys import positions
from layers.valid_time import valid_on

#: The stable field names of ``parcel_analysis`` (DESIGN.md), before the readiness columns.
PARCEL_ANALYSIS_FIELDS = (
    "parcel_id", "area_m2", "area_mu", "footprint_m2", "gfa_m2", "far", "building_coef", "far_required", "far_ok",
    "building_coef_ok", "idle_status", "idle_clause", "idle_since", "idle_days", "idle_fee_wan", "inefficiency",
    "tax_per_mu_wan", "mu_grade",
)
#: Working columns after the stable ones.
EXTRA_FIELDS = (
    "name", "area_name", "status", "tenure", "enterprise_id", "land_use", "is_industrial", "far_gfa_m2", "far_max",
    "building_coef_required", "green_ratio", "green_ratio_ok", "admin_share", "admin_share_ok",
    "investment_intensity_wan_per_mu", "far_headroom_m2", "compliance_judged", "utilisation_note",
    "development_stage", "exempt_code", "next_threshold", "next_threshold_date", "days_to_next_threshold",
    "developed_share", "developed_source", "invested_share", "idle_not_judged", "idle_note", *CATEGORIES,
    "inefficiency_reason", "inefficiency_not_judged", "tax_wan", "output_per_mu_wan", "value_added_per_mu_wan",
    "mu_score",
)

#: Fields the land analysis shows beside its figures without computing with them, by layer: each is a column of
#: the analysis's frame of that layer (``LandAnalysis.parcels``, ``.buildings``), by the record's id. A change of
#: only these is patched into a kept analysis (:func:`with_fields_shown`) instead of computing it again.
LAND_SHOWN_FIELDS: dict[str, frozenset[str]] = {"parcels": frozenset({"name"}), "buildings": frozenset({"name"})}
#: The layers the readiness flags of the parcels read (:func:`readiness_flags`).
READINESS_LAYERS = ("parcels", "roads", "pipelines")
#: The parcels' fields the readiness flags read: the parcels' shapes, their ids, whether the site is levelled, and
#: which parcels are in force on the day. Any other field of a parcel may change and the flags stay as they are
#: (the park service keeps them over such a change: a new read of a parcel field by readiness belongs here).
READINESS_PARCEL_FIELDS = frozenset({"parcel_id", "geometry", "site_levelled", *VALID_TIME_FIELD_NAMES, "retired_on"})
#: Fields of the layers it reads that the land analysis neither computes with nor shows (kept over a change of them:
#: a new read of one of these by the analysis must take it out of here and of :data:`LAND_SHOWN_FIELDS`).
LAND_UNREAD_FIELDS: dict[str, frozenset[str]] = {"enterprises": frozenset({"name"}), "roads": frozenset({"name"})}


@dataclass(frozen=True)
class LandAnalysis:
    """Everything the land pages show, as of one day."""

    as_of: pd.Timestamp
    parcels: gpd.GeoDataFrame
    muju: MujuResult
    units: pd.DataFrame
    buildings: gpd.GeoDataFrame
    phases: pd.DataFrame
    park_vacancy: dict
    overlaps: pd.DataFrame
    trend: pd.DataFrame
    ratios: pd.DataFrame
    readiness: bool
    #: The readiness flags of the parcels in force (``served_<network>``, ``road``, ``ready``, the label), indexed
    #: like them, when judged: the overview's readiness figures count them instead of judging the park again.
    readiness_flags: pd.DataFrame | None = None


def with_fields_shown(land: LandAnalysis, layer: str, records: pd.DataFrame, id_field: str,
                      fields) -> LandAnalysis:
    """``land`` with ``fields`` (of :data:`LAND_SHOWN_FIELDS`) of ``layer`` as ``records`` (of that layer, ids in
    ``id_field``) hold them, in the rows of those records its frame of that layer lists (by the id column, or an
    index of ids, the buildings'); ``land`` itself is left as it was (it is shared)."""
    frame = getattr(land, layer)
    patched = with_fields_of(frame, records, id_field, fields)
    return land if patched is frame else replace(land, **{layer: patched})


def _layer(layers: Mapping[str, pd.DataFrame], name: str, as_of) -> pd.DataFrame:
    frame = layers.get(name)
    if frame is None:
        from layers.registry import get_layer

        spec = get_layer(name)
        frame = pd.DataFrame({f.name: pd.Series(dtype=object) for f in spec.fields})
    return in_force(frame, as_of=as_of)


def _in_force_rows(layers: Mapping[str, pd.DataFrame], name: str, as_of) -> np.ndarray:
    """Which rows of ``layers[name]`` :func:`_layer` keeps (all rows of a missing layer: it has none)."""
    frame = layers.get(name)
    return np.zeros(0, dtype=bool) if frame is None else valid_on(frame, as_of)


@dataclass(frozen=True)
class ParcelSteps:
    """The spatial, per-parcel steps of the analysis, each aligned with the parcels.

    ``pairs`` holds integer positions into the parcels and buildings passed in, in
    canonical order (building, then parcel), so that every engine hands the park-wide
    steps the same rows in the same order. ``readiness`` is ``None`` without
    infrastructure rules; otherwise it holds only the columns ``parcel_analysis`` keeps
    (``served_<network>``, ``readiness_label``), or a future of them while they are
    still being computed (:meth:`ready`).
    """

    pairs: pd.DataFrame
    utilisation: pd.DataFrame
    idle: pd.DataFrame
    readiness: pd.DataFrame | Future | None

    def ready(self) -> pd.DataFrame | None:
        """The readiness columns, waiting for them if they are computed in the background."""
        return resolved(self.readiness)


def resolved(readiness: pd.DataFrame | Future | None) -> pd.DataFrame | None:
    """:attr:`ParcelSteps.readiness` as columns, waiting for them if they are computed in the background."""
    return readiness.result() if isinstance(readiness, Future) else readiness


def sorted_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` in canonical order: by building, then parcel (ties in later steps break the same way everywhere)."""
    return pairs.sort_values(["building", "parcel"], kind="stable", ignore_index=True)


def parcel_steps(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    enterprises: pd.DataFrame,
    roads: pd.DataFrame,
    pipelines: pd.DataFrame,
    as_of: pd.Timestamp,
    rules: LandRules,
    infra_rules=None,
    pairs: pd.DataFrame | None = None,
    background: bool = False,
    park_has_buildings: bool | None = None,
) -> ParcelSteps:
    """Overlay, utilisation, idle land and readiness of ``parcels`` in one process.

    A parcel's results depend only on the buildings that touch it (and the other
    parcels those buildings touch), the roads and mains within reach and its
    enterprise: that is what lets ``geo.partition`` run this same function on spatial
    partitions with a halo and get identical rows. ``pairs``: the overlay of these
    parcels and buildings when already computed (in canonical order).
    ``park_has_buildings``: whether the whole park holds a building on the day (a partition's
    ``buildings`` may be none of them); ``None``: told by ``buildings``.

    With ``background``, readiness runs in a thread of its own and ``readiness`` is a
    future: it shares nothing with the land steps but the (read-only) parcels, and
    GEOS and NumPy release the GIL, so it overlaps the overlay, utilisation and idle
    land on a second core (``analyse_land`` waits for it before 亩均, whose working
    memory would otherwise come on top of readiness's; bench/README.md).
    """
    ready = None
    if infra_rules is not None:
        if background:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")
            ready = pool.submit(_readiness_flags, parcels, roads, pipelines, infra_rules)
            pool.shutdown(wait=False)  # the thread finishes its one task; the future stays valid
        else:
            ready = _readiness_flags(parcels, roads, pipelines, infra_rules)
            release_free_memory()  # the readiness arrays' memory, before the land steps allocate theirs
    if pairs is None:
        pairs = sorted_pairs(building_parcel_pairs(parcels, buildings))
    floor_areas = building_floor_areas(buildings, rules=rules)
    util = utilisation(parcels, buildings, enterprises=enterprises, as_of=as_of, rules=rules, pairs=pairs,
                       floor_areas=floor_areas)
    idle = idle_land(parcels, buildings, as_of=as_of, rules=rules, pairs=pairs, floor_areas=floor_areas,
                     park_has_buildings=park_has_buildings)
    return ParcelSteps(pairs, util, idle, ready)


def readiness_flags(layers: Mapping[str, pd.DataFrame], *, as_of, infra_rules) -> pd.DataFrame:
    """The readiness flags of the parcels in force on ``as_of`` (:data:`READINESS_LAYERS`) that :func:`analyse_land`
    keeps (``LandAnalysis.readiness_flags``), computed on their own: a caller that keeps them passes them to it
    again while what they read stays as it was (:data:`READINESS_PARCEL_FIELDS`)."""
    when = pd.Timestamp(as_of).normalize()
    return _readiness_flags(*(_layer(layers, name, when) for name in READINESS_LAYERS), infra_rules)


def _readiness_flags(parcels: gpd.GeoDataFrame, roads: pd.DataFrame, pipelines: pd.DataFrame,
                     infra_rules) -> pd.DataFrame:
    """The readiness flags (no distances, not searched): the served flags and the label ``parcel_analysis`` keeps
    (:func:`_kept_readiness`), and whether a road fronts the parcel and the target is met, which the overview counts."""
    ready = readiness(parcels, roads, pipelines, rules=infra_rules, distances=False)
    return ready[[c for c in ready.columns if c.startswith("served_")] + ["readiness_label", "road", "ready"]]


def _kept_readiness(ready: pd.DataFrame) -> list[str]:
    """The readiness columns ``parcel_analysis`` keeps: the served flags and the label."""
    return [c for c in ready.columns if c.startswith("served_")] + ["readiness_label"]


def first_rows_of(buildings: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The first row of each building among ``ids``, indexed by its id as text: the rows of
    ``buildings.drop_duplicates("building_id")`` with those ids, without deduplicating every building
    (2·10⁶ at 10⁶ parcels, for the few thousand that have units)."""
    return _rows_by_id(buildings, np.unique(_first_rows(buildings, ids)))


def _first_rows(buildings: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """The row of each id's first building, -1 where it has none."""
    return positions(ids, buildings["building_id"])


def _rows_by_id(buildings: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``buildings`` at ``rows`` (sorted, distinct; -1 left out), indexed by their ids as text."""
    taken = buildings.iloc[rows[rows >= 0]]
    return taken.set_index(taken["building_id"].astype(TEXT_DTYPE))


def parcel_of_buildings(standing_on: pd.Series, n_buildings: int, ids: pd.Series, rows: np.ndarray) -> pd.Series:
    """``lookup(ids, standing_on)`` (text ``ids``), given each id's first building row (``rows``, -1: none).

    ``standing_on`` (:func:`geo.muju.building_parcel`) holds one entry per building, in their order, unless
    building ids repeat: then it is looked up; else taken by position, without hashing the 10⁶ building ids again.
    """
    if len(standing_on) != n_buildings:
        return lookup(ids, standing_on)
    return pd.Series(take_text([standing_on], rows), index=ids.index)


def _vacancy_tables(units: pd.DataFrame, leases: pd.DataFrame, buildings: gpd.GeoDataFrame, standing_on: pd.Series,
                    unit_building: np.ndarray, *, as_of: pd.Timestamp, rules: LandRules
                    ) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """The units' vacancy, per building (drawn where the building is on the map) and per phase.

    ``standing_on``: the parcel id each building stands on (:func:`geo.muju.building_parcel`);
    ``unit_building``: each unit's first building row (-1: none).
    """
    unit_table = unit_vacancy(units, leases, as_of=as_of, rules=rules)
    per_building = vacancy_by(unit_table, by="building_id")
    per_building["days_vacant_max"] = unit_table.groupby("building_id")["days_vacant"].max().astype(float).reindex(
        per_building.index)
    building_rows = np.unique(unit_building)  # the units' building ids are the units' (``unit_vacancy``)
    building_info = _rows_by_id(buildings, building_rows)
    phase = lookup(unit_table["building_id"], building_info["phase"].astype(TEXT_DTYPE)) if "phase" in \
        building_info else pd.Series(np.nan, index=unit_table.index)
    phases = vacancy_by(unit_table, by=phase.fillna("—"))
    # Units whose building is not on the map stay in the tables but have no footprint to draw.
    drawn = per_building.index.dropna()
    drawn = drawn[isin(pd.Series(drawn), building_info.index)]
    info = align(building_info, pd.Index(drawn, dtype=TEXT_DTYPE))
    drawn_rows = building_rows[building_rows >= 0][positions(pd.Series(drawn), building_info.index)]
    on_parcel = parcel_of_buildings(standing_on, len(buildings), pd.Series(drawn, dtype=TEXT_DTYPE), drawn_rows)
    # Arrays with their dtypes (``.array``): plain numpy text arrays are typed by their values, object when empty.
    building_frame = gpd.GeoDataFrame(
        per_building.loc[drawn].assign(name=info["name"].array, phase=info["phase"].array, use=info["use"].array,
                                       parcel_id=on_parcel.array),
        geometry=info.geometry.to_numpy(), crs=buildings.crs)
    building_frame.index.name = "building_id"
    return unit_table, building_frame, phases


def analyse_land(
    layers: Mapping[str, pd.DataFrame],
    *,
    as_of,
    rules: LandRules,
    infra_rules=None,
    steps=parcel_steps,
    pairs=None,
    ready: pd.DataFrame | None = None,
    status_rules: StatusRules | None = None,
) -> LandAnalysis:
    """Run every land analysis on a park's validated layers as of ``as_of``.

    Parameters
    ----------
    layers
        Validated layers by name (parcels, buildings, units, leases, enterprises,
        enterprise_years; roads and pipelines for readiness). Records not true on
        ``as_of`` (valid time: ``geo.records.in_force``) are left out.
    as_of
        The day judged.
    rules
        The park's land rules in force (``layers.rules``: defaults merged with its override).
    infra_rules
        Infrastructure rules (``layers.infra_rules``); when given, readiness columns are added.
    steps
        Runs the per-parcel steps (:func:`parcel_steps`, same signature);
        ``geo.partition.dask_engine`` gives one that runs them partition-wise on dask.
        The park-wide steps (亩均 grades, inefficient land, vacancy) run here on the result.
    pairs
        ``pairs(parcel_rows, building_rows)``: the building–parcel overlay of the records in force
        (boolean masks over the layers given) in canonical order, when it is taken from one kept for
        every day (``geo.utilisation.pairs_among``); by default ``steps`` computes it.
    ready
        The readiness flags of these parcels on ``as_of`` under ``infra_rules`` when already computed
        (:func:`readiness_flags`, indexed like the parcels in force); by default ``steps`` computes them.
    status_rules
        The evaluation's status rules in force: the dates that make a parcel without a status supplied and built
        in the area ratios (``geo.utilisation.area_ratios``); ``None``: the national defaults.
    """
    when = pd.Timestamp(as_of).normalize()
    status = status_rules or default_evaluation_rules().status
    parcels = _layer(layers, "parcels", when)
    buildings = _layer(layers, "buildings", when)
    units = _layer(layers, "units", when)
    leases = _layer(layers, "leases", when)
    enterprises = _layer(layers, "enterprises", when)
    years = _layer(layers, "enterprise_years", when)
    if not isinstance(buildings, gpd.GeoDataFrame):
        buildings = gpd.GeoDataFrame(buildings, geometry=gpd.GeoSeries([], crs=parcels.crs), crs=parcels.crs)

    known = {} if pairs is None else {"pairs": pairs(_in_force_rows(layers, "parcels", when),
                                                      _in_force_rows(layers, "buildings", when))}
    # Flags given for other parcels than these (another version's) are not used: they are computed.
    given = infra_rules is not None and ready is not None and ready.index.equals(parcels.index)
    step_rules = None if given else infra_rules
    # In one process readiness alone reads the networks: without it they are not filtered (the partitioned
    # engines size their halo by the roads).
    skip_networks = step_rules is None and steps is parcel_steps
    networks = {name: None if skip_networks else _layer(layers, name, when) for name in ("roads", "pipelines")}
    has_buildings = len(buildings) > 0  # (the park's answer: the steps may run on partitions of it)
    done = steps(parcels, buildings, enterprises=enterprises, **networks, as_of=when, rules=rules,
                 infra_rules=step_rules, park_has_buildings=has_buildings, **known)
    util, idle, ready_later = done.utilisation, done.idle, ready if given else done.readiness
    if not has_buildings:  # no building in the park on the day: floor area unknown ("—"), not a FAR of 0
        util = util.assign(far=np.nan, building_coef=np.nan)
    standing_on = building_parcel(done.pairs, buildings, parcels)
    del done, known  # the overlay's pairs (millions at 10⁶ parcels) are not needed after this
    # The vacancy tables need neither readiness nor 亩均 (and little memory): made while readiness may still run.
    unit_building = _first_rows(buildings, units["building_id"].astype(TEXT_DTYPE))  # for the vacancy tables, 亩均
    unit_table, building_frame, phases = _vacancy_tables(units, leases, buildings, standing_on, unit_building,
                                                          as_of=when, rules=rules)
    overlaps = overlapping_leases(leases)
    trend = vacancy_trend(units, leases, as_of=when, rules=rules)
    # Where readiness runs in the background, 亩均 waits for it: their working memory would add up (at 10⁶ parcels
    # about 1 GB each, beyond the 6 GB aimed at; bench/README.md, session 11), and readiness's own blocks then have
    # both cores.
    ready = resolved(ready_later)
    del ready_later
    release_free_memory()
    unit_parcel = parcel_of_buildings(standing_on, len(buildings), units["building_id"].astype(TEXT_DTYPE),
                                      unit_building)
    # Indexes of the text arrays themselves: made from NumPy arrays of Python strings (and parsed back into Arrow)
    # they took 0.9 s at 10⁶ parcels.
    unit_parcel.index = pd.Index(units["unit_id"].astype(TEXT_DTYPE).array)
    floor = pd.Series(util["gfa_m2"].to_numpy(), index=pd.Index(parcels["parcel_id"].astype(TEXT_DTYPE).array))
    mu = muju_evaluation(parcels, area_m2=util["area_m2"].to_numpy(), enterprises=enterprises,
                         enterprise_years=years, units=units, leases=leases, unit_parcel=unit_parcel, as_of=when,
                         parcel_floor_m2=floor, rules=rules)
    del unit_parcel, floor
    release_free_memory()
    ineff = inefficient_land(parcels, util=util, idle=idle, per_mu=mu.parcels, as_of=when, rules=rules)

    base = parcels[["parcel_id"] + [c for c in ("name", "area_name", "status", "tenure", "enterprise_id",
                                                "land_use") if c in parcels]]
    frame = pd.concat([base, util, idle, ineff, mu.parcels[["tax_wan", "tax_per_mu_wan", "output_per_mu_wan",
                                                            "value_added_per_mu_wan", "mu_score", "mu_grade"]]],
                      axis=1)

    release_free_memory()
    readiness_columns: list[str] = []
    if ready is not None:
        readiness_columns = _kept_readiness(ready)
        frame = pd.concat([frame, ready[readiness_columns]], axis=1)
    ordered = list(PARCEL_ANALYSIS_FIELDS) + readiness_columns + [c for c in EXTRA_FIELDS if c in frame]
    # Without geopandas' default copy of a DataFrame: copy-on-write keeps the steps' frames apart (at 10⁶ parcels
    # the copy was 1.4 s and, with the frames it is made from still held, the analysis's peak memory).
    analysis = gpd.GeoDataFrame(frame[ordered], geometry=parcels.geometry, crs=parcels.crs, copy=False)
    return LandAnalysis(
        as_of=when,
        parcels=analysis,
        muju=mu,
        units=unit_table,
        buildings=building_frame,
        phases=phases,
        park_vacancy=park_vacancy(unit_table),
        overlaps=overlaps,
        trend=trend,
        ratios=area_ratios(parcels, util, tax_wan=mu.parcels["tax_wan"], rules=rules, as_of=when.date(),
                           supplied_date=status.supplied_date_without_status,
                           built_date=status.built_date_without_status, buildings_known=has_buildings),
        readiness=bool(readiness_columns),
        readiness_flags=ready,
    )


def parcel_analysis(layers: Mapping[str, pd.DataFrame], *, as_of, rules: LandRules,
                    infra_rules=None) -> gpd.GeoDataFrame:
    """``parcel_analysis`` (DESIGN.md field names first) for a park's layers as of ``as_of``."""
    return analyse_land(layers, as_of=as_of, rules=rules, infra_rules=infra_rules).parcels
