"""Turn the generator's arrays into the registry's layers (unvalidated frames).

One function per layer; each takes only what its layer needs, so the arrays it
builds on the way (names, joined ids, concatenations) are freed when it returns.
Text columns become pandas ``str`` (Arrow) columns, empty strings missing; ids that
run into the millions are joined in Arrow rather than as Python strings.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from layers.demo.buildings import Buildings, heights_text
from layers.demo.constants import (
    BUILDING_COEF_MIN,
    GREEN_RATIO_MAX,
    REFERENCE_DATE,
    REGISTER_START,
    ROAD_LANES,
    WORKING_EPSG,
)
from layers.demo.economy import Economy
from layers.demo.layout import AREA_OF_BAND, Layout
from layers.demo.networks import NETWORK_CODES, Pipes, pipe_depth_material
from layers.demo.scenarios import K, Scenario

CRS = f"EPSG:{WORKING_EPSG}"
LAND_USE_STD = "用地用海2023"
INDUSTRY_STD = "GB/T4754-2017"
#: Parcel status of a road's land by the road's construction stage.
ROAD_LAND_STATUS = {"completed": "operating", "temporary_surface": "operating", "subgrade": "under_construction",
                    "approved": "planned", "planned": "planned"}
#: Owner of record of buildings on land no enterprise holds.
GOVERNMENT = "台州湾临港产业园管委会"


def ids(prefix: str, n: int, width: int) -> np.ndarray:
    """'<prefix>000…1' … as a NumPy string array (indexable like the other arrays)."""
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def text(values) -> pd.Series:
    """Text column; empty strings and None become missing.

    NumPy string arrays go to Arrow directly, without a Python string per element.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        column = pa.array(arr)
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        return pd.Series(pd.array(column, dtype="str"))
    arr = np.asarray(values, dtype=object)
    arr = np.where((arr == "") | pd.isna(arr), None, arr)
    return pd.Series(arr, dtype="str")


def joined_ids(values: np.ndarray, rows: np.ndarray, suffix: np.ndarray) -> pd.Series:
    """'<values[rows]>-<suffix>' built in Arrow (millions of rows without a Python string each)."""
    joined = pc.binary_join_element_wise(pa.array(values, type=pa.string()).take(pa.array(rows)),
                                         pc.cast(pa.array(suffix), pa.string()), "-")
    return pd.Series(pd.array(joined, dtype="str"))


def dates(values) -> pd.Series:
    return pd.Series(np.asarray(values).astype("datetime64[ms]"))


