"""The demo park's manifest: what was constructed, in the shape the analyses are checked against.

Most lists come straight from construction (idle-land statuses, exemption causes,
deliberate conflicts, overlapping leases). Four are read back from the generated
data with the national default rules, so they state what the data really says:

* ``underused`` — built (completed/operating) plots below their required FAR (a storey
  higher than 8 m counted twice) or building coefficient (≥ 30 % on industrial land);
* ``below_target`` — operating plots whose land user missed a contracted figure per 亩
  in the last history year, or invested less than contracted;
* ``no_road_access`` — parcels along which no road runs: no road's red line, widened by
  10 m, covers 5 m of the parcel's boundary;
* ``unserved`` — supplied or built parcels without an in-service main able to serve
  them (water ≥ DN150, medium-pressure gas, 10 kV power) within the widest bordering
  road's half red-line width + 10 m (DOMAIN.md §8.6).
"""

from __future__ import annotations

import numpy as np
import shapely

from layers.demo.constants import BUILDING_COEF_MIN, IDLE_FEE_RATE, M2_PER_MU
from layers.demo.scenarios import INDUSTRIES, K

IDLE_STATUSES = ("not_supplied", "on_track", "overdue", "idle_fee", "idle_reclaim", "stalled_idle", "exempt",
                 "started", "completed")
INEFFICIENCY = ("approved_unsupplied", "supplied_unused", "underused", "built_not_operating", "below_target")
#: DOMAIN.md §8.6 served heuristic and the road frontage it needs.
SERVE_EXTRA_M = 10.0
FRONTAGE_TOLERANCE_M = 10.0
MIN_FRONTAGE_M = 5.0
SUPPLIED_STATUSES = ("supplied", "under_construction", "completed", "operating")
SERVED_NETWORKS = ("water_supply", "rain", "sewer", "power", "telecom", "gas", "heat", "cable_tv")
SERVE_MIN_WATER_DN = 150.0
SERVE_GAS_PRESSURES = ("medium_a", "medium_b")
SERVE_POWER_KV = 10.0
#: Mains further than this from a parcel can serve it under no bordering-road rule (40 m road: 20 + 10).
NEAREST_SEARCH_M = 60.0
#: FAR is judged on built plots only (a site under construction is not yet comparable).
JUDGED_STATUSES = ("completed", "operating")


def idle_lists(kind: np.ndarray, status: np.ndarray, exempt_stalled: np.ndarray, held_or_allocated: np.ndarray,
               ids: np.ndarray) -> dict:
    """Parcel ids per idle-land status as of the reference date."""
    lists = {name: [] for name in IDLE_STATUSES}

    def add(name, mask):
        lists[name] += ids[mask].tolist()

    by_kind = {"on_track": "on_track", "overdue": "overdue", "idle_fee": "idle_fee", "idle_reclaim": "idle_reclaim",
               "stalled": "stalled_idle", "started": "started"}
    for k, name in by_kind.items():
        add(name, kind == K[k])
    add("exempt", kind == K["exempt"])
    add("not_supplied", np.isin(status, ["planned", "approved_unsupplied", "reclaimed"]))
    other = ~np.isin(kind, [K[k] for k in by_kind] + [K["exempt"]]) & held_or_allocated
    add("started", other & (status == "under_construction"))
    add("completed", other & np.isin(status, ["completed", "operating"]))
    return lists


