"""Infrastructure a parcelled expansion area needs: new road and pipe length, cost, capacity checks.

Roads: every generated road, and every existing road bordering a plot that is not
yet the road connection (infrastructure rules ``roads.ready_statuses``), costed at
the grade's unit cost times the share still to spend for its status (section
``costs`` of ``data/expansion.yaml``).

Pipes, per network the park's readiness target requires (七通一平 by default): a
road serving plots carries the network when an eligible in-service main
(``geo.readiness.eligible_mains``) runs along at least ``main_cover_share`` of it
in the road, between its red lines (a main outside them serves no plot: DOMAIN.md
§8.6, as ``geo.readiness`` judges it); otherwise a main is needed along the rest of it. Where no serving road carries the
network at all, a trunk from the nearest eligible main (straight distance) is
added; with no such main in the park the trunk is unknown and said so.

Capacity: the plots' demand (亩 × demand per 亩 for the chosen industry) plus the
estimated load of the park's built parcels, against the capacity of in-service
sewage plants (m³/d) and substations (MVA) whose capacity unit is understood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_projected
from geo.names import code_name
from geo.parcelling import Parcelling
from geo.readiness import eligible_mains
from geo.reason_text import localised
from geo.records import in_force
from geo.roadnet import road_frontage, road_widths_m
from geo.units import M2_PER_MU
from layers.expansion_rules import ExpansionRules
from layers.infra_rules import InfraRules

CAPACITY_KINDS = {"sewage_plant": "sewage_m3_d", "substation": "power_mva"}


@dataclass(frozen=True)
class InfraNeeds:
    """Roads and pipes to build with their cost, and the capacity checks.

    ``roads``: one row per road to build or finish (``road_id, source`` new|existing,
    ``grade, status, length_m, share, cost_wan``); ``pipes``: one row per network
    (``along_roads_m, trunk_m, total_km, unit_cost_wan_per_km, cost_wan, note``);
    ``capacity``: one row per facility kind; ``lines``: what to build, for the map.
    """

    roads: pd.DataFrame
    pipes: pd.DataFrame
    capacity: pd.DataFrame
    lines: gpd.GeoDataFrame
    industry: str
    notes: list[str] = field(default_factory=list)

    @property
    def road_cost_wan(self) -> float:
        return float(self.roads["cost_wan"].sum())

    @property
    def pipe_cost_wan(self) -> float:
        return float(self.pipes["cost_wan"].sum())

    @property
    def total_cost_wan(self) -> float:
        return self.road_cost_wan + self.pipe_cost_wan

    def roads_by_grade(self) -> pd.DataFrame:
        grouped = self.roads.groupby("grade", sort=True)
        return pd.DataFrame({"km": grouped["length_m"].sum() / 1000.0, "cost_wan": grouped["cost_wan"].sum()})

    def named_notes(self, lang: str = "zh") -> list[str]:
        """:attr:`notes` in ``lang``: each network or facility kind by its name, the note in words of ``lang``."""
        network, kind = code_name("pipelines", "network", lang), code_name("facilities", "kind", lang)
        return ([f"{network(n)}: {localised(r['note'], lang)}" for n, r in self.pipes.iterrows() if r["note"]]
                + [f"{kind(k)}: {localised(r['note'], lang)}" for k, r in self.capacity.iterrows() if r["note"]])

    def summary(self, lang: str = "zh") -> dict:
        """JSON-ready: road km and cost by grade, pipe km and cost by network, capacity checks, totals.

        Codes keep their keys (``grade``, ``network``, ``kind``); ``name`` beside each is the code's name in
        ``lang``, and ``notes`` are in ``lang`` (:meth:`named_notes`).
        """
        def number(value, digits=3):
            return None if value is None or not np.isfinite(value) else round(float(value), digits)

        grade, network, kind = (code_name("roads", "grade", lang), code_name("pipelines", "network", lang),
                                code_name("facilities", "kind", lang))
        return {
            "industry": self.industry,
            "roads_by_grade": [{"grade": g, "name": grade(g), "km": number(r["km"]),
                                "cost_wan": number(r["cost_wan"], 1)} for g, r in self.roads_by_grade().iterrows()],
            "road_km": number(self.roads["length_m"].sum() / 1000.0),
            "pipes": [{"network": n, "name": network(n), "km": number(r["total_km"]),
                       "trunk_km": number(r["trunk_m"] / 1000.0), "cost_wan": number(r["cost_wan"], 1),
                       "note": localised(r["note"], lang)} for n, r in self.pipes.iterrows()],
            "pipe_km": number(self.pipes["total_km"].sum()),
            "capacity": [{"kind": k, "name": kind(k), "facilities": int(r["facilities"]),
                          "capacity": number(r["capacity"], 2),
                          "unit": r["unit"], "existing": number(r["existing"], 2), "scenario": number(r["scenario"], 2),
                          "headroom": number(r["headroom"], 2),
                          "ok": None if pd.isna(r["ok"]) else bool(r["ok"]), "note": localised(r["note"], lang)}
                         for k, r in self.capacity.iterrows()],
            "road_cost_wan": number(self.road_cost_wan, 1),
            "pipe_cost_wan": number(self.pipe_cost_wan, 1),
            "total_cost_wan": number(self.total_cost_wan, 1),
            "notes": self.named_notes(lang),
        }


def _plots_as_parcels(parcelling: Parcelling) -> gpd.GeoDataFrame:
    plots = parcelling.plots
    return gpd.GeoDataFrame({"parcel_id": plots["plot_id"].to_numpy()}, geometry=plots.geometry.to_numpy(),
                            crs=plots.crs)


def road_needs(parcelling: Parcelling, roads: gpd.GeoDataFrame, *, rules: ExpansionRules,
               infra_rules: InfraRules) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Roads to build or finish (table) and every road serving a plot (with ``half_m``, its half red line)."""
    costs = rules.costs
    new = parcelling.roads
    fronts = road_frontage(_plots_as_parcels(parcelling), roads, rules=infra_rules)
    bordering = roads.loc[pd.unique(fronts["road"])] if len(fronts) else roads.iloc[:0]
    ready = bordering["status"].isin(infra_rules.roads.ready_statuses) | bordering["status"].isna()
    todo = bordering[~ready.to_numpy()]
    grade = pd.concat([new["grade"], todo["grade"].fillna("unknown")], ignore_index=True).astype(str)
    status = pd.concat([new["status"], todo["status"]], ignore_index=True).astype(str)
    share = status.map(dict(costs.road_remaining_share)).fillna(1.0).to_numpy(dtype=float)
    length = np.concatenate([new["length_m"].to_numpy(dtype=float), shapely.length(todo.geometry.to_numpy())])
    unit = grade.map(dict(costs.road_wan_per_km)).fillna(costs.road_wan_per_km["unknown"]).to_numpy(dtype=float)
    table = pd.DataFrame({
        "road_id": np.concatenate([new["road_id"].to_numpy(dtype=object), todo["road_id"].to_numpy(dtype=object)]),
        "source": ["new"] * len(new) + ["existing"] * len(todo),
        "grade": grade, "status": status, "length_m": length, "share": share,
        "unit_cost_wan_per_km": unit, "cost_wan": length / 1000.0 * unit * share,
    })
    serving = gpd.GeoDataFrame({
        "road_id": np.concatenate([new["road_id"].to_numpy(dtype=object),
                                   bordering["road_id"].to_numpy(dtype=object)]),
        "half_m": np.concatenate([new["width_m"].to_numpy(dtype=float) / 2.0,
                                  road_widths_m(bordering, rules=infra_rules).to_numpy() / 2.0]),
    }, geometry=np.concatenate([new.geometry.to_numpy(), bordering.geometry.to_numpy()]), crs=roads.crs)
    return table, serving


