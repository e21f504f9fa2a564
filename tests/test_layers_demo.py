"""The demo park: invariants of the generated data and the manifest's promises.

Expectations are recomputed here from the data with small, independent tables of
the rules (DOMAIN.md §1, §3.3, §8.3–8.4, §8.6), not with the generator's own
helpers, so a generator bug cannot hide behind itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import layers.demo as demo
from layers.demo import generate_demo_park

REF = pd.Timestamp("2026-06-30")
MU = 2000.0 / 3.0
IDLE_STATUSES = ("not_supplied", "on_track", "overdue", "idle_fee", "idle_reclaim", "stalled_idle", "exempt",
                 "started", "completed")
INEFFICIENCY = ("approved_unsupplied", "supplied_unused", "underused", "built_not_operating", "below_target")
NETWORKS = ("water_supply", "rain", "sewer", "gas", "heat", "power", "telecom")
#: DOMAIN.md §3.3: minimum FAR by GB/T 4754-2017 division (the divisions the demo uses).
FAR_MIN_BY_DIVISION = {"14": 1.0, "17": 0.8, "18": 1.0, "21": 0.8, "26": 0.6, "27": 0.7, "33": 0.7, "34": 0.7,
                       "35": 0.7, "36": 0.7, "37": 0.7, "38": 0.7, "39": 1.0, "40": 1.0}
CAUSES = {"GOV-1", "GOV-2", "GOV-3", "GOV-4", "GOV-5", "GOV-6", "FM"}


@pytest.fixture(scope="module")
def park(demo_park):
    layers = demo_park.load_all()
    meta = demo_park.read_meta()
    return layers, meta, meta["demo_manifest"]


def plots_of(parcels: pd.DataFrame) -> pd.DataFrame:
    return parcels[parcels["land_use"] != "1207"]


# --- counts and contents ----------------------------------------------------------------


def test_the_park_has_the_promised_counts(park):
    layers, meta, _ = park
    assert meta["n_parcels"] == 600
    assert len(plots_of(layers["parcels"])) == 600
    assert (layers["parcels"]["land_use"] == "1207").sum() > 0  # road land comes in addition
    assert (layers["buildings"]["use"] == "standard_factory").sum() >= 40
    assert len(layers["units"]) >= 400
    enterprises = layers["enterprises"]
    assert len(enterprises) >= 300
    years = layers["enterprise_years"]
    per_firm = years.groupby("enterprise_id")["year"].apply(lambda y: tuple(sorted(y)))
    assert set(per_firm.index) == set(enterprises["enterprise_id"])
    assert set(per_firm) == {(2023, 2024, 2025)}
    assert set(layers["roads"]["status"]) == {"planned", "approved", "subgrade", "temporary_surface", "completed"}
    assert set(NETWORKS) <= set(layers["pipelines"]["network"])


def test_metadata_places_the_park_near_taizhou_bay(park):
    layers, meta, _ = park
    assert meta["working_epsg"] == 4549
    assert meta["reference_date"] == "2026-06-30"
    assert meta["seed"] == 20261122
    minx, miny, maxx, maxy = plots_of(layers["parcels"]).total_bounds
    lon, lat = Transformer.from_crs(4549, 4326, always_xy=True).transform((minx + maxx) / 2, (miny + maxy) / 2)
    assert abs(lon - 121.40) < 0.02 and abs(lat - 28.65) < 0.02


def test_areas_land_uses_and_plot_sizes_are_realistic(park):
    layers, _, _ = park
    plots = plots_of(layers["parcels"])
    assert set(plots["area_name"]) == {"一期", "二期", "拓展区"}
    assert (layers["parcels"]["land_use_std"] == "用地用海2023").all()
    uses = plots["land_use"].value_counts()
    for code in ("100101", "100102", "100103", "1301", "1302", "1303", "1304", "1305", "1306", "0901"):
        assert code in uses.index, code
    assert uses.reindex(["1101", "110101"]).sum() > 0 and uses.reindex(["1401", "1402"]).sum() > 0
    industrial = plots["land_use"].str.startswith("1001").sum()
    assert industrial > 0.6 * len(plots)
    mu = shapely.area(plots.geometry.to_numpy()) / MU
    assert np.quantile(mu, 0.05) > 8 and np.median(mu) > 12 and mu.max() > 100
    by_area = plots.groupby("area_name")["status"].value_counts(normalize=True)
    assert by_area["一期"]["operating"] > 0.6
    assert {"under_construction", "supplied"} <= set(by_area["二期"].index)
    expansion = plots[plots["area_name"] == "拓展区"]
    assert set(expansion["status"]) == {"planned", "approved_unsupplied"}


def test_roads_have_red_line_widths_by_grade_and_stages_by_area(park):
    layers, _, _ = park
    roads, parcels = layers["roads"], layers["parcels"]
    widths = roads.groupby("grade")["width_m"].unique()
    assert {g: list(w) for g, w in widths.items() if g != "expressway"} == {
        "arterial": [40.0], "secondary": [30.0], "branch": [20.0], "internal": [12.0]}
    # A road's own land carries the road's area; its stage follows the area's maturity.
    land = parcels[parcels["land_use"] == "1207"]
    stages = land.groupby("area_name")["status"].unique()
    assert set(stages["一期"]) == {"operating"}
    assert set(stages["拓展区"]) == {"planned"}
    assert {"operating", "under_construction"} <= set(stages["二期"])


# --- geometry invariants ----------------------------------------------------------------


def overlap_area_pairs(geoms: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    return shapely.area(shapely.intersection(geoms[a[keep]], geoms[b[keep]]))


def test_parcels_do_not_overlap(park):
    layers, _, _ = park
    areas = overlap_area_pairs(layers["parcels"].geometry.to_numpy())
    assert len(areas) > 0  # neighbours touch, so the check really ran
    assert areas.max() <= 0.01


def test_every_building_lies_in_exactly_one_parcel_five_metres_inside(park):
    layers, _, _ = park
    parcels, buildings = layers["parcels"], layers["buildings"]
    pg, bg = parcels.geometry.to_numpy(), buildings.geometry.to_numpy()
    b, p = shapely.STRtree(pg).query(bg, predicate="intersects")
    shared = shapely.area(shapely.intersection(bg[b], pg[p]))
    b, p = b[shared > 0.01], p[shared > 0.01]
    assert np.array_equal(np.sort(b), np.arange(len(bg)))  # each building meets exactly one parcel
    assert shapely.contains(pg[p], bg[b]).all()
    assert (parcels["parcel_id"].to_numpy()[p] == buildings["parcel_id"].to_numpy()[b]).all()
    setback = shapely.distance(bg[b], shapely.boundary(pg[p]))
    assert setback.min() >= 5.0


def test_units_are_on_floors_their_building_has(park):
    layers, _, _ = park
    units = layers["units"].merge(layers["buildings"][["building_id", "floors", "use"]], on="building_id",
                                  how="left", validate="many_to_one")
    assert units["floors"].notna().all()
    assert ((units["floor"] >= 1) & (units["floor"] <= units["floors"])).all()
    assert (units["use"] == "standard_factory").all()


def test_standard_factories_come_in_phases_with_loads_and_heights(park):
    layers, _, _ = park
    sf = layers["buildings"][layers["buildings"]["use"] == "standard_factory"]
    assert {"一期", "二期"} <= set(sf["phase"])
    assert sf["floors"].between(3, 6).all()
    assert sf["floor_load_kn_m2"].notna().all() and sf["clear_height_m"].notna().all()
    footprint = shapely.area(layers["buildings"].geometry.to_numpy())
    assert np.allclose(layers["buildings"]["gfa_m2"], footprint * layers["buildings"]["floors"], atol=0.1)
    sheds = layers["buildings"][layers["buildings"]["floors"] == 1]
    heights = sheds["floor_heights_m"].astype(float)
    assert heights.between(9, 12).any()


def corridors(roads: pd.DataFrame) -> shapely.Geometry:
    """The red-line land of every road: the centreline widened by half its width, square ends."""
    return shapely.union_all(shapely.buffer(roads.geometry.to_numpy(), roads["width_m"].to_numpy() / 2 + 0.01,
                                            cap_style="square"))


def test_pipelines_lie_along_roads(park):
    layers, _, manifest = park
    pipes = layers["pipelines"]
    branches = {c["pipe_id"] for kind in ("pipe_building", "pipe_under_building")
                for c in manifest["pipe_conflicts"][kind]}
    mains = pipes[~pipes["pipe_id"].isin(branches)]
    outside = shapely.length(shapely.difference(mains.geometry.to_numpy(), corridors(layers["roads"])))
    assert outside.max() < 1e-6
    # The service branches are the only pipes that leave the roads, and they end in a plot.
    stray = pipes[pipes["pipe_id"].isin(branches)].geometry.to_numpy()
    assert (shapely.length(shapely.difference(stray, corridors(layers["roads"]))) > 1).all()


def test_pipes_by_area_and_attribute(park):
    layers, _, _ = park
    pipes, zones = layers["pipelines"], layers["zones"]
    east_edge = zones.loc[zones["kind"] == "park_boundary"].total_bounds[2] + 25
    in_expansion = pipes[pipes.geometry.bounds["minx"] > east_edge]
    assert len(in_expansion) and not (in_expansion["status"] == "in_service").any()
    assert {"in_service", "under_construction", "planned"} <= set(pipes["status"])
    gas = pipes[pipes["network"] == "gas"]
    assert set(gas["pressure_class"]) == {"medium_a", "medium_b", "subhigh_b"}
    assert (gas["pressure_class"] == "subhigh_b").sum() < 0.1 * len(gas)
    power = pipes[pipes["network"] == "power"]
    assert (power["voltage_kv"] == 10).all()
    assert pipes["diameter_mm"].notna().all() and pipes["laying"].notna().all()


# --- the manifest --------------------------------------------------------------------


def test_manifest_lists_meet_their_minimums(park):
    _, _, m = park
    for status in IDLE_STATUSES:
        assert len(m["idle_status"][status]) >= 3, status
    for category in INEFFICIENCY:
        assert len(m["inefficiency"][category]) >= 3, category
    assert len(m["overlapping_leases"]) >= 3
    for kind in ("pipe_pipe", "pipe_building", "pipe_under_building"):
        assert len(m["pipe_conflicts"][kind]) >= 2, kind
    assert len(m["no_road_access"]) >= 3
    assert set(NETWORKS) <= set(m["unserved"])
    assert set(m["exempt_cause"].values()) == CAUSES


def test_every_supplied_or_planned_parcel_has_exactly_one_idle_status(park):
    layers, _, m = park
    parcels = layers["parcels"]
    listed = pd.Series([s for s in IDLE_STATUSES for _ in m["idle_status"][s]],
                       index=[p for s in IDLE_STATUSES for p in m["idle_status"][s]])
    assert not listed.index.duplicated().any()
    must = parcels["tenure"].isin(["granted", "allocated"]) | parcels["status"].isin(["planned",
                                                                                      "approved_unsupplied"])
    assert set(parcels.loc[must, "parcel_id"]) <= set(listed.index)
    assert set(listed.index) <= set(parcels["parcel_id"])


def full_years(dates: pd.Series, years: int) -> pd.Series:
    return dates + pd.DateOffset(years=years)


def test_idle_cases_sit_clearly_on_their_side_of_each_threshold(park):
    layers, _, m = park
    p = layers["parcels"].set_index("parcel_id")
    margin = pd.Timedelta(days=30)

    def rows(status):
        return p.loc[m["idle_status"][status]]

    on_track = rows("on_track")
    assert (on_track["agreed_start_date"] >= REF + margin).all() and on_track["actual_start_date"].isna().all()
    overdue = rows("overdue")
    assert (overdue["agreed_start_date"] <= REF - margin).all()
    assert (full_years(overdue["agreed_start_date"], 1) >= REF + margin).all()
    for status, low, high in (("idle_fee", 1, 2), ("idle_reclaim", 2, None)):
        r = rows(status)
        assert r["actual_start_date"].isna().all() and r["tenure"].isin(["granted", "allocated"]).all()
        assert (full_years(r["agreed_start_date"], low) <= REF - margin).all()
        if high:
            assert (full_years(r["agreed_start_date"], high) >= REF + margin).all()
        assert (r["delay_cause"] == "none").all()
        assert {pid: m["idle_clause"][pid] for pid in r.index} == dict.fromkeys(r.index, "IDLE-A")
        expected = (0.20 * r["land_price_wan"]).round(4)
        assert np.allclose([m["idle_fee_wan"][pid] for pid in r.index], expected)
    stalled = rows("stalled_idle")
    assert stalled["actual_start_date"].notna().all() and (stalled["delay_cause"] == "none").all()
    assert (full_years(stalled["suspended_since"], 1) <= REF - margin).all()
    developed = stalled["developed_area_m2"] / stalled["registered_area_m2"]
    invested = stalled["investment_done_wan"] / stalled["investment_planned_wan"]
    assert (developed < 1 / 3 - 0.05).all() and (invested < 0.25 - 0.05).all()
    assert set(m["idle_clause"][pid] for pid in stalled.index) == {"IDLE-B"}
    exempt = rows("exempt")
    assert exempt["delay_cause"].isin(CAUSES).all()
    assert {pid: m["exempt_cause"][pid] for pid in exempt.index} == exempt["delay_cause"].to_dict()
    waited = exempt["actual_start_date"].isna()
    assert (full_years(exempt.loc[waited, "agreed_start_date"], 1) <= REF - margin).all()
    started = rows("started")
    road_land = started["land_use"] == "1207"  # started by its status (a road under construction)
    assert (started.loc[road_land, "status"] == "under_construction").all()
    started = started[~road_land]
    assert started["actual_start_date"].notna().all() and started["actual_completion_date"].isna().all()
    long_stop = full_years(started["suspended_since"], 1) <= REF - margin
    progressed = ((started["developed_area_m2"] / started["registered_area_m2"] > 1 / 3 + 0.05)
                  & (started["investment_done_wan"] / started["investment_planned_wan"] > 0.25 + 0.05))
    assert (~long_stop | progressed).all()
    assert (full_years(started["suspended_since"].dropna(), 1) >= REF + margin).any()  # a recent stop
    assert (long_stop & progressed).any()  # stopped long ago but far enough along
    completed = rows("completed")
    assert completed["status"].isin(["completed", "operating"]).all()


def far_storeys(floor_heights_m: pd.Series) -> np.ndarray:
    """Storeys counted in the FAR: every storey once, a storey higher than 8 m twice (DOMAIN.md §3.2)."""
    heights = floor_heights_m.str.split(",").apply(lambda h: np.array(h, dtype=float))
    return np.array([len(h) + (h > 8.0).sum() for h in heights])


def test_underused_parcels_are_those_clearly_below_far_or_coverage(park):
    layers, _, m = park
    parcels, buildings = layers["parcels"], layers["buildings"]
    b = buildings[buildings["status"].isin(["completed", "under_construction"])]
    footprint = shapely.area(b.geometry.to_numpy())
    sums = pd.DataFrame({"parcel_id": b["parcel_id"], "cover": footprint,
                         "far_gfa": footprint * far_storeys(b["floor_heights_m"])}).groupby("parcel_id").sum()
    p = parcels.set_index("parcel_id").join(sums).fillna({"cover": 0.0, "far_gfa": 0.0})
    area = shapely.area(p.geometry.to_numpy())
    far, coef = p["far_gfa"] / area, p["cover"] / area
    industrial = p["land_use"].str.startswith("1001")
    national = p["industry_code"].str[:2].map(FAR_MIN_BY_DIVISION).where(industrial)
    far_required = np.fmax(national, p["far_min"])
    coef_required = np.fmax(np.where(industrial, 0.30, np.nan), p["building_coef_min"])
    built = p["status"].isin(["completed", "operating"])
    low = built & ((far < far_required) | (coef < coef_required))
    assert set(p.index[low]) == set(m["inefficiency"]["underused"])
    # Every built parcel with a requirement is well clear of it, on one side or the other.
    judged = built & far_required.notna()
    ratio = (far / far_required)[judged]
    assert ((ratio >= 1.25) | (ratio <= 0.8)).all()
    judged = built & coef_required.notna()
    assert ((coef[judged] >= 0.38) | (coef[judged] <= 0.25)).all()


def test_below_target_parcels_miss_a_contracted_figure_in_every_year(park):
    layers, _, m = park
    parcels = layers["parcels"].set_index("parcel_id")
    years = layers["enterprise_years"]
    operating = parcels[parcels["status"] == "operating"]
    mu = shapely.area(operating.geometry.to_numpy()) / MU
    flags = {}
    for year in (2023, 2024, 2025):
        figures = years[years["year"] == year].set_index("enterprise_id")
        output = operating["enterprise_id"].map(figures["output_wan"]) / mu
        tax = operating["enterprise_id"].map(figures["tax_wan"]) / mu
        output_ratio = output / operating["contract_output_per_mu_wan"]
        tax_ratio = tax / operating["contract_tax_per_mu_wan"]
        invest_ratio = operating["investment_done_wan"] / operating["investment_planned_wan"]
        for ratio in (output_ratio, tax_ratio, invest_ratio):
            assert ((ratio.dropna() <= 0.8) | (ratio.dropna() >= 1.05)).all()  # clear of the target
        flags[year] = (output_ratio < 1) | (tax_ratio < 1) | (invest_ratio < 1)
    assert flags[2023].equals(flags[2024]) and flags[2024].equals(flags[2025])
    assert set(operating.index[flags[2025]]) == set(m["inefficiency"]["below_target"])


def test_the_other_inefficiency_lists_follow_the_parcel_status(park):
    layers, _, m = park
    p = layers["parcels"]
    ids = p.set_index("parcel_id")
    assert set(m["inefficiency"]["approved_unsupplied"]) == set(p.loc[p["status"] == "approved_unsupplied",
                                                                     "parcel_id"])
    unused = ids.loc[m["inefficiency"]["supplied_unused"]]
    assert (unused["status"] == "supplied").all() and unused["actual_start_date"].isna().all()
    assert len(unused) == (p["status"] == "supplied").sum()
    built_idle = ids.loc[m["inefficiency"]["built_not_operating"]]
    assert (built_idle["status"] == "completed").all() and built_idle["actual_completion_date"].notna().all()


def test_leases_overlap_only_where_the_manifest_says(park):
    layers, _, m = park
    leases = layers["leases"].sort_values(["unit_id", "start"]).reset_index(drop=True)
    same_unit = leases["unit_id"].eq(leases["unit_id"].shift())
    overlaps = same_unit & (leases["start"] <= leases["end"].shift())
    found = {(a, b) for a, b in zip(leases["lease_id"].shift()[overlaps], leases["lease_id"][overlaps])}
    assert found == {tuple(pair) for pair in m["overlapping_leases"]}
    assert (leases["start"] <= REF).all() and (leases["end"] >= REF - pd.DateOffset(years=3, months=6)).all()
    # Some leasable units are vacant on the reference date.
    current = leases[(leases["start"] <= REF) & (leases["end"] >= REF)]["unit_id"]
    units = layers["units"]
    leasable = units.loc[units["status"] == "leasable", "unit_id"]
    assert 0 < (~leasable.isin(current)).sum() < len(leasable)


def bordering_widths(parcels: pd.DataFrame, roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Narrowest and widest red-line width of the roads whose land touches each parcel (NaN: none)."""
    land = shapely.buffer(roads.geometry.to_numpy(), roads["width_m"].to_numpy() / 2, cap_style="flat")
    p, r = shapely.STRtree(land).query(parcels.geometry.to_numpy(), predicate="dwithin", distance=0.5)
    # Touching along an edge, not at a corner: 5 m of the parcel boundary in the widened land.
    front = shapely.length(shapely.intersection(shapely.boundary(parcels.geometry.to_numpy()[p]),
                                                shapely.buffer(land[r], 0.5)))
    p, r = p[front >= 5], r[front >= 5]
    width = roads["width_m"].to_numpy()
    low, high = np.full(len(parcels), np.nan), np.full(len(parcels), np.nan)
    np.fmin.at(low, p, width[r])
    np.fmax.at(high, p, width[r])
    return low, high


