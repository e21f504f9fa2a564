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
:mod:`.zones`, :mod:`.frames` (arrays → the registry's layers) and :mod:`.manifest`.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from layers.demo import frames as fr
from layers.demo import manifest as mf
from layers.demo.buildings import plan_buildings
from layers.demo.constants import (
    DEFAULT_PARCELS,
    DEFAULT_SEED,
    HISTORY_YEARS,
    MANIFEST_MAX_PARCELS,
    PARK_NAME,
    REFERENCE_DATE,
    WORKING_EPSG,
)
from layers.demo.economy import plan_economy
from layers.demo.layout import plan_layout
from layers.demo.networks import add_conflicts, plan_facilities, plan_pipes, road_status
from layers.demo.scenarios import plan_scenarios
from layers.demo.zones import plan_zones
from layers.registry import get_layer
from layers.valid_time import fill_valid_time

__all__ = ["DEFAULT_PARCELS", "DEFAULT_SEED", "build_demo_park", "generate_demo_park"]

#: Layers in the registry's order.
LAYER_ORDER = ("zones", "parcels", "buildings", "roads", "pipelines", "facilities", "units", "leases", "enterprises",
               "enterprise_years", "cases")


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
    pipes = plan_pipes(layout, road_state, road_year)
    pipes, conflicts = add_conflicts(layout, scenario, buildings, pipes, road_state, streams[3])
    n_plots = len(layout.plots)
    plot_ids = fr.ids("DK", n_plots, 7)
    building_ids = fr.ids("JZ", len(buildings), 7)
    economy = plan_economy(layout, scenario, buildings, building_ids, plot_ids, streams[5])
    rng = streams[6]
    conditions = fr.land_use_conditions(scenario, buildings, layout.plots.area_m2)
    frames = {
        "parcels": fr.parcels_frame(layout, scenario, buildings, economy, plot_ids, road_state, conditions, rng),
        "buildings": fr.buildings_frame(layout, scenario, buildings, economy, plot_ids, building_ids, rng),
        "roads": fr.roads_frame(layout, road_state, road_year, rng),
    }
    identifiers = fr.pipe_ids(pipes)
    frames["pipelines"] = fr.pipelines_frame(pipes, identifiers, rng)
    frames["facilities"] = fr.facilities_frame(plan_facilities(layout, scenario, streams[4]), rng)
    frames["zones"] = fr.zones_frame(plan_zones(layout), rng)
    meta = {"working_epsg": WORKING_EPSG, "park_name": PARK_NAME,
            "reference_date": str(REFERENCE_DATE), "seed": int(seed), "n_parcels": int(n_parcels)}
    if n_plots <= MANIFEST_MAX_PARCELS:
        meta["demo_manifest"] = _manifest(frames, scenario=scenario, economy=economy, conditions=conditions,
                                          conflicts=conflicts, pipe_ids=identifiers, building_ids=building_ids)
    # The ground plan is no longer needed: free it before the large tables are built.
    del layout, scenario, buildings, pipes, conditions
    frames.update(fr.table_frames(economy, rng))
    # Valid time from the records' own dates, as an import of this register would derive it.
    day = pd.Timestamp(REFERENCE_DATE)
    return {name: fill_valid_time(frames[name], get_layer(name), today=day) for name in LAYER_ORDER}, meta


def _manifest(frames, *, scenario, economy, conditions, conflicts, pipe_ids, building_ids) -> dict:
    parcels, roads, pipes = frames["parcels"], frames["roads"], frames["pipelines"]
    geometry = parcels.geometry.to_numpy()
    n_plots = len(scenario.kind)
    n_all = len(parcels)
    pad = n_all - n_plots
    status = parcels["status"].fillna("").to_numpy(dtype=object)
    tenure = parcels["tenure"].fillna("").to_numpy(dtype=object)
    far_req, coef_req = mf.required_far_and_coef(scenario.land_use, scenario.industry_code, scenario.far_min,
                                                 conditions["coef_min"])
    judged = np.isin(scenario.status, mf.JUDGED_STATUSES)
    underused = judged & ((conditions["far"] < far_req) | (conditions["coef"] < coef_req))
    years = economy.years
    last = years["year"] == HISTORY_YEARS[-1]
    below = mf.below_target(scenario.status, economy.owner_of_plot, years["output_wan"][last],
                            years["tax_wan"][last], parcels["registered_area_m2"].to_numpy()[:n_plots],
                            scenario.contract_output_per_mu_wan, scenario.contract_tax_per_mu_wan,
                            scenario.investment_done_wan, scenario.investment_planned_wan)
    widths = roads["width_m"].to_numpy(dtype=float)
    pairs = mf.frontage_pairs(geometry, roads.geometry.to_numpy(), widths)
    no_road = np.bincount(pairs[0], minlength=n_all) == 0
    limits = mf.serve_limits(n_all, pairs, widths)
    distances = mf.serve_distances(geometry, pipes.geometry.to_numpy(), {
        "network": pipes["network"].to_numpy(dtype=object), "status": pipes["status"].to_numpy(dtype=object),
        "diameter_mm": pipes["diameter_mm"].to_numpy(dtype=float),
        "pressure_class": pipes["pressure_class"].to_numpy(dtype=object),
        "voltage_kv": pipes["voltage_kv"].to_numpy(dtype=float)})
    supplied = np.isin(status, mf.SUPPLIED_STATUSES)
    unserved = {net: supplied & ~(d <= limits) for net, d in distances.items()}
    pad_bool = np.zeros(pad, dtype=bool)
    conflict_ids = {
        "pipe_pipe": [{"a": str(pipe_ids[c["a"]]), "b": str(pipe_ids[c["b"]]), "required_m": c["required_m"],
                       "actual_m": c["actual_m"]} for c in conflicts.pipe_pipe],
        "pipe_building": [{"pipe_id": str(pipe_ids[c["pipe"]]), "building_id": str(building_ids[c["building"]]),
                           "required_m": c["required_m"], "actual_m": c["actual_m"]} for c in conflicts.pipe_building],
        "pipe_under_building": [{"pipe_id": str(pipe_ids[c["pipe"]]), "building_id": str(building_ids[c["building"]])}
                                for c in conflicts.pipe_under_building],
    }
    return mf.build_manifest(
        ids=parcels["parcel_id"].to_numpy(dtype=object), kind=np.concatenate([scenario.kind, np.full(pad, -1)]),
        status=status, tenure=tenure,
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