def required_far_and_coef(land_use: np.ndarray, industry_code: np.ndarray, far_min: np.ndarray,
                          coef_min: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The FAR and building coefficient a parcel must reach (national floor for industry, planning conditions)."""
    industrial = np.char.startswith(land_use.astype(str), "1001")
    table = {code: far for code, _, _, far, _ in INDUSTRIES}
    national = np.array([table.get(c, np.nan) for c in industry_code.astype(str)])
    national = np.where(industrial, national, np.nan)
    far_req = np.fmax(national, far_min)
    coef_req = np.fmax(np.where(industrial, BUILDING_COEF_MIN, np.nan), coef_min)
    return far_req, coef_req


def frontage_pairs(parcel_geoms: np.ndarray, road_geoms: np.ndarray, road_width: np.ndarray):
    """(parcel, road) positions where the road borders the parcel, and the bordering road's width."""
    reach = road_width / 2 + FRONTAGE_TOLERANCE_M
    tree = shapely.STRtree(road_geoms)
    parcel, road = tree.query(parcel_geoms, predicate="dwithin", distance=float(reach.max()))
    near = shapely.dwithin(parcel_geoms[parcel], road_geoms[road], reach[road])
    parcel, road = parcel[near], road[near]
    # Each road's widened corridor is buffered once, however many parcels it borders.
    used, inverse = np.unique(road, return_inverse=True)
    corridors = shapely.buffer(road_geoms[used], reach[used], cap_style="flat")
    frontage = shapely.length(shapely.intersection(shapely.boundary(parcel_geoms[parcel]), corridors[inverse]))
    keep = frontage >= MIN_FRONTAGE_M
    return parcel[keep], road[keep]


def eligible_mains(network: str, pipe_network: np.ndarray, status: np.ndarray, diameter: np.ndarray,
                   pressure: np.ndarray, voltage: np.ndarray) -> np.ndarray:
    """Pipes that can serve a parcel with ``network`` (DOMAIN.md §8.6)."""
    ok = (pipe_network == network) & (status == "in_service")
    if network == "water_supply":
        ok &= diameter >= SERVE_MIN_WATER_DN
    if network == "gas":
        ok &= np.isin(pressure, SERVE_GAS_PRESSURES)
    if network == "power":
        ok &= voltage == SERVE_POWER_KV
    return ok


def serve_distances(parcel_geoms: np.ndarray, pipe_geoms: np.ndarray, pipes: dict) -> dict:
    """Distance from each parcel to the nearest eligible main, per network (inf where none within 60 m)."""
    out = {}
    for network in SERVED_NETWORKS:
        mains = pipe_geoms[eligible_mains(network, pipes["network"], pipes["status"], pipes["diameter_mm"],
                                          pipes["pressure_class"], pipes["voltage_kv"])]
        distance = np.full(len(parcel_geoms), np.inf)
        if len(mains):
            where, main = shapely.STRtree(mains).query(parcel_geoms, predicate="dwithin", distance=NEAREST_SEARCH_M)
            np.minimum.at(distance, where, shapely.distance(parcel_geoms[where], mains[main]))
        out[network] = distance
    return out


def serve_limits(n_parcels: int, pairs: tuple[np.ndarray, np.ndarray], road_width: np.ndarray) -> np.ndarray:
    """Widest bordering road's half-width + 10 m per parcel (NaN without a bordering road)."""
    parcel, road = pairs
    width = np.full(n_parcels, np.nan)
    np.fmax.at(width, parcel, road_width[road])
    return width / 2 + SERVE_EXTRA_M


def build_manifest(*, ids, kind, status, tenure, delay_cause, land_price, exempt_stalled, underused_mask,
                   below_mask, overlapping, conflicts, no_road_mask, unserved) -> dict:
    """The manifest JSON object (see the contract in the brief and ``layers/demo/__init__.py``)."""
    held = np.isin(tenure, ["granted", "allocated"])
    idle = idle_lists(kind, status, exempt_stalled, held, ids)
    fee_rows = np.isin(kind, [K["idle_fee"], K["idle_reclaim"]])
    exempt = kind == K["exempt"]
    clause = {pid: "IDLE-A" for pid in ids[fee_rows]}
    clause.update({pid: "IDLE-B" for pid in ids[kind == K["stalled"]]})
    return {
        "idle_status": idle,
        "idle_clause": clause,
        "idle_fee_wan": {pid: round(IDLE_FEE_RATE * float(price), 4)
                         for pid, price in zip(ids[fee_rows], land_price[fee_rows])},
        "exempt_cause": dict(zip(ids[exempt].tolist(), delay_cause[exempt].tolist())),
        "inefficiency": {
            "approved_unsupplied": ids[status == "approved_unsupplied"].tolist(),
            "supplied_unused": ids[status == "supplied"].tolist(),
            "underused": ids[underused_mask].tolist(),
            "built_not_operating": ids[(status == "completed") & held].tolist(),
            "below_target": ids[below_mask].tolist(),
        },
        "overlapping_leases": overlapping,
        "pipe_conflicts": conflicts,
        "no_road_access": ids[no_road_mask].tolist(),
        "unserved": {network: ids[mask].tolist() for network, mask in unserved.items()},
    }


def below_target(status, owner, output_wan, tax_wan, area_m2, output_target, tax_target,
                 invested, planned) -> np.ndarray:
    """Operating parcels whose land user missed a contracted target (``output_wan``/``tax_wan``: one year's)."""
    mu = area_m2 / M2_PER_MU
    has_owner = owner >= 0
    out_mu = np.where(has_owner, output_wan[np.maximum(owner, 0)] / mu, np.nan)
    tax_mu = np.where(has_owner, tax_wan[np.maximum(owner, 0)] / mu, np.nan)
    miss = (out_mu < output_target) | (tax_mu < tax_target) | (invested < planned)
    return (status == "operating") & miss
