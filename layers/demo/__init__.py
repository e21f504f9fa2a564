"""The demo park: a deterministic, realistic coastal industrial park built from a seed.

``build_demo_park(path, n_parcels=600, seed=20261122)`` writes a whole park —
parcels, buildings, standard-factory units and leases, roads, pipelines,
facilities, zones, enterprises with three years of figures, and a revitalisation
ledger — into one GeoPackage and returns the record count of each layer. The park
lies near 121.40°E, 28.65°N in its working CRS EPSG:4549 (CGCS2000 3° GK CM 120E).

Its cases are known by construction and listed in the park metadata under
``demo_manifest`` (up to 50 000 plots): idle-land statuses with their clauses,
fees and exemption causes as of ``reference_date`` (2026-06-30), the five kinds of
inefficient land, overlapping leases, deliberate GB 50289 clearance conflicts,
parcels without road access and supplied parcels left unserved per network.

The same generator scales to 10⁶ plots: everything is NumPy arrays and vectorised
shapely; Python loops run over layers, networks, kinds and a handful of named
cases, never over plots. The package is split by job: :mod:`.layout` (grid,
blocks, plots, roads), :mod:`.scenarios` (land use, stage, dates, contracts),
:mod:`.buildings`, :mod:`.networks` (road stages, pipelines, conflicts,
facilities), :mod:`.economy` (enterprises, figures, units, leases, cases),
:mod:`.zones` and :mod:`.manifest`.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from layers.demo.buildings import heights_text, plan_buildings
from layers.demo.constants import (
    DEFAULT_PARCELS,
    DEFAULT_SEED,
    GREEN_RATIO_MAX,
    HISTORY_YEARS,
    MANIFEST_MAX_PARCELS,
    PARK_NAME,
    REFERENCE_DATE,
    REGISTER_START,
    ROAD_LANES,
    WORKING_EPSG,
    BUILDING_COEF_MIN,
)
from layers.demo.economy import plan_economy
from layers.demo.layout import AREA_OF_BAND, plan_layout
from layers.demo import manifest as mf
from layers.demo.networks import (
    NETWORK_CODES,
    add_conflicts,
    pipe_depth_material,
    plan_facilities,
    plan_pipes,
    road_status,
)
from layers.demo.scenarios import K, plan_scenarios
from layers.demo.zones import plan_zones

__all__ = ["DEFAULT_PARCELS", "DEFAULT_SEED", "build_demo_park", "generate_demo_park"]

LAND_USE_STD = "用地用海2023"
INDUSTRY_STD = "GB/T4754-2017"
#: Parcel status of a road's land by the road's construction stage.
ROAD_LAND_STATUS = {"completed": "operating", "temporary_surface": "operating", "subgrade": "under_construction",
                    "approved": "planned", "planned": "planned"}
GOVERNMENT = "台州湾临港产业园管委会"


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _text(values) -> pd.Series:
    """Text column; empty strings and None become missing."""
    arr = np.asarray(values, dtype=object)
    arr = np.where((arr == "") | pd.isna(arr), None, arr)
    return pd.Series(arr, dtype="str")


def _joined_ids(ids: np.ndarray, rows: np.ndarray, suffix: np.ndarray) -> pd.Series:
    """'<id>-<suffix>' text built in Arrow (millions of rows without a Python string each)."""
    joined = pc.binary_join_element_wise(pa.array(ids, type=pa.string()).take(pa.array(rows)),
                                         pc.cast(pa.array(suffix), pa.string()), "-")
    return pd.Series(pd.array(joined, dtype="str"))


def _dates(values) -> pd.Series:
    return pd.Series(np.asarray(values).astype("datetime64[ms]"))


def _history(n: int, rng: np.random.Generator, since=None) -> dict:
    """first_added on or after the register's start (or ``since``), last_updated after it; nothing retired."""
    ref = REFERENCE_DATE.astype("datetime64[D]")
    first = np.full(n, REGISTER_START.astype("datetime64[D]"))
    if since is not None:
        since = np.asarray(since, dtype="datetime64[D]")
        first = np.where(~np.isnat(since) & (since > first), since, first)
    first = np.minimum(first + rng.integers(0, 31, n).astype("timedelta64[D]"), ref)
    span = (ref - first).astype(int)
    last = first + (rng.random(n) * (span + 1)).astype(int).astype("timedelta64[D]")
    return {"first_added": _dates(first), "last_updated": _dates(last),
            "retired_on": pd.Series(np.full(n, np.datetime64("NaT", "ms")))}


