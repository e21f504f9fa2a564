"""Developable land of an expansion area (拓展区): hard constraints subtracted, soft ones warned.

DOMAIN.md §7 shipped as configuration (``data/expansion.yaml``, section
``constraints``): the gross area minus each hard constraint — permanent basic
farmland, ecological red line, class I forest, declared geohazard danger zones,
water (zone kinds, in the configured order), land outside the urban development
boundary, existing parcels and road reserves (red line plus the building-control
strip of expressways) — is the net developable land. Each constraint's own overlap
with the area is reported (``excluded_m2``) and, so that the rows add up, also the
part attributed to it in order (``attributed_m2``: an overlap counts once, under
the first constraint). Soft constraints (other forest, geohazard-prone areas,
mineral deposits, flood and river-management zones) are measured inside the net
land, each with the approval or assessment it needs. The approval level of the
land's expropriation follows 土地管理法 Art. 46 (section ``approval``).

Everything is computed in the park's working CRS; nothing is reprojected here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_projected
from geo.records import in_force
from geo.roadnet import road_widths_m
from geo.units import M2_PER_HA, m2_to_km2, m2_to_mu
from layers.expansion_rules import ExpansionRules
from layers.infra_rules import InfraRules
from layers.registry import get_layer

OUTSIDE_URBAN = "outside_urban_boundary"
EXISTING_PARCELS = "existing_parcels"
ROAD_RESERVE = "road_reserve"

_ZONE_CODES = {code.value: code for code in get_layer("zones").field("kind").codes}
_LABELS = {
    OUTSIDE_URBAN: ("城镇开发边界外", "Outside the urban development boundary"),
    EXISTING_PARCELS: ("已有地块", "Existing parcels"),
    ROAD_RESERVE: ("道路红线及控制带", "Road reserves"),
}


def constraint_label(name: str, lang: str = "zh") -> str:
    """Chinese or English name of a constraint (a zone kind or one of the three derived constraints)."""
    if name in _ZONE_CODES:
        code = _ZONE_CODES[name]
        return code.label_en if lang == "en" else code.label_zh
    zh, en = _LABELS[name]
    return en if lang == "en" else zh


def area_geometry(area: gpd.GeoSeries | gpd.GeoDataFrame) -> shapely.Geometry:
    """The union of ``area``'s polygons (made valid), in its CRS, which must be projected."""
    require_projected(area, what="expansion area")
    geoms = shapely.make_valid(np.asarray(area.geometry if isinstance(area, gpd.GeoDataFrame) else area))
    polygonal = shapely.get_parts(geoms)
    polygonal = polygonal[np.isin(shapely.get_type_id(polygonal), (3, 6))]
    return shapely.union_all(polygonal) if len(polygonal) else shapely.Polygon()


def _union(frame: pd.DataFrame, mask) -> shapely.Geometry:
    geoms = frame.geometry.to_numpy()[np.asarray(mask, dtype=bool)]
    return shapely.union_all(geoms) if len(geoms) else shapely.Polygon()


def road_reserve(roads: gpd.GeoDataFrame, *, rules: ExpansionRules, infra_rules: InfraRules,
                 grades: tuple[str, ...] | None = None) -> shapely.Geometry:
    """Land reserved for roads of the configured statuses: centreline ± half red line + control strip.

    ``grades`` limits the roads to those grades (e.g. the ones that give plots access).
    """
    require_projected(roads, what="road reserve")
    keep = roads["status"].isin(rules.constraints.road_reserve_statuses).to_numpy(copy=True)
    if grades is not None:
        keep &= roads["grade"].isin(grades).to_numpy()
    chosen = roads[keep]
    strips = rules.constraints.road_control_strip_m
    strip = chosen["grade"].map(dict(strips)).astype("float64").fillna(strips["unknown"]).to_numpy()
    half = road_widths_m(chosen, rules=infra_rules).to_numpy() / 2.0 + strip
    return shapely.union_all(shapely.buffer(chosen.geometry.to_numpy(), half)) if len(chosen) else shapely.Polygon()