def pipe_needs(serving: gpd.GeoDataFrame, pipelines: gpd.GeoDataFrame, *, rules: ExpansionRules,
               infra_rules: InfraRules, template: str | None = None) -> tuple[pd.DataFrame, list]:
    """Per network the target template requires: main length needed along serving roads, trunk, cost."""
    costs = rules.costs
    target = infra_rules.readiness.template(template)
    networks = [n for n in target.requires if n in infra_rules.served.sources]
    lines = serving.geometry.to_numpy()
    length = shapely.length(lines)
    # The road between its red lines: a main elsewhere serves no plot along it (geo.readiness).
    corridors = (shapely.buffer(lines, serving["half_m"].to_numpy(), cap_style="flat") if len(lines)
                 else np.array([], dtype=object))
    rows, needed_lines = [], []
    for network in networks:  # one pass per network (≤ 10), each over every serving road at once
        mains = pipelines.geometry.to_numpy()[eligible_mains(pipelines, infra_rules.served.sources[network],
                                                             rules=infra_rules)]
        union = shapely.union_all(mains) if len(mains) else shapely.LineString()
        along = shapely.length(shapely.intersection(corridors, union)) if len(lines) else np.array([])
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.clip(np.where(length > 0, along / length, 1.0), 0.0, 1.0)
        carried = cover >= costs.main_cover_share
        needed = np.where(carried, 0.0, length * (1.0 - cover))
        note = ""
        trunk = 0.0
        if len(lines) and not carried.any():
            if len(mains):
                trunk = float(shapely.distance(union, shapely.union_all(lines)))
            else:
                trunk = np.nan
                note = "no in-service main of this network in the park: a source must be planned"
        unit = costs.pipe_wan_per_km.get(network, np.nan)
        total_m = needed.sum() + (0.0 if np.isnan(trunk) else trunk)
        rows.append({"network": network, "along_roads_m": float(needed.sum()), "trunk_m": trunk,
                     "total_km": total_m / 1000.0, "unit_cost_wan_per_km": unit,
                     "cost_wan": total_m / 1000.0 * unit if np.isfinite(unit) else np.nan, "note": note})
        needed_lines.append((network, lines[~carried]))
    pipes = pd.DataFrame(rows, columns=["network", "along_roads_m", "trunk_m", "total_km", "unit_cost_wan_per_km",
                                        "cost_wan", "note"]).set_index("network")
    return pipes, needed_lines


