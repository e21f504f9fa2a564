"""Expansion scenarios: one plan (developable land → suitability → plots → infrastructure) and comparisons.

:func:`plan_expansion` runs the four expansion analyses on one area with one set
of options and keeps their results together; :meth:`ExpansionPlan.figures` are the
headline numbers a committee compares (net area, plots, road and pipe km, cost,
mean suitability), and :func:`compare_scenarios` sets any number of scenarios' figures side
by side, written by :func:`figure_text`. Saving and loading scenarios is ``layers.scenarios``' job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


#: Decimals each unit's figures are shown with: 亩 and 万元 with one as in the annual report, counts whole.
DECIMALS = {"亩": 1, "km²": 3, "km": 2, "": 0, "万元": 1, "0–10": 2}
#: Units in English (the figures' units are kept in Chinese in :data:`COMPARED`).
UNITS_EN = {"亩": "mu", "万元": "10k yuan"}


def unit_text(unit: str, lang: str = "zh") -> str:
    """``unit`` as written in ``lang``."""
    return UNITS_EN.get(unit, unit) if lang == "en" else unit


def figure_text(value: object, unit: str, *, signed: bool = False) -> str:
    """A figure written with thousands separators and its unit's decimals (87,637.7); '—' when missing.

    ``signed`` writes a difference: '+12.5', '−3.0' (a true minus sign), '0.0'.
    """
    if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value):
        return "—"
    digits = DECIMALS.get(unit, 2)
    text = f"{abs(value) if signed else value:,.{digits}f}"
    if not signed or float(text.replace(",", "")) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


def compare_scenarios(figures: Sequence[Mapping[str, object]], *, lang: str = "zh") -> list[dict]:
    """Scenarios' figures side by side, one row per figure of :data:`COMPARED`, scenarios in the given order.

    Each row: ``figure, label, unit`` (in ``lang``), ``values`` (one per scenario) and
    ``differences`` (each scenario's value minus the first's; None for the first and
    where either value is missing), with their texts (``value_texts``, ``difference_texts``).
    """
    rows = []
    for key, zh, en, unit in COMPARED:
        values = [one.get(key) for one in figures]
        first = values[0] if values else None
        differences = [None] + [round(v - first, 4) if isinstance(v, int | float) and isinstance(first, int | float)
                                else None for v in values[1:]]
        rows.append({"figure": key, "label": en if lang == "en" else zh, "unit": unit_text(unit, lang),
                     "values": values, "differences": differences,
                     "value_texts": [figure_text(v, unit) for v in values],
                     "difference_texts": [None] + [figure_text(d, unit, signed=True) for d in differences[1:]]})
    return rows


__all__ = ["COMPARED", "DECIMALS", "ExpansionPlan", "ScenarioOptions", "compare_scenarios", "figure_text", "plan_expansion",
           "unit_text"]