@dataclass(frozen=True)
class DevelopableLand:
    """Gross, excluded and net land of an expansion area, soft-constraint warnings and the approval level.

    ``excluded`` is indexed by constraint (zone kinds, ``outside_urban_boundary``,
    ``existing_parcels``, ``road_reserve``); ``pieces`` holds each constraint's
    attributed geometry; ``soft`` is indexed by soft zone kind with its area inside
    the net land; ``reserve`` is the road reserve inside the gross area.
    """

    crs: object
    gross: shapely.Geometry
    net: shapely.Geometry
    excluded: pd.DataFrame
    pieces: gpd.GeoDataFrame
    soft: pd.DataFrame
    soft_pieces: gpd.GeoDataFrame
    approval: dict
    reserve: shapely.Geometry
    warnings: list[str] = field(default_factory=list)

    @property
    def gross_m2(self) -> float:
        return float(shapely.area(self.gross))

    @property
    def net_m2(self) -> float:
        return float(shapely.area(self.net))

    def summary(self, *, lang: str = "zh") -> dict:
        """JSON-ready figures: gross / excluded / net in m², 亩 and km², soft warnings, approval."""
        def amounts(m2: float) -> dict:
            return {"m2": round(m2, 2), "mu": round(float(m2_to_mu(m2)), 2), "km2": round(float(m2_to_km2(m2)), 4)}

        excluded = [{"constraint": name, "label": constraint_label(name, lang),
                     "excluded": amounts(row.excluded_m2), "attributed": amounts(row.attributed_m2)}
                    for name, row in self.excluded.iterrows()]
        soft = [{"kind": kind, "label": constraint_label(kind, lang), "area": amounts(row.area_m2),
                 "approval": row.approval_en if lang == "en" else row.approval_zh, "source": row.source}
                for kind, row in self.soft.iterrows() if row.area_m2 > 0]
        return {
            "gross": amounts(self.gross_m2),
            "excluded_total": amounts(self.gross_m2 - self.net_m2),
            "net": amounts(self.net_m2),
            "excluded": excluded,
            "soft": soft,
            "approval": self.approval,
            "warnings": list(self.warnings),
        }


def approval_level(net_m2: float, *, cultivated_m2: float | None, basic_farmland_m2: float,
                   rules: ExpansionRules) -> dict:
    """Who approves the expropriation of the net land (土地管理法 Art. 46).

    The State Council approves permanent basic farmland, cultivated land beyond
    ``state_council_cultivated_ha`` and other land beyond ``state_council_other_ha``
    ("超过": strictly more); the province approves the rest. ``cultivated_m2`` is
    ``None`` when no cultivated land is mapped: the level is then also given as if
    all of the land were cultivated (``level_if_all_cultivated``).
    """
    limits = rules.approval
    known = cultivated_m2 is not None
    cultivated = cultivated_m2 if known else 0.0
    other = max(net_m2 - cultivated, 0.0)
    reasons = []
    if cultivated / M2_PER_HA > limits.state_council_cultivated_ha:
        reasons.append(f"cultivated {cultivated / M2_PER_HA:.2f} ha > {limits.state_council_cultivated_ha:g} ha")
    if other / M2_PER_HA > limits.state_council_other_ha:
        reasons.append(f"other land {other / M2_PER_HA:.2f} ha > {limits.state_council_other_ha:g} ha")
    level = "state_council" if reasons else "provincial"
    worst = "state_council" if net_m2 / M2_PER_HA > limits.state_council_cultivated_ha else "provincial"
    return {
        "level": level,
        "reasons": reasons,
        "cultivated_known": known,
        "cultivated_ha": round(cultivated / M2_PER_HA, 4),
        "other_ha": round(other / M2_PER_HA, 4),
        "level_if_all_cultivated": level if known else worst,
        "basic_farmland_in_area_ha": round(basic_farmland_m2 / M2_PER_HA, 4),
        "source": "土地管理法 Art. 46",
    }