def _capacity_amount(facilities: pd.DataFrame, kind: str, rules: ExpansionRules) -> tuple[int, float, str, str]:
    """(count, capacity sum, unit, note) of the in-service facilities of ``kind`` with an understood unit."""
    chosen = facilities[((facilities["kind"] == kind)
                         & (facilities["status"].isin(["in_service"]) | facilities["status"].isna())).to_numpy()]
    units = rules.demand.capacity_units.get(kind, ())
    unit = chosen["capacity_unit"].astype("str").str.strip()
    understood = unit.isin(units).to_numpy() & chosen["capacity"].notna().to_numpy()
    if not len(chosen):
        return 0, np.nan, units[0] if units else "", f"no in-service {kind} in the park"
    if not understood.any():
        seen = ", ".join(sorted(set(unit.dropna()))) or "none"
        return len(chosen), np.nan, units[0] if units else "", (
            f"capacity unknown or in a unit not understood ({seen}); understood: {', '.join(units)}")
    skipped = len(chosen) - int(understood.sum())
    note = f"{skipped} {kind} without an understood capacity left out" if skipped else ""
    return len(chosen), float(chosen["capacity"].to_numpy(dtype=float)[understood].sum()), units[0], note


def capacity_checks(plots_mu: float, *, parcels: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                    rules: ExpansionRules, industry: str) -> pd.DataFrame:
    """Sewage plant (m³/d) and substation (MVA) capacity against existing load plus the scenario's demand."""
    demand = rules.demand
    rate = demand.per_mu[industry]
    general = demand.per_mu[demand.default_industry]
    built = parcels[parcels["status"].isin(demand.existing_statuses).to_numpy()]
    existing_mu = float(shapely.area(built.geometry.to_numpy()).sum() / M2_PER_MU)
    rows = []
    for kind, attribute in CAPACITY_KINDS.items():
        count, capacity, unit, note = _capacity_amount(facilities, kind, rules)
        existing = existing_mu * getattr(general, attribute)
        scenario = plots_mu * getattr(rate, attribute)
        headroom = capacity - existing - scenario
        rows.append({"kind": kind, "facilities": count, "capacity": capacity, "unit": unit, "existing": existing,
                     "scenario": scenario, "headroom": headroom,
                     "ok": (headroom >= 0) if np.isfinite(headroom) else None, "note": note})
    return pd.DataFrame(rows).set_index("kind")