def test_no_road_access_parcels_are_far_from_every_road(park):
    layers, _, m = park
    parcels, roads = layers["parcels"], layers["roads"]
    low, _ = bordering_widths(parcels, roads)
    assert set(parcels.loc[np.isnan(low), "parcel_id"]) == set(m["no_road_access"])
    land = shapely.union_all(shapely.buffer(roads.geometry.to_numpy(), roads["width_m"].to_numpy() / 2))
    stuck = parcels[parcels["parcel_id"].isin(m["no_road_access"])].geometry.to_numpy()
    assert shapely.distance(stuck, land).min() > 30


def test_unserved_parcels_are_unambiguous_under_any_bordering_road_rule(park):
    """Served parcels have a main within the narrowest bordering road's half-width + 10 m; unserved ones
    have none within the widest one's + 5 m more (DOMAIN.md §8.6)."""
    layers, _, m = park
    parcels, roads, pipes = layers["parcels"], layers["roads"], layers["pipelines"]
    low, high = bordering_widths(parcels, roads)
    supplied = parcels["status"].isin(["supplied", "under_construction", "completed", "operating"]).to_numpy()
    eligible = (pipes["status"] == "in_service") & ~(
        ((pipes["network"] == "water_supply") & (pipes["diameter_mm"] < 150))
        | ((pipes["network"] == "gas") & ~pipes["pressure_class"].isin(["medium_a", "medium_b"]))
        | ((pipes["network"] == "power") & (pipes["voltage_kv"] != 10)))
    for network in NETWORKS:
        mains = pipes[eligible & (pipes["network"] == network)].geometry.to_numpy()
        distance = np.full(len(parcels), np.inf)
        (where, _), d = shapely.STRtree(mains).query_nearest(parcels.geometry.to_numpy(), return_distance=True,
                                                             all_matches=False)
        distance[where] = d
        served = supplied & (distance <= low / 2 + 10)
        unserved = supplied & (np.isnan(low) | (distance > high / 2 + 15))
        assert (served | unserved)[supplied].all(), network
        assert set(parcels.loc[unserved, "parcel_id"]) == set(m["unserved"][network]), network
    assert m["unserved"]["gas"] and m["unserved"]["heat"]  # gaps in 二期