def whole(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole numbers held as floats (NaN missing) as a nullable integer column."""
    return pd.array(np.where(np.isnan(values), None, values), dtype="Int64")


def history(n: int, rng: np.random.Generator, since=None) -> dict:
    """first_added on or after the register's start (or ``since``), last_updated after it; nothing retired."""
    ref = REFERENCE_DATE.astype("datetime64[D]")
    first = np.full(n, REGISTER_START.astype("datetime64[D]"))
    if since is not None:
        since = np.asarray(since, dtype="datetime64[D]")
        first = np.where(~np.isnat(since) & (since > first), since, first)
    first = np.minimum(first + rng.integers(0, 31, n).astype("timedelta64[D]"), ref)
    span = (ref - first).astype(int)
    last = first + (rng.random(n) * (span + 1)).astype(int).astype("timedelta64[D]")
    return {"first_added": dates(first), "last_updated": dates(last),
            "retired_on": pd.Series(np.full(n, np.datetime64("NaT", "ms")))}


def land_use_conditions(scenario: Scenario, buildings: Buildings, area_m2: np.ndarray) -> dict:
    """Per-plot planning conditions and built figures: FAR, coefficient, their limits."""
    n = len(area_m2)
    standing = np.isin(buildings.status, ["completed", "under_construction"])
    far_gfa = np.bincount(buildings.parcel[standing], weights=(buildings.footprint_m2 * buildings.far_storeys)[
        standing], minlength=n)
    cover = np.bincount(buildings.parcel[standing], weights=buildings.footprint_m2[standing], minlength=n)
    far, coef = far_gfa / area_m2, cover / area_m2
    industrial, logistics = scenario.extra["industrial"], scenario.extra["logistics"]
    coef_min = np.where(industrial | logistics | (scenario.kind == K["sf"]), BUILDING_COEF_MIN, np.nan)
    # The planning maximum leaves room above what is built.
    far_max = np.where(np.isnan(scenario.far_min), np.nan,
                       np.fmax(scenario.far_min + 1.0, np.ceil((far + 0.3) * 10) / 10))
    return {"far": far, "coef": coef, "coef_min": coef_min, "far_max": far_max}


def parcels_frame(layout: Layout, scenario: Scenario, buildings: Buildings, economy: Economy,
                  plot_ids: np.ndarray, road_state: np.ndarray, conditions: dict,
                  rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Plots, then the land of every road segment (land use 1207)."""
    plots, roads = layout.plots, layout.roads
    n_plots = len(plots)
    area = plots.area_m2
    industrial = scenario.extra["industrial"]
    built = np.isin(scenario.status, ["completed", "operating"]) & (scenario.kind != K["green"])
    admin_fp = np.bincount(buildings.parcel, weights=buildings.footprint_m2 * np.isin(buildings.use, [
        "office", "dormitory"]), minlength=n_plots)
    admin_area = np.where(built & (industrial | (scenario.kind == K["sf"])),
                          np.round(np.minimum(admin_fp * 1.15, 0.05 * area), 1), np.nan)
    green_area = np.where(built, np.round(area * rng.uniform(0.08, 0.15, n_plots), 1),
                          np.where(scenario.kind == K["green"], np.round(area, 1), np.nan))
    owner = economy.owner_of_plot
    area_name = AREA_OF_BAND[plots.band].astype(str)
    plot_names = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        area_name, (plots.col + 1).astype(str)), "-"), (plots.row + 1).astype(str)), "-"),
        plots.number.astype(str)), "号地块")
    industry_code = scenario.industry_code.astype(str)
    corridor = np.flatnonzero(~np.isnan(roads.corridor[:, 0]))
    n_corr = len(corridor)
    corr_status = pd.Series(road_state[corridor]).map(ROAD_LAND_STATUS).to_numpy(dtype=object)
    nan_c = np.full(n_corr, np.nan)
    nat_c = np.full(n_corr, np.datetime64("NaT", "D"))
    empty_c = np.full(n_corr, "", dtype=object)

    def both(plot_values, road_values):
        return np.concatenate([np.asarray(plot_values), np.asarray(road_values)])

    geometry = shapely.box(both(plots.x0, roads.corridor[corridor, 0]), both(plots.y0, roads.corridor[corridor, 1]),
                           both(plots.x1, roads.corridor[corridor, 2]), both(plots.y1, roads.corridor[corridor, 3]))
    frame = pd.DataFrame({
        "parcel_id": text(np.concatenate([plot_ids, ids("DKR", n_corr, 7)])),
        "name": text(both(plot_names, np.char.add(roads.name[corridor].astype(str), "道路用地"))),
        "area_name": text(both(area_name, AREA_OF_BAND[roads.band[corridor]])),
        "land_use": text(both(scenario.land_use, np.full(n_corr, "1207", dtype=object))),
        "land_use_std": text(np.full(n_plots + n_corr, LAND_USE_STD, dtype=object)),
        "status": text(both(scenario.status, corr_status)),
        "tenure": text(both(scenario.tenure, np.where(corr_status == "planned", "", "allocated"))),
        "enterprise_id": text(both(np.where(owner >= 0, economy.enterprises["enterprise_id"][np.maximum(owner, 0)],
                                            ""), empty_c)),
        "contract_date": dates(both(scenario.contract_date, nat_c)),
        "agreed_start_date": dates(both(scenario.agreed_start, nat_c)),
        "actual_start_date": dates(both(scenario.actual_start, nat_c)),
        "agreed_completion_date": dates(both(scenario.agreed_completion, nat_c)),
        "actual_completion_date": dates(both(scenario.actual_completion, nat_c)),
        "suspended_since": dates(both(scenario.suspended_since, nat_c)),
        "delay_cause": text(both(scenario.delay_cause, empty_c)),
        "land_price_wan": both(scenario.land_price_wan, nan_c),
        "investment_planned_wan": both(scenario.investment_planned_wan, nan_c),
        "investment_done_wan": both(scenario.investment_done_wan, nan_c),
        "developed_area_m2": both(scenario.developed_area_m2, nan_c),
        "registered_area_m2": np.round(shapely.area(geometry), 2),
        "industry_code": text(both(industry_code.astype(object), empty_c)),
        "industry_code_std": text(both(np.where(industry_code != "", INDUSTRY_STD, ""), empty_c)),
        "far_min": both(scenario.far_min, nan_c),
        "far_max": both(conditions["far_max"], nan_c),
        "building_coef_min": both(conditions["coef_min"], nan_c),
        "green_ratio_max": both(np.where(industrial, GREEN_RATIO_MAX, np.nan), nan_c),
        "green_area_m2": both(green_area, nan_c),
        "admin_area_m2": both(admin_area, nan_c),
        "contract_output_per_mu_wan": both(scenario.contract_output_per_mu_wan, nan_c),
        "contract_tax_per_mu_wan": both(scenario.contract_tax_per_mu_wan, nan_c),
        "site_levelled": both(scenario.site_levelled, corr_status != "planned").astype(bool),
        **history(n_plots + n_corr, rng, since=both(scenario.contract_date, nat_c)),
    })
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def buildings_frame(layout: Layout, scenario: Scenario, buildings: Buildings, economy: Economy,
                    plot_ids: np.ndarray, building_ids: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    b_plot = buildings.parcel
    completion = scenario.actual_completion[b_plot].astype("datetime64[Y]").astype(float) + 1970
    completion = np.where(buildings.status == "completed", completion, np.nan)
    owner = economy.owner_of_plot
    owner_name = np.where(owner >= 0, economy.enterprises["name"][np.maximum(owner, 0)], GOVERNMENT)
    frame = pd.DataFrame({
        "building_id": text(building_ids),
        "parcel_id": text(plot_ids[b_plot]),
        "name": text(buildings.name),
        "use": text(buildings.use),
        "floors": buildings.floors.astype(np.int64),
        "floor_heights_m": text(heights_text(buildings.floors, buildings.ground_m, buildings.upper_m)),
        "height_m": np.round(buildings.height_m, 1),
        "gfa_m2": np.round(buildings.footprint_m2 * buildings.floors, 1),
        "phase": text(AREA_OF_BAND[layout.plots.band[b_plot]]),
        "status": text(buildings.status),
        "completion_year": whole(completion),
        "floor_load_kn_m2": buildings.floor_load.astype(float),
        "clear_height_m": np.round(buildings.clear_height, 1),
        "owner": text(owner_name[b_plot]),
        **history(len(buildings), rng, since=scenario.actual_completion[b_plot]),
    })
    geometry = shapely.box(buildings.x0, buildings.y0, buildings.x1, buildings.y1)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def segment_lines(x0, y0, x1, y1) -> np.ndarray:
    """Straight two-point lines from coordinate arrays."""
    return shapely.linestrings(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1))


def roads_frame(layout: Layout, road_state: np.ndarray, road_year: np.ndarray,
                rng: np.random.Generator) -> gpd.GeoDataFrame:
    roads = layout.roads
    frame = pd.DataFrame({
        "road_id": text(ids("RD", len(roads), 6)), "name": text(roads.name), "grade": text(roads.grade),
        "width_m": roads.width, "lanes": pd.Series(roads.grade).map(ROAD_LANES).to_numpy(dtype=np.int64),
        "status": text(road_state), "year": whole(road_year), **history(len(roads), rng),
    })
    return gpd.GeoDataFrame(frame, geometry=segment_lines(roads.x0, roads.y0, roads.x1, roads.y1), crs=CRS)


def pipe_ids(pipes: Pipes) -> np.ndarray:
    """'<CJJ 61 code>-000001' … numbered per network."""
    out = np.empty(len(pipes), dtype="<U9")
    for network, code in NETWORK_CODES.items():  # seven networks
        rows = np.flatnonzero(pipes.network == network)
        out[rows] = ids(f"{code}-", len(rows), 6)
    return out


def pipelines_frame(pipes: Pipes, identifiers: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    depth, material, laying = pipe_depth_material(pipes, rng)
    frame = pd.DataFrame({
        "pipe_id": text(identifiers), "network": text(pipes.network), "diameter_mm": pipes.diameter,
        "pressure_class": text(pipes.pressure), "voltage_kv": np.where(pipes.network == "power", 10.0, np.nan),
        "material": text(material), "depth_m": depth, "laying": text(laying), "status": text(pipes.status),
        "year_built": whole(pipes.year), **history(len(pipes), rng),
    })
    return gpd.GeoDataFrame(frame, geometry=segment_lines(pipes.x0, pipes.y0, pipes.x1, pipes.y1), crs=CRS)


def facilities_frame(facilities: dict, rng: np.random.Generator) -> gpd.GeoDataFrame:
    n = len(facilities["kind"])
    frame = pd.DataFrame({
        "facility_id": text(ids("SS", n, 4)), "kind": text(facilities["kind"]), "name": text(facilities["name"]),
        "capacity": facilities["capacity"], "capacity_unit": text(facilities["unit"]),
        "status": text(facilities["status"]), **history(n, rng),
    })
    return gpd.GeoDataFrame(frame, geometry=shapely.points(facilities["x"], facilities["y"]), crs=CRS)


def zones_frame(zones: dict, rng: np.random.Generator) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({key: text(value) for key, value in zones.items() if key != "geometry"})
    frame = frame.assign(**history(len(frame), rng))
    return gpd.GeoDataFrame(frame, geometry=zones["geometry"], crs=CRS)


def table_frames(economy: Economy, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Enterprises, yearly figures, units, leases and cases; each source table is released once converted."""
    ent = economy.enterprises
    n_ent = len(ent["enterprise_id"])
    out = {"enterprises": pd.DataFrame({
        "enterprise_id": text(ent["enterprise_id"]), "name": text(ent["name"]),
        "credit_code": text(ent["credit_code"]), "industry_code": text(ent["industry_code"]),
        "industry_code_std": text(np.where(ent["industry_code"].astype(str) != "", INDUSTRY_STD, "")),
        "above_scale": ent["above_scale"].astype(bool), "high_tech": ent["high_tech"].astype(bool),
        "established": dates(ent["established"]), **history(n_ent, rng),
    })}
    y = economy.years
    years = pd.DataFrame({key: (text(v) if np.asarray(v).dtype == object else v)
                          for key, v in y.items() if key != "rows"})
    years.insert(0, "record_id", joined_ids(ent["enterprise_id"], y["rows"], y["year"]))
    out["enterprise_years"] = years.assign(**history(len(years), rng))
    economy.years = None
    u = economy.units
    out["units"] = pd.DataFrame({
        "unit_id": text(u["unit_id"]), "building_id": text(u["building_id"]), "floor": u["floor"].astype(np.int64),
        "area_m2": u["area_m2"], "status": text(u["status"]), "floor_load_kn_m2": u["floor_load_kn_m2"],
        "clear_height_m": np.round(u["clear_height_m"], 1), **history(len(u["unit_id"]), rng),
    })
    economy.units = None
    le = economy.leases
    out["leases"] = pd.DataFrame({
        "lease_id": text(le["lease_id"]), "unit_id": text(le["unit_id"]), "enterprise_id": text(le["enterprise_id"]),
        "start": dates(le["start"]), "end": dates(le["end"]), "rent_yuan_m2_month": le["rent_yuan_m2_month"],
        **history(len(le["lease_id"]), rng, since=le["start"]),
    })
    economy.leases = None
    c = economy.cases
    out["cases"] = pd.DataFrame({
        "case_id": text(c["case_id"]), "parcel_id": text(c["parcel_id"]), "building_id": text(c["building_id"]),
        "problem": text(c["problem"]), "method": text(c["method"]), "status": text(c["status"]),
        "opened": dates(c["opened"]), "target_date": dates(c["target_date"]), "closed": dates(c["closed"]),
        "area_m2": c["area_m2"], "floor_area_m2": c["floor_area_m2"], "notes": text(c["notes"]),
        **history(len(c["case_id"]), rng, since=c["opened"]),
    })
    economy.enterprises = economy.cases = None
    return out