def infrastructure_needs(parcelling: Parcelling, *, roads: gpd.GeoDataFrame, pipelines: gpd.GeoDataFrame,
                         facilities: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, rules: ExpansionRules,
                         infra_rules: InfraRules, industry: str | None = None, template: str | None = None,
                         as_of=None) -> InfraNeeds:
    """What a parcelled area needs to bring every plot to the readiness target, its cost and capacity checks.

    Parameters
    ----------
    parcelling
        Plots and new roads (``geo.parcelling.parcel_land``).
    roads, pipelines, facilities, parcels
        Validated layers in the park's working CRS (records not true on ``as_of``, valid time, ignored).
    rules, infra_rules
        Expansion rules (``costs``, ``demand``) and infrastructure rules (served limits, readiness target).
    industry
        Key of ``demand.per_mu`` (default ``demand.default_industry``).
    template
        Readiness target (default the park's, 七通一平).
    """
    for frame, what in ((roads, "roads"), (pipelines, "pipelines"), (facilities, "facilities")):
        require_projected(frame, what=f"infrastructure needs ({what})")
    industry = industry or rules.demand.default_industry
    if industry not in rules.demand.per_mu:
        msg = f"industry {industry!r} unknown; allowed: {', '.join(rules.demand.per_mu)}"
        raise ValueError(msg)
    roads, pipelines, facilities, parcels = (in_force(f, as_of=as_of)
                                             for f in (roads, pipelines, facilities, parcels))
    road_table, serving = road_needs(parcelling, roads, rules=rules, infra_rules=infra_rules)
    pipes, needed = pipe_needs(serving, pipelines, rules=rules, infra_rules=infra_rules, template=template)
    plots_mu = float(parcelling.plots["area_m2"].sum() / M2_PER_MU)
    capacity = capacity_checks(plots_mu, parcels=parcels, facilities=facilities, rules=rules, industry=industry)
    to_build = np.concatenate([parcelling.roads["road_id"].to_numpy(dtype=object),
                               road_table.loc[road_table["source"] == "existing", "road_id"].to_numpy(dtype=object)])
    road_lines = serving[serving["road_id"].isin(to_build).to_numpy()]
    kinds = ["road"] * len(road_lines) + [n for n, geoms in needed for _ in geoms]
    geoms = np.concatenate([road_lines.geometry.to_numpy()] + [g for _, g in needed]) if kinds else []
    lines = gpd.GeoDataFrame({"need": kinds}, geometry=geoms, crs=roads.crs)
    notes = [f"{n}: {r['note']}" for n, r in pipes.iterrows() if r["note"]]
    notes += [f"{k}: {r['note']}" for k, r in capacity.iterrows() if r["note"]]
    return InfraNeeds(roads=road_table, pipes=pipes, capacity=capacity, lines=lines, industry=industry, notes=notes)


__all__ = ["CAPACITY_KINDS", "InfraNeeds", "capacity_checks", "infrastructure_needs", "pipe_needs", "road_needs"]