# --- GB 50289 clearances, brute force ----------------------------------------------------------


def clearance_class(pipes: pd.DataFrame) -> np.ndarray:
    net, d, pressure = pipes["network"], pipes["diameter_mm"], pipes["pressure_class"]
    return np.select(
        [(net == "water_supply") & (d <= 200), net == "water_supply", net.isin(["rain", "sewer"]),
         (net == "gas") & pressure.isin(["low", "medium_b", "medium_a"]), (net == "gas") & (pressure == "subhigh_b"),
         net == "heat", net == "power", net == "telecom"],
        ["water_small", "water_large", "drain", "gas", "gas_subhigh_b", "heat", "power", "telecom"], "other")


#: DOMAIN.md §8.4, pipe ↔ pipe (m); power and telecom in ducts take the duct values for gas.
PIPE_PIPE_M = {
    ("water_small", "drain"): 1.0, ("water_large", "drain"): 1.5, ("water_small", "gas"): 0.5,
    ("water_large", "gas"): 0.5, ("water_small", "gas_subhigh_b"): 1.0, ("water_large", "gas_subhigh_b"): 1.0,
    ("water_small", "heat"): 1.5, ("water_large", "heat"): 1.5, ("water_small", "power"): 0.5,
    ("water_large", "power"): 0.5, ("water_small", "telecom"): 1.0, ("water_large", "telecom"): 1.0,
    ("drain", "gas"): 1.2, ("drain", "gas_subhigh_b"): 1.5, ("drain", "heat"): 1.5, ("drain", "power"): 0.5,
    ("drain", "telecom"): 1.0, ("gas", "heat"): 1.0, ("gas", "power"): 1.0, ("gas", "telecom"): 1.0,
    ("gas_subhigh_b", "heat"): 1.5, ("gas_subhigh_b", "power"): 1.0, ("gas_subhigh_b", "telecom"): 1.0,
    ("heat", "power"): 2.0, ("heat", "telecom"): 1.0, ("power", "telecom"): 0.5,
}
#: DOMAIN.md §8.3, pipe ↔ building (m); gas by pressure class, telecom in ducts.
PIPE_BUILDING_M = {"water_small": 1.0, "water_large": 3.0, "drain": 2.5, "gas_subhigh_b": 5.0, "heat": 3.0,
                   "power": 0.6, "telecom": 1.5}
