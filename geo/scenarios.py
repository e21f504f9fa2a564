"""Expansion scenarios: one plan (developable land → suitability → plots → infrastructure) and comparisons.

:func:`plan_expansion` runs the four expansion analyses on one area with one set
of options and keeps their results together; :meth:`ExpansionPlan.figures` are the
headline numbers a committee compares (net area, plots, road and pipe km, cost,
mean suitability), and :func:`compare_scenarios` sets two scenarios' figures side
by side. Saving and loading scenarios is ``layers.scenarios``' job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.constraints import DevelopableLand, developable_land
from geo.infra_needs import InfraNeeds, infrastructure_needs
from geo.parcelling import Parcelling, parcel_land
from geo.reason_text import localised
from geo.suitability import SuitabilityGrid, suitability_grid, zonal_mean
from geo.units import M2_PER_MU, m2_to_km2
from layers.expansion_rules import ExpansionRules
from layers.infra_rules import InfraRules

#: Figures compared between scenarios, in display order, with their Chinese and English names and unit.
COMPARED = (
    ("gross_mu", "总面积", "Gross area", "亩"),
    ("net_mu", "可开发净面积", "Net developable area", "亩"),
    ("net_km2", "可开发净面积", "Net developable area", "km²"),
    ("plots", "地块数", "Plots", ""),
    ("plots_mu", "出让地块面积", "Plot area", "亩"),
    ("leftovers_mu", "零星剩余用地", "Leftover land", "亩"),
    ("road_km", "需建道路", "Roads to build", "km"),
    ("pipe_km", "需敷设管线", "Mains to lay", "km"),
    ("cost_wan", "基础设施投资估算", "Infrastructure cost", "万元"),
    ("mean_suitability", "平均适宜性", "Mean suitability", "0–10"),
)


@dataclass(frozen=True)
class ScenarioOptions:
    """What a user may choose for a scenario; ``None`` keeps the park's rule."""

    cell_m: float | None = None
    layout: str | None = None
    spacing_m: float | None = None
    width_m: float | None = None
    targets_mu: tuple[float, ...] | None = None
    industry: str | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["targets_mu"] = list(self.targets_mu) if self.targets_mu else None
        return data


@dataclass(frozen=True)
class ExpansionPlan:
    """The results of one scenario on one area."""

    area: gpd.GeoSeries
    options: ScenarioOptions
    land: DevelopableLand
    grid: SuitabilityGrid
    parcelling: Parcelling
    needs: InfraNeeds
    notes: list[str] = field(default_factory=list)

    def figures(self) -> dict:
        """The compared figures (see :data:`COMPARED`), JSON-ready."""
        mean = self.grid.mean_score()
        plots = self.parcelling.plots
        return {
            "gross_mu": round(self.land.gross_m2 / M2_PER_MU, 2),
            "net_mu": round(self.land.net_m2 / M2_PER_MU, 2),
            "net_km2": round(float(m2_to_km2(self.land.net_m2)), 4),
            "plots": int(len(plots)),
            "plots_mu": round(float(plots["area_m2"].sum()) / M2_PER_MU, 2),
            "leftovers_mu": round(float(self.parcelling.leftovers["area_m2"].sum()) / M2_PER_MU, 2),
            "road_km": round(float(self.needs.roads["length_m"].sum()) / 1000.0, 3),
            "pipe_km": round(float(self.needs.pipes["total_km"].sum()), 3),
            "cost_wan": round(self.needs.total_cost_wan, 1),
            "mean_suitability": None if np.isnan(mean) else round(mean, 3),
        }

    def summary(self, *, lang: str = "zh") -> dict:
        """Everything the expansion page and its JSON twin show."""
        return {
            "options": self.options.as_dict(),
            "figures": self.figures(),
            "constraints": self.land.summary(lang=lang),
            "suitability": self.grid.summary(),
            "parcelling": self.parcelling.summary(),
            "infrastructure": self.needs.summary(lang),
            "notes": [localised(note, lang) for note in [*self.notes, *self.grid.notes]] + self.needs.named_notes(lang),
        }


def _no_checkpoint(step: str) -> None:
    """Plans run to the end unless the caller passes a checkpoint."""


def plan_expansion(area: gpd.GeoSeries, layers: Mapping[str, pd.DataFrame], *, rules: ExpansionRules,
                   infra_rules: InfraRules, options: ScenarioOptions | None = None, as_of=None,
                   checkpoint: Callable[[str], None] | None = None) -> ExpansionPlan:
    """Run developable land, suitability, parcelling and infrastructure needs for one area.

    Parameters
    ----------
    area
        The expansion area (polygons, union used) in the park's working CRS.
    layers
        Validated layers by name: zones, parcels, roads, pipelines, facilities.
    rules, infra_rules
        Expansion and infrastructure rules.
    options
        The scenario's choices (cell size, road layout, spacing and width, plot sizes, industry).
    checkpoint
        Called with the name of each step before it starts (and between the suitability
        criteria); it may raise to stop the plan there (the web's time budget does).
    """
    options = options or ScenarioOptions()
    check = checkpoint or _no_checkpoint
    zones, parcels, roads = layers["zones"], layers["parcels"], layers["roads"]
    pipelines, facilities = layers["pipelines"], layers["facilities"]
    check("constraints")
    land = developable_land(area, zones=zones, parcels=parcels, roads=roads, rules=rules, infra_rules=infra_rules,
                            as_of=as_of)
    check("suitability")
    grid = suitability_grid(land, zones=zones, parcels=parcels, roads=roads, pipelines=pipelines,
                            facilities=facilities, rules=rules, infra_rules=infra_rules, cell_m=options.cell_m,
                            as_of=as_of, checkpoint=check)
    check("parcelling")
    parcelling = parcel_land(land, roads=roads, rules=rules, infra_rules=infra_rules, layout=options.layout,
                             spacing_m=options.spacing_m, width_m=options.width_m, targets_mu=options.targets_mu,
                             as_of=as_of)
    parcelling.plots["suitability"] = zonal_mean(grid.cells, parcelling.plots.geometry.to_numpy())
    check("infrastructure needs")
    needs = infrastructure_needs(parcelling, roads=roads, pipelines=pipelines, facilities=facilities,
                                 parcels=parcels, rules=rules, infra_rules=infra_rules, industry=options.industry,
                                 as_of=as_of)
    return ExpansionPlan(area=area, options=options, land=land, grid=grid, parcelling=parcelling, needs=needs,
                         notes=list(land.warnings))


def compare_scenarios(a: Mapping[str, object], b: Mapping[str, object], *, lang: str = "zh") -> pd.DataFrame:
    """Two scenarios' figures side by side: ``label, unit, a, b, difference`` (b − a), indexed by figure."""
    rows = []
    for key, zh, en, unit in COMPARED:
        va, vb = a.get(key), b.get(key)
        both = isinstance(va, int | float) and isinstance(vb, int | float)
        rows.append({"figure": key, "label": en if lang == "en" else zh, "unit": unit, "a": va, "b": vb,
                     "difference": round(vb - va, 4) if both else None})
    return pd.DataFrame(rows).set_index("figure")


__all__ = ["COMPARED", "ExpansionPlan", "ScenarioOptions", "compare_scenarios", "plan_expansion"]