def generate_demo_park(*, n_parcels: int = DEFAULT_PARCELS, seed: int = DEFAULT_SEED
                       ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate the demo park's layers (unvalidated frames) and metadata, without writing anything.

    Parameters
    ----------
    n_parcels
        Number of plots (≥ 10); road-corridor parcels (land use 1207) come in addition.
    seed
        Random seed: the same seed gives the same park.

    Returns
    -------
    (frames, meta)
        ``frames`` maps registry layer names to frames in EPSG:4549; ``meta`` holds
        ``working_epsg``, ``park_name``, ``reference_date``, ``seed``, ``n_parcels`` and,
        up to 50 000 plots, ``demo_manifest``.
    """
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(8)]
    layout = plan_layout(int(n_parcels), streams[0])
    scenario = plan_scenarios(layout, streams[1])
    buildings = plan_buildings(layout, scenario, streams[2])
    road_state, road_year = road_status(layout, streams[3])
    pipes = plan_pipes(layout, road_state, road_year, streams[3])
    pipes, conflicts = add_conflicts(layout, scenario, buildings, pipes, road_state, streams[3])
    plots = layout.plots
    n_plots = len(plots)
    plot_ids = _ids("DK", n_plots, 7)
    building_ids = _ids("JZ", len(buildings), 7)
    economy = plan_economy(layout, scenario, buildings, building_ids, plot_ids, streams[5])
    rng = streams[6]

    # --- parcels: plots, then the road land (one parcel per road segment with a corridor) ---
    area = plots.area_m2
    far, coef = mf.far_and_coef(n_plots, buildings.parcel, buildings.footprint_m2, buildings.far_storeys,
                                np.isin(buildings.status, ["completed", "under_construction"]), area)
    industrial, logistics = scenario.extra["industrial"], scenario.extra["logistics"]
    coef_min = np.where(industrial | logistics | (scenario.kind == K["sf"]), BUILDING_COEF_MIN, np.nan)
    far_max = np.where(np.isnan(scenario.far_min), np.nan,
                       np.fmax(scenario.far_min + 1.0, np.ceil((far + 0.3) * 10) / 10))
    built = np.isin(scenario.status, ["completed", "operating"]) & (scenario.kind != K["green"])
    office_fp = np.bincount(buildings.parcel, weights=buildings.footprint_m2 * np.isin(buildings.use, [
        "office", "dormitory"]), minlength=n_plots)
    admin_area = np.where(built & (industrial | (scenario.kind == K["sf"])),
                          np.round(np.minimum(office_fp * 1.15, 0.05 * area), 1), np.nan)
    green_area = np.where(built, np.round(area * rng.uniform(0.08, 0.15, n_plots), 1),
                          np.where(scenario.kind == K["green"], np.round(area, 1), np.nan))
    owner = economy.owner_of_plot
    ent_ids = economy.enterprises["enterprise_id"]
    area_name = AREA_OF_BAND[plots.band]
    plot_names = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        area_name.astype(str), (plots.col + 1).astype(str)), "-"), (plots.row + 1).astype(str)), "-"),
        plots.number.astype(str)), "号地块")
    industry_code = scenario.industry_code.astype(str)
    roads = layout.roads
    corridor = np.flatnonzero(~np.isnan(roads.corridor[:, 0]))
    n_corr = len(corridor)
    road_ids = _ids("RD", len(roads), 6)
    corr_status = np.array([ROAD_LAND_STATUS[s] for s in road_state[corridor]], dtype=object) if n_corr else \
        np.array([], dtype=object)
    parcel_ids = np.concatenate([plot_ids, _ids("DKR", n_corr, 7)])
    nan_c = np.full(n_corr, np.nan)
    nat_c = np.full(n_corr, np.datetime64("NaT", "D"))
    empty_c = np.full(n_corr, "", dtype=object)

    def both(plot_values, road_values):
        return np.concatenate([np.asarray(plot_values), np.asarray(road_values)])

    status = both(scenario.status, corr_status)
    tenure = both(scenario.tenure, np.where(corr_status == "planned", "", "allocated"))
    geometry = shapely.box(both(plots.x0, roads.corridor[corridor, 0]), both(plots.y0, roads.corridor[corridor, 1]),
                           both(plots.x1, roads.corridor[corridor, 2]), both(plots.y1, roads.corridor[corridor, 3]))
    parcels = pd.DataFrame({
        "parcel_id": _text(parcel_ids),
        "name": _text(both(plot_names.astype(object), np.char.add(roads.name[corridor].astype(str), "道路用地"))),
        "area_name": _text(both(area_name, AREA_OF_BAND[roads.band[corridor]])),
        "land_use": _text(both(scenario.land_use, np.full(n_corr, "1207", dtype=object))),
        "land_use_std": _text(np.full(n_plots + n_corr, LAND_USE_STD, dtype=object)),
        "status": _text(status),
        "tenure": _text(tenure),
        "enterprise_id": _text(both(np.where(owner >= 0, ent_ids[np.maximum(owner, 0)], ""), empty_c)),
        "contract_date": _dates(both(scenario.contract_date, nat_c)),
        "agreed_start_date": _dates(both(scenario.agreed_start, nat_c)),
        "actual_start_date": _dates(both(scenario.actual_start, nat_c)),
        "agreed_completion_date": _dates(both(scenario.agreed_completion, nat_c)),
        "actual_completion_date": _dates(both(scenario.actual_completion, nat_c)),
        "suspended_since": _dates(both(scenario.suspended_since, nat_c)),
        "delay_cause": _text(both(scenario.delay_cause, empty_c)),
        "land_price_wan": both(scenario.land_price_wan, nan_c),
        "investment_planned_wan": both(scenario.investment_planned_wan, nan_c),
        "investment_done_wan": both(scenario.investment_done_wan, nan_c),
        "developed_area_m2": both(scenario.developed_area_m2, nan_c),
        "registered_area_m2": np.round(shapely.area(geometry), 2),
        "industry_code": _text(both(industry_code.astype(object), empty_c)),
        "industry_code_std": _text(both(np.where(industry_code != "", INDUSTRY_STD, ""), empty_c)),
        "far_min": both(scenario.far_min, nan_c),
        "far_max": both(far_max, nan_c),
        "building_coef_min": both(coef_min, nan_c),
        "green_ratio_max": both(np.where(industrial, GREEN_RATIO_MAX, np.nan), nan_c),
        "green_area_m2": both(green_area, nan_c),
        "admin_area_m2": both(admin_area, nan_c),
        "contract_output_per_mu_wan": both(scenario.contract_output_per_mu_wan, nan_c),
        "contract_tax_per_mu_wan": both(scenario.contract_tax_per_mu_wan, nan_c),
        "site_levelled": both(scenario.site_levelled, corr_status != "planned").astype(bool),
        **_history(n_plots + n_corr, rng, since=both(scenario.contract_date, nat_c)),
    })

    # --- buildings ---
    b_plot = buildings.parcel
    completion = scenario.actual_completion[b_plot].astype("datetime64[Y]").astype(float) + 1970
    completion = np.where(buildings.status == "completed", completion, np.nan)
    owner_name = np.where(owner >= 0, economy.enterprises["name"][np.maximum(owner, 0)], GOVERNMENT)
    buildings_frame = pd.DataFrame({
        "building_id": _text(building_ids),
        "parcel_id": _text(plot_ids[b_plot]),
        "name": _text(buildings.name),
        "use": _text(buildings.use),
        "floors": buildings.floors.astype(np.int64),
        "floor_heights_m": _text(heights_text(buildings.floors, buildings.ground_m, buildings.upper_m)),
        "height_m": np.round(buildings.height_m, 1),
        "gfa_m2": np.round(buildings.footprint_m2 * buildings.floors, 1),
        "phase": _text(area_name[b_plot]),
        "status": _text(buildings.status),
        "completion_year": pd.array(np.where(np.isnan(completion), None, completion), dtype="Int64"),
        "floor_load_kn_m2": buildings.floor_load.astype(float),
        "clear_height_m": np.round(buildings.clear_height, 1),
        "owner": _text(owner_name[b_plot]),
        **_history(len(buildings), rng, since=scenario.actual_completion[b_plot]),
    })

    # --- roads, pipelines, facilities, zones ---
    roads_frame = pd.DataFrame({
        "road_id": _text(road_ids), "name": _text(roads.name), "grade": _text(roads.grade),
        "width_m": roads.width, "lanes": pd.Series(roads.grade).map(ROAD_LANES).to_numpy(dtype=np.int64),
        "status": _text(road_state), "year": pd.array(np.where(np.isnan(road_year), None, road_year), dtype="Int64"),
        **_history(len(roads), rng),
    })
    road_geoms = shapely.linestrings(np.stack([np.column_stack([roads.x0, roads.y0]),
                                               np.column_stack([roads.x1, roads.y1])], axis=1))
    pipe_ids = np.empty(len(pipes), dtype=object)
    for network, code in NETWORK_CODES.items():  # seven networks
        rows = np.flatnonzero(pipes.network == network)
        pipe_ids[rows] = _ids(f"{code}-", len(rows), 6)
    depth, material, laying = pipe_depth_material(pipes, rng)
    pipe_geoms = shapely.linestrings(np.stack([np.column_stack([pipes.x0, pipes.y0]),
                                               np.column_stack([pipes.x1, pipes.y1])], axis=1))
    pipes_frame = pd.DataFrame({
        "pipe_id": _text(pipe_ids), "network": _text(pipes.network), "diameter_mm": pipes.diameter,
        "pressure_class": _text(pipes.pressure), "voltage_kv": np.where(pipes.network == "power", 10.0, np.nan),
        "material": _text(material), "depth_m": depth, "laying": _text(laying), "status": _text(pipes.status),
        "year_built": pd.array(np.where(np.isnan(pipes.year), None, pipes.year), dtype="Int64"),
        **_history(len(pipes), rng),
    })
    fac = plan_facilities(layout, scenario, streams[4])
    facilities_frame = pd.DataFrame({
        "facility_id": _text(_ids("SS", len(fac["kind"]), 4)), "kind": _text(fac["kind"]), "name": _text(fac["name"]),
        "capacity": fac["capacity"], "capacity_unit": _text(fac["unit"]), "status": _text(fac["status"]),
        **_history(len(fac["kind"]), rng),
    })
    zones = plan_zones(layout)
    zones_frame = pd.DataFrame({key: _text(value) for key, value in zones.items() if key != "geometry"})
    zones_frame = zones_frame.assign(**_history(len(zones_frame), rng))

    # --- tables ---
    ent = economy.enterprises
    n_ent = len(ent["enterprise_id"])
    enterprises = pd.DataFrame({
        "enterprise_id": _text(ent["enterprise_id"]), "name": _text(ent["name"]),
        "credit_code": _text(ent["credit_code"]), "industry_code": _text(ent["industry_code"]),
        "industry_code_std": _text(np.where(ent["industry_code"].astype(str) != "", INDUSTRY_STD, "")),
        "above_scale": ent["above_scale"].astype(bool), "high_tech": ent["high_tech"].astype(bool),
        "established": _dates(ent["established"]), **_history(n_ent, rng),
    })
    years = pd.DataFrame({key: (_text(v) if np.asarray(v).dtype == object else v)
                          for key, v in economy.years.items() if key != "rows"})
    years.insert(0, "record_id", _joined_ids(economy.enterprises["enterprise_id"], economy.years["rows"],
                                             economy.years["year"]))
    years = years.assign(**_history(len(years), rng))
    u = economy.units
    units = pd.DataFrame({
        "unit_id": _text(u["unit_id"]), "building_id": _text(u["building_id"]), "floor": u["floor"].astype(np.int64),
        "area_m2": u["area_m2"], "status": _text(u["status"]), "floor_load_kn_m2": u["floor_load_kn_m2"],
        "clear_height_m": np.round(u["clear_height_m"], 1), **_history(len(u["unit_id"]), rng),
    })
    le = economy.leases
    leases = pd.DataFrame({
        "lease_id": _text(le["lease_id"]), "unit_id": _text(le["unit_id"]), "enterprise_id": _text(le["enterprise_id"]),
        "start": _dates(le["start"]), "end": _dates(le["end"]), "rent_yuan_m2_month": le["rent_yuan_m2_month"],
        **_history(len(le["lease_id"]), rng, since=le["start"]),
    })
    c = economy.cases
    cases = pd.DataFrame({
        "case_id": _text(c["case_id"]), "parcel_id": _text(c["parcel_id"]), "building_id": _text(c["building_id"]),
        "problem": _text(c["problem"]), "method": _text(c["method"]), "status": _text(c["status"]),
        "opened": _dates(c["opened"]), "target_date": _dates(c["target_date"]), "closed": _dates(c["closed"]),
        "area_m2": c["area_m2"], "floor_area_m2": c["floor_area_m2"], "notes": _text(c["notes"]),
        **_history(len(c["case_id"]), rng, since=c["opened"]),
    })

    crs = f"EPSG:{WORKING_EPSG}"
    frames = {
        "zones": gpd.GeoDataFrame(zones_frame, geometry=zones["geometry"], crs=crs),
        "parcels": gpd.GeoDataFrame(parcels, geometry=geometry, crs=crs),
        "buildings": gpd.GeoDataFrame(buildings_frame, geometry=shapely.box(buildings.x0, buildings.y0, buildings.x1,
                                                                           buildings.y1), crs=crs),
        "roads": gpd.GeoDataFrame(roads_frame, geometry=road_geoms, crs=crs),
        "pipelines": gpd.GeoDataFrame(pipes_frame, geometry=pipe_geoms, crs=crs),
        "facilities": gpd.GeoDataFrame(facilities_frame, geometry=shapely.points(fac["x"], fac["y"]), crs=crs),
        "units": units, "leases": leases, "enterprises": enterprises, "enterprise_years": years, "cases": cases,
    }
    meta = {"working_epsg": WORKING_EPSG, "park_name": PARK_NAME,
            "reference_date": str(REFERENCE_DATE), "seed": int(seed), "n_parcels": int(n_parcels)}
    if n_plots <= MANIFEST_MAX_PARCELS:
        meta["demo_manifest"] = _manifest(
            frames, scenario=scenario, economy=economy, far=far, coef=coef, coef_min=coef_min, status=status,
            tenure=tenure, conflicts=conflicts, pipe_ids=pipe_ids, building_ids=building_ids,
            road_geoms=road_geoms, pipe_geoms=pipe_geoms, geometry=geometry)
    return frames, meta


def _manifest(frames, *, scenario, economy, far, coef, coef_min, status, tenure, conflicts, pipe_ids,
              building_ids, road_geoms, pipe_geoms, geometry) -> dict:
    parcels = frames["parcels"]
    n_plots = len(scenario.kind)
    n_all = len(parcels)
    ids = parcels["parcel_id"].to_numpy(dtype=object)
    pad = n_all - n_plots
    kind = np.concatenate([scenario.kind, np.full(pad, -1)])
    far_req, coef_req = mf.required_far_and_coef(scenario.land_use, scenario.industry_code, scenario.far_min,
                                                 coef_min)
    judged = np.isin(scenario.status, mf.JUDGED_STATUSES)
    underused = judged & ((far < far_req) | (coef < coef_req))
    years = economy.years
    last = years["year"] == HISTORY_YEARS[-1]
    below = mf.below_target(scenario.status, economy.owner_of_plot, years["output_wan"][last],
                            years["tax_wan"][last], frames["parcels"]["registered_area_m2"].to_numpy()[:n_plots],
                            scenario.contract_output_per_mu_wan, scenario.contract_tax_per_mu_wan,
                            scenario.investment_done_wan, scenario.investment_planned_wan)
    pipes = frames["pipelines"]
    roads = frames["roads"]
    pairs = mf.frontage_pairs(geometry, road_geoms, roads["width_m"].to_numpy(dtype=float))
    no_road = np.bincount(pairs[0], minlength=n_all) == 0
    limits = mf.serve_limits(n_all, pairs, roads["width_m"].to_numpy(dtype=float))
    distances = mf.serve_distances(geometry, pipe_geoms, {
        "network": pipes["network"].to_numpy(dtype=object), "status": pipes["status"].to_numpy(dtype=object),
        "diameter_mm": pipes["diameter_mm"].to_numpy(dtype=float),
        "pressure_class": pipes["pressure_class"].to_numpy(dtype=object),
        "voltage_kv": pipes["voltage_kv"].to_numpy(dtype=float)})
    supplied = np.isin(status, mf.SUPPLIED_STATUSES)
    unserved = {net: supplied & ~(d <= limits) for net, d in distances.items()}
    pad_bool = np.zeros(pad, dtype=bool)
    conflict_ids = {
        "pipe_pipe": [{"a": pipe_ids[c["a"]], "b": pipe_ids[c["b"]], "required_m": c["required_m"],
                       "actual_m": c["actual_m"]} for c in conflicts.pipe_pipe],
        "pipe_building": [{"pipe_id": pipe_ids[c["pipe"]], "building_id": building_ids[c["building"]],
                           "required_m": c["required_m"], "actual_m": c["actual_m"]} for c in conflicts.pipe_building],
        "pipe_under_building": [{"pipe_id": pipe_ids[c["pipe"]], "building_id": building_ids[c["building"]]}
                                for c in conflicts.pipe_under_building],
    }
    return mf.build_manifest(
        ids=ids, kind=kind, status=status, tenure=tenure,
        delay_cause=np.concatenate([scenario.delay_cause, np.full(pad, "", dtype=object)]),
        land_price=np.concatenate([scenario.land_price_wan, np.full(pad, np.nan)]),
        exempt_stalled=np.concatenate([scenario.extra["exempt_stalled"], pad_bool]),
        underused_mask=np.concatenate([underused, pad_bool]), below_mask=np.concatenate([below, pad_bool]),
        overlapping=economy.overlapping_leases, conflicts=conflict_ids, no_road_mask=no_road, unserved=unserved)


def build_demo_park(path: str | os.PathLike, *, n_parcels: int = DEFAULT_PARCELS, seed: int = DEFAULT_SEED
                    ) -> dict[str, int]:
    """Build the demo park and write it to ``path`` (one GeoPackage, replaced atomically).

    Returns
    -------
    dict
        Record count per layer, in registry order.
    """
    from layers.store import GeoPackageStore

    frames, meta = generate_demo_park(n_parcels=n_parcels, seed=seed)
    counts = {name: len(frame) for name, frame in frames.items()}
    GeoPackageStore(path).save_park(frames, meta)
    return counts