GAS_BUILDING_M = {"low": 0.7, "medium_b": 1.0, "medium_a": 1.5}


def pipe_pipe_required(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    out = np.full(len(ca), np.nan)
    for (a, b), value in PIPE_PIPE_M.items():
        out[((ca == a) & (cb == b)) | ((ca == b) & (cb == a))] = value
    return out


def test_clearance_conflicts_are_only_the_deliberate_ones(park):
    """All pairs, brute force: pipes of different networks cross or keep the GB 50289 clearance
    (outer wall to outer wall); pipes keep it from buildings; the manifest's pairs break it."""
    layers, _, m = park
    pipes, buildings = layers["pipelines"], layers["buildings"]
    geoms = pipes.geometry.to_numpy()
    radius = pipes["diameter_mm"].to_numpy() / 2000
    cls = clearance_class(pipes)
    ids = pipes["pipe_id"].to_numpy()
    i, j = np.triu_indices(len(pipes), k=1)
    different = pipes["network"].to_numpy()[i] != pipes["network"].to_numpy()[j]
    i, j = i[different], j[different]
    required = pipe_pipe_required(cls[i], cls[j])
    crossing = shapely.intersects(geoms[i], geoms[j])
    centre = shapely.distance(geoms[i], geoms[j])
    wall = centre - radius[i] - radius[j]
    breach = ~crossing & (wall < required)
    found = {frozenset(pair) for pair in zip(ids[i][breach], ids[j][breach])}
    deliberate = m["pipe_conflicts"]["pipe_pipe"]
    assert found == {frozenset((c["a"], c["b"])) for c in deliberate}
    lookup = {frozenset(pair): (c, r) for pair, c, r in zip(zip(ids[i], ids[j]), centre, required)}
    for c in deliberate:
        actual, req = lookup[frozenset((c["a"], c["b"]))]
        assert actual < req and np.isclose(actual, c["actual_m"]) and req == c["required_m"]

    bgeoms = buildings.geometry.to_numpy()
    need = np.array([GAS_BUILDING_M.get(p, np.nan) if c == "gas" else PIPE_BUILDING_M.get(c, np.nan)
                     for c, p in zip(cls, pipes["pressure_class"].fillna(""))])
    pi, bi = (a.ravel() for a in np.meshgrid(np.arange(len(pipes)), np.arange(len(buildings)), indexing="ij"))
    distance = shapely.distance(geoms[pi], bgeoms[bi])
    under = distance == 0
    close = ~under & (distance - radius[pi] < need[pi])
    bids = buildings["building_id"].to_numpy()
    assert {(ids[a], bids[b]) for a, b in zip(pi[under], bi[under])} == {
        (c["pipe_id"], c["building_id"]) for c in m["pipe_conflicts"]["pipe_under_building"]}
    assert {(ids[a], bids[b]) for a, b in zip(pi[close], bi[close])} == {
        (c["pipe_id"], c["building_id"]) for c in m["pipe_conflicts"]["pipe_building"]}
    for c in m["pipe_conflicts"]["pipe_building"]:
        d = shapely.distance(geoms[ids == c["pipe_id"]][0], bgeoms[bids == c["building_id"]][0])
        assert np.isclose(d, c["actual_m"]) and d < c["required_m"]


# --- tables ------------------------------------------------------------------------------


def uscc_is_valid(code: str) -> bool:
    """GB 32100-2015 check character, and the GB 11714 organisation-code check digit inside it."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if len(code) != 18 or any(ch not in alphabet for ch in code):
        return False
    total = sum(alphabet.index(ch) * pow(3, i, 31) for i, ch in enumerate(code[:17]))
    if alphabet[(31 - total % 31) % 31] != code[17]:
        return False
    org = code[8:17]
    value = [int(ch) if ch.isdigit() else ord(ch) - 55 for ch in org[:8]]
    check = 11 - sum(v * w for v, w in zip(value, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return org[8] == {10: "X", 11: "0"}.get(check, str(check))


def test_enterprises_have_valid_credit_codes_and_chinese_names(park):
    layers, _, _ = park
    firms = layers["enterprises"]
    assert firms["credit_code"].map(uscc_is_valid).all()
    assert firms["credit_code"].nunique() == len(firms)
    assert firms["name"].str.endswith("公司").all()
    assert firms["industry_code"].str.fullmatch(r"\d{4}").fillna(False).mean() > 0.95
    assert (firms["industry_code_std"].dropna() == "GB/T4754-2017").all()
    assert firms["above_scale"].any() and not firms["above_scale"].all()
    assert firms["high_tech"].any() and not firms["high_tech"].all()


def test_yearly_figures_are_consistent_and_include_zombies(park):
    layers, _, _ = park
    years = layers["enterprise_years"]
    producing = years[years["output_wan"] > 100]
    assert (producing["value_added_wan"] < producing["output_wan"]).all()
    assert (producing["energy_tce"] > 0).all() and (producing["employees"] > 0).all()
    land_users = layers["parcels"].loc[layers["parcels"]["status"] == "operating", "enterprise_id"].dropna()
    last = years[(years["year"] == 2025) & years["enterprise_id"].isin(land_users)]
    assert ((last["output_wan"] < 10) & (last["tax_wan"] < 1)).sum() >= 1  # a zombie land user


def test_cases_history_fields_and_facilities(park):
    layers, _, _ = park
    cases = layers["cases"]
    assert cases["status"].nunique() >= 3 and cases["method"].nunique() >= 3
    assert cases["parcel_id"].isin(layers["parcels"]["parcel_id"]).all()
    for name, frame in layers.items():
        if len(frame):
            assert (frame["first_added"] <= frame["last_updated"]).all(), name
            assert (frame["last_updated"] <= REF).all() and frame["retired_on"].isna().all(), name
    kinds = layers["facilities"]["kind"].value_counts()
    assert 2 <= kinds["substation"] <= 3
    for kind in ("sewage_plant", "water_plant", "gas_station", "park_gate", "highway_exit", "fire_station"):
        assert kinds.get(kind, 0) >= 1, kind


def test_zones_overlap_the_expansion_area_in_known_ways(park):
    layers, _, _ = park
    zones = layers["zones"]
    shape = {kind: shapely.union_all(group.geometry.to_numpy()) for kind, group in zones.groupby("kind")}
    for kind in ("park_boundary", "expansion_area", "urban_dev_boundary", "basic_farmland", "eco_redline",
                 "forest_i", "forest_other", "water", "geohazard_prone", "flood"):
        assert kind in shape, kind
    expansion = shape["expansion_area"]
    assert shape["urban_dev_boundary"].covers(shape["park_boundary"])
    inside = shapely.area(shapely.intersection(expansion, shape["urban_dev_boundary"])) / expansion.area
    assert 0.5 < inside < 1.0
    for kind in ("basic_farmland", "eco_redline", "forest_i", "water", "geohazard_prone", "flood"):
        assert shapely.intersects(expansion, shape[kind]), kind
    plots = plots_of(layers["parcels"])
    assert shapely.intersects(plots.geometry.to_numpy(), shape["basic_farmland"]).any()


# --- determinism and scale -----------------------------------------------------------------


def assert_parks_equal(a: tuple, b: tuple) -> None:
    frames_a, meta_a = a
    frames_b, meta_b = b
    assert meta_a == meta_b
    for name, frame in frames_a.items():
        other = frames_b[name]
        pd.testing.assert_frame_equal(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")),
                                      pd.DataFrame(other.drop(columns="geometry", errors="ignore")))
        if "geometry" in frame:
            assert shapely.equals_exact(frame.geometry.to_numpy(), other.geometry.to_numpy(), 0).all()


def test_same_seed_same_park_and_another_seed_another(park):
    layers, _, _ = park
    first = generate_demo_park(n_parcels=200, seed=7)
    assert_parks_equal(first, generate_demo_park(n_parcels=200, seed=7))
    other_frames, other_meta = generate_demo_park(n_parcels=200, seed=8)
    assert len(plots_of(other_frames["parcels"])) == 200
    assert not np.array_equal(shapely.get_coordinates(first[0]["parcels"].geometry.to_numpy()),
                              shapely.get_coordinates(other_frames["parcels"].geometry.to_numpy()))
    assert first[1]["demo_manifest"] != other_meta["demo_manifest"]
    # The stored default park is the generator's default output.
    assert len(plots_of(layers["parcels"])) == demo.DEFAULT_PARCELS


def test_the_manifest_is_left_out_of_large_parks(monkeypatch):
    monkeypatch.setattr(demo, "MANIFEST_MAX_PARCELS", 100)
    _, meta = generate_demo_park(n_parcels=150, seed=1)
    assert "demo_manifest" not in meta and meta["n_parcels"] == 150


def test_too_few_plots_are_refused():
    with pytest.raises(ValueError, match="at least 10 plots, got n_parcels=5"):
        generate_demo_park(n_parcels=5)


@pytest.mark.slow
def test_a_twenty_thousand_plot_park_is_generated_whole():
    frames, meta = generate_demo_park(n_parcels=20_000, seed=3)
    parcels = frames["parcels"]
    assert len(plots_of(parcels)) == 20_000 and meta["n_parcels"] == 20_000
    assert overlap_area_pairs(parcels.geometry.to_numpy()).max() <= 0.01
    buildings = frames["buildings"]
    inside = shapely.contains(parcels.set_index("parcel_id").geometry.loc[buildings["parcel_id"]].to_numpy(),
                              buildings.geometry.to_numpy())
    assert inside.all()
    # Campuses and land users grow with the park (a campus per 1 000 plots, a land user per supplied plot).
    assert (buildings["use"] == "standard_factory").sum() >= 400
    assert len(frames["enterprises"]) >= 10_000
    manifest = meta["demo_manifest"]
    assert all(len(manifest["idle_status"][s]) >= 3 for s in IDLE_STATUSES)