def developable_land(area: gpd.GeoSeries | gpd.GeoDataFrame, *, zones: gpd.GeoDataFrame,
                     parcels: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, rules: ExpansionRules,
                     infra_rules: InfraRules, as_of=None) -> DevelopableLand:
    """Net developable land of ``area`` after the hard constraints, with soft warnings and the approval level.

    Parameters
    ----------
    area
        The expansion area (one or more polygons; their union is used) in the park's working CRS.
    zones, parcels, roads
        Validated layers in the same CRS; records not true on ``as_of`` (valid time) are ignored.
    rules
        Expansion rules (sections ``constraints`` and ``approval``).
    infra_rules
        Infrastructure rules (red-line widths by grade where ``width_m`` is missing).
    """
    for frame, what in ((zones, "zones"), (parcels, "parcels"), (roads, "roads")):
        require_projected(frame, what=f"developable land ({what})")
    gross = area_geometry(area)
    zones, parcels, roads = (in_force(f, as_of=as_of) for f in (zones, parcels, roads))
    near = zones[shapely.intersects(zones.geometry.to_numpy(), gross)]
    kinds = near["kind"].to_numpy()
    warnings: list[str] = []
    crules = rules.constraints

    hard: dict[str, shapely.Geometry] = {kind: _union(near, kinds == kind) for kind in crules.hard_zone_kinds}
    if crules.outside_urban_boundary:
        if (zones["kind"] == "urban_dev_boundary").any():
            hard[OUTSIDE_URBAN] = shapely.difference(gross, _union(zones, zones["kind"] == "urban_dev_boundary"))
        else:
            warnings.append("no urban_dev_boundary zone in the park: land outside the boundary could not be excluded")
    hard[EXISTING_PARCELS] = _union(parcels, parcels["status"].isin(crules.existing_parcel_statuses))
    reserve = shapely.intersection(road_reserve(roads, rules=rules, infra_rules=infra_rules), gross)
    hard[ROAD_RESERVE] = reserve

    names = list(hard)
    geoms = shapely.intersection(np.array([hard[n] for n in names], dtype=object), gross)
    excluded_m2 = shapely.area(geoms)
    attributed, remaining = [], gross
    for geom in geoms:  # one step per constraint (a handful), in attribution order
        attributed.append(shapely.intersection(geom, remaining))
        remaining = shapely.difference(remaining, geom)
    net = remaining
    attributed = np.array(attributed, dtype=object)
    attributed_m2 = shapely.area(attributed)
    excluded = pd.DataFrame({
        "excluded_m2": excluded_m2, "attributed_m2": attributed_m2,
        "excluded_mu": m2_to_mu(excluded_m2), "attributed_mu": m2_to_mu(attributed_m2),
        "excluded_km2": m2_to_km2(excluded_m2),
    }, index=pd.Index(names, name="constraint"))
    pieces = gpd.GeoDataFrame({"constraint": names, "area_m2": attributed_m2}, geometry=attributed, crs=zones.crs)
    pieces = pieces[~shapely.is_empty(attributed)].reset_index(drop=True)

    soft_geoms = {}
    for kind in crules.soft:
        geom = _union(near, kinds == kind)
        if kind == "river_zone" and crules.water_buffer_m > 0 and not (zones["kind"] == "river_zone").any():
            water = _union(zones, zones["kind"] == "water")
            geom = shapely.union(geom, shapely.difference(shapely.buffer(water, crules.water_buffer_m), water))
        soft_geoms[kind] = shapely.intersection(geom, net)
    soft_kinds = list(soft_geoms)
    soft_array = np.array([soft_geoms[k] for k in soft_kinds], dtype=object)
    soft_m2 = shapely.area(soft_array) if len(soft_array) else np.array([])
    soft = pd.DataFrame({
        "area_m2": soft_m2,
        "area_mu": m2_to_mu(soft_m2),
        "approval_zh": [crules.soft[k].approval_zh for k in soft_kinds],
        "approval_en": [crules.soft[k].approval_en for k in soft_kinds],
        "source": [crules.soft[k].source for k in soft_kinds],
    }, index=pd.Index(soft_kinds, name="kind"))
    soft_pieces = gpd.GeoDataFrame({"kind": soft_kinds, "area_m2": soft_m2}, geometry=soft_array, crs=zones.crs)
    soft_pieces = soft_pieces[soft_pieces["area_m2"] > 0].reset_index(drop=True)

    cultivated_kinds = rules.approval.cultivated_zone_kinds
    has_cultivated = bool(cultivated_kinds) and zones["kind"].isin(cultivated_kinds).any()
    cultivated_m2 = (float(shapely.area(shapely.intersection(_union(near, np.isin(kinds, cultivated_kinds)), net)))
                     if has_cultivated else None)
    basic = float(shapely.area(shapely.intersection(_union(near, kinds == "basic_farmland"), gross)))
    approval = approval_level(float(shapely.area(net)), cultivated_m2=cultivated_m2, basic_farmland_m2=basic,
                              rules=rules)
    return DevelopableLand(crs=zones.crs, gross=gross, net=net, excluded=excluded, pieces=pieces, soft=soft,
                           soft_pieces=soft_pieces, approval=approval, reserve=reserve, warnings=warnings)


__all__ = ["DevelopableLand", "approval_level", "area_geometry", "constraint_label", "developable_land",
           "road_reserve"]
