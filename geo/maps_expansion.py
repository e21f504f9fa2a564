"""Maps of the expansion and site-search pages, built from the pieces of :mod:`geo.maps`.

The expansion page's base map carries the park's zones, parcels, roads, pipelines
and facilities, plus Leaflet.draw (served locally from its pinned npm package) for
the drawing tool. Analysis results are described by small
:class:`~layers.schema.LayerSpec` declarations, so their colours, popups and
labels take the same vectorised, escaped path (:func:`geo.maps.styled_layer`) as
every registry layer; :func:`result_layers` returns them for the page's script
(``static/js/expansion.js``) to add, whether the area came from a zone or a drawing.
The suitability grid goes to the browser as one polygon per score class, not one
square per cell. :func:`outline_svg` draws a result's outline for the printable sheet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

from geo.constraints import EXISTING_PARCELS, OUTSIDE_URBAN, ROAD_RESERVE
from geo.maps import (
    LegendItem,
    LegendSection,
    ParkMap,
    TileSettings,
    add_basemap,
    add_layer_control,
    add_park_layers,
    fit_to_layers,
    styled_layer,
    tiles_needed,
)
from geo.scenarios import ExpansionPlan
from geo.units import M2_PER_MU
from layers.registry import get_layer
from layers.schema import Code, Field, LayerSpec, Style, code_label

LEAFLET_DRAW_JS = "vendor/node_modules/leaflet-draw/dist/leaflet.draw.js"
LEAFLET_DRAW_CSS = "vendor/node_modules/leaflet-draw/dist/leaflet.draw.css"
BASE_LAYERS = ("zones", "parcels", "roads", "pipelines", "facilities")
#: The park's layers the site-search map draws beneath its results.
SITE_CONTEXT_LAYERS = ("zones", "parcels", "roads", "facilities")
#: Suitability class colours from 0–1 (red) to 9–10 (green), a drawing choice.
SUITABILITY_RAMP = ("#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b", "#d9ef8b", "#a6d96a", "#66bd63",
                    "#1a9850", "#006837")
#: Plot colours by target size, in the order of the configured targets.
PLOT_PALETTE = ("#8dd3c7", "#80b1d3", "#bebada", "#fb8072", "#fdb462", "#b3de69")

_ZONE_CODES = get_layer("zones").field("kind").codes
CONSTRAINT_CODES = (
    *_ZONE_CODES,
    Code(OUTSIDE_URBAN, "城镇开发边界外", "Outside the urban development boundary", "#b15928"),
    Code(EXISTING_PARCELS, "已有地块", "Existing parcels", "#969696"),
    Code(ROAD_RESERVE, "道路红线及控制带", "Road reserves", "#525252"),
)
LEFTOVER_CODES = (
    Code("below_minimum", "小于最小地块", "Below the minimum size", "#fdbf6f"),
    Code("no_frontage", "无道路临街面", "No road frontage", "#fb9a99"),
    Code("off_target", "面积不合目标", "Off the target sizes", "#cab2d6"),
    Code("proportions", "形状不规整", "Poor proportions", "#ffff99"),
)
_NETWORK_CODES = get_layer("pipelines").field("network").codes
NEED_CODES = (Code("road", "需建道路", "Road to build", "#252525"), *_NETWORK_CODES)
_AREA = Field("area_mu", "float", "面积", "Area", unit="亩")


def _spec(name: str, zh: str, en: str, geometry: str, fields: tuple[Field, ...], *, by: str | None = None,
          color: str = "#555555", fill: float = 0.5, weight: float = 1.0) -> LayerSpec:
    return LayerSpec(name=name, label_zh=zh, label_en=en, geometry=geometry, id_field=fields[0].name, fields=fields,
                     style=Style(color=color, fill_opacity=fill, weight=weight, by_field=by),
                     popup_fields=tuple(f.name for f in fields))


EXCLUDED_SPEC = _spec("exp_excluded", "扣除的硬约束", "Hard constraints excluded", "Polygon",
                      (Field("constraint", "code", "约束", "Constraint", codes=CONSTRAINT_CODES), _AREA),
                      by="constraint", fill=0.55, weight=0.5, color="#444444")
SOFT_SPEC = _spec("exp_soft", "软约束（需审批/评估）", "Soft constraints (approval needed)", "Polygon",
                  (Field("kind", "code", "类型", "Kind", codes=_ZONE_CODES), _AREA,
                   Field("approval", "str", "需办理", "Needs")), by="kind", fill=0.35, weight=1.5, color="#444444")
NET_SPEC = _spec("exp_net", "可开发净用地", "Net developable land", "Polygon",
                 (Field("name", "str", "名称", "Name"), _AREA), color="#33a02c", fill=0.15, weight=2.0)
SUITABILITY_SPEC = _spec("exp_suitability", "适宜性评价", "Suitability", "Polygon",
                         (Field("score_class", "code", "适宜性得分", "Score",
                                codes=tuple(Code(str(i), f"{i}–{i + 1} 分", f"{i}–{i + 1}", c)
                                            for i, c in enumerate(SUITABILITY_RAMP))), _AREA),
                         by="score_class", fill=0.6, weight=0.0, color="#ffffff")
LEFTOVER_SPEC = _spec("exp_leftovers", "零星剩余用地", "Leftover land", "Polygon",
                      (Field("leftover_id", "str", "编号", "No."),
                       Field("reason", "code", "原因", "Reason", codes=LEFTOVER_CODES), _AREA),
                      by="reason", fill=0.6, weight=0.5, color="#666666")
NEW_ROADS_SPEC = _spec("exp_new_roads", "新建道路", "New roads", "LineString",
                       (Field("road_id", "str", "道路编号", "Road id"),
                        Field("length_m", "float", "长度", "Length", unit="m")), color="#000000", weight=4.0)
SCENARIO_AREA_SPEC = _spec("exp_scenario_area", "方案范围", "Scenario area", "Polygon",
                            (Field("name", "str", "方案", "Scenario"), _AREA), color="#1f78b4", fill=0.05, weight=3.0)
NEEDS_SPEC = _spec("exp_needs", "需建基础设施", "Infrastructure to build", "LineString",
                   (Field("need_id", "str", "编号", "No."), Field("need", "code", "类型", "Kind", codes=NEED_CODES)),
                   by="need", weight=2.5)


def plots_spec(targets_mu) -> LayerSpec:
    """The plots layer, coloured by target size (one code per configured target)."""
    codes = tuple(Code(f"{t:g}", f"{t:g} 亩地块", f"{t:g} mu plots", PLOT_PALETTE[i % len(PLOT_PALETTE)])
                  for i, t in enumerate(sorted(targets_mu)))
    return _spec("exp_plots", "规划地块", "Planned plots", "Polygon", (
        Field("plot_id", "str", "地块编号", "Plot id"),
        Field("target", "code", "目标规模", "Target size", codes=codes), _AREA,
        Field("frontage_m", "float", "临路长度", "Road frontage", unit="m"),
        Field("suitability", "float", "平均适宜性", "Mean suitability")), by="target", fill=0.7, weight=1.0,
        color="#1f1f1f")


def _frame(data: dict, geoms, crs) -> pd.DataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def suitability_classes(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(class 0–9, merged polygon) of the scored cells, one polygon per class present."""
    scored = cells[~cells["restricted"].to_numpy()]
    if not len(scored):
        return np.array([], dtype=int), np.array([], dtype=object)
    klass = np.clip(np.floor(scored["score"].to_numpy()), 0, 9).astype(int)
    present = np.unique(klass)
    boxes = scored.geometry.to_numpy()
    # Ten classes at most: each merges its non-overlapping squares in one GEOS call.
    merged = np.array([shapely.coverage_union_all(boxes[klass == k]) for k in present], dtype=object)
    return present, merged


def result_frames(plan: ExpansionPlan, *, lang: str = "zh") -> list[tuple[LayerSpec, pd.DataFrame]]:
    """Each result layer's declaration and features, in drawing order (bottom first)."""
    land, grid, parcelling, needs = plan.land, plan.grid, plan.parcelling, plan.needs
    crs = land.crs
    out = []
    klass, merged = suitability_classes(grid.cells)
    out.append((SUITABILITY_SPEC, _frame({"score_class": klass.astype(str), "area_mu": shapely.area(merged) / (
        M2_PER_MU)}, merged, crs)))
    pieces = land.pieces
    out.append((EXCLUDED_SPEC, _frame({"constraint": pieces["constraint"].to_numpy(),
                                       "area_mu": pieces["area_m2"].to_numpy() / M2_PER_MU},
                                      pieces.geometry.to_numpy(), crs)))
    soft = land.soft_pieces
    approvals = land.soft["approval_en" if lang == "en" else "approval_zh"]
    out.append((SOFT_SPEC, _frame({"kind": soft["kind"].to_numpy(), "area_mu": soft["area_m2"].to_numpy() / (
        M2_PER_MU), "approval": approvals.reindex(soft["kind"]).to_numpy()}, soft.geometry.to_numpy(), crs)))
    out.append((NET_SPEC, _frame({"name": ["可开发净用地" if lang != "en" else "Net developable land"],
                                  "area_mu": [land.net_m2 / M2_PER_MU]}, [land.net], crs)))
    out.append(plots_layer(parcelling.plots, parcelling.rules.targets_mu, crs))
    left = parcelling.leftovers
    out.append((LEFTOVER_SPEC, _frame({"leftover_id": [f"L{i + 1}" for i in range(len(left))],
                                       "reason": left["reason"].to_numpy(),
                                       "area_mu": left["area_mu"].round(2).to_numpy()}, left.geometry.to_numpy(),
                                      crs)))
    out.append(roads_layer(parcelling.roads, crs))
    lines = needs.lines
    out.append((NEEDS_SPEC, _frame({"need_id": [f"N{i + 1}" for i in range(len(lines))],
                                    "need": lines["need"].to_numpy()}, lines.geometry.to_numpy(), crs)))
    return out


def plots_layer(plots: pd.DataFrame, targets_mu, crs) -> tuple[LayerSpec, pd.DataFrame]:
    """Planned plots as drawn: coloured by target size (the configured targets and any the plots have)."""
    targets = sorted(set(targets_mu) | set(plots["target_mu"])) if len(plots) else targets_mu
    return plots_spec(targets), _frame({
        "plot_id": plots["plot_id"].to_numpy(),
        "target": plots["target_mu"].map(lambda t: f"{t:g}").to_numpy(dtype=object),
        "area_mu": plots["area_mu"].round(2).to_numpy(),
        "frontage_m": plots["frontage_m"].round(1).to_numpy(),
        "suitability": plots["suitability"].round(2).to_numpy() if "suitability" in plots else
        np.full(len(plots), np.nan)}, plots.geometry.to_numpy(), crs)


def roads_layer(roads: pd.DataFrame, crs) -> tuple[LayerSpec, pd.DataFrame]:
    """New roads as drawn: id and length."""
    return NEW_ROADS_SPEC, _frame({"road_id": roads["road_id"].to_numpy(),
                                   "length_m": roads["length_m"].round(1).to_numpy()}, roads.geometry.to_numpy(), crs)


def saved_frames(name: str, area, plots: pd.DataFrame, roads: pd.DataFrame, *, targets_mu=()) -> list[tuple[LayerSpec, pd.DataFrame]]:
    """A saved scenario's layers as it was saved: its area (the outline drawn), plots and new roads."""
    crs = area.crs
    outline = _frame({"name": [name], "area_mu": [float(area.area.sum()) / M2_PER_MU]}, [area.union_all()], crs)
    layers = [(SCENARIO_AREA_SPEC, outline)]
    if len(plots):
        layers.append(plots_layer(plots, targets_mu, crs))
    if len(roads):
        layers.append(roads_layer(roads, crs))
    return layers


def result_layers(plan: ExpansionPlan, *, lang: str = "zh") -> list[dict]:
    """The result layers for the page's script: ``key, name, spec`` (client options) and ``data`` (GeoJSON text)."""
    return styled_layers(result_frames(plan, lang=lang), lang=lang)


def styled_layers(frames: list[tuple[LayerSpec, pd.DataFrame]], *, lang: str = "zh") -> list[dict]:
    """Result layers (declaration, features) styled for the page's script, empty geometries left out."""
    layers = []
    for spec, frame in frames:
        keep = ~shapely.is_empty(frame.geometry.to_numpy()) if len(frame) else np.array([], dtype=bool)
        styled = styled_layer(frame[keep], spec, lang=lang, show=spec.name != "exp_needs")
        layers.append({"key": spec.name, "name": spec.label(lang), "spec": styled.client_spec,
                       "data": styled.data_json, "count": styled.n_features})
    return layers


def suitability_legend(lang: str = "zh") -> LegendSection:
    """The suitability layer's legend: every score class with its colour, low to high."""
    spec = SUITABILITY_SPEC
    codes = spec.field("score_class").codes
    return LegendSection(spec.name, spec.label(lang), "fill", [LegendItem(code_label(code, lang), code.color)
                                                               for code in codes])


def layers_json(layers: list[dict]) -> str:
    """The result layers as one JSON array text, their GeoJSON spliced in as it is (already script-safe)."""
    items = []
    for layer in layers:
        head = json.dumps({k: layer[k] for k in ("key", "name", "spec", "count")}, ensure_ascii=False)
        items.append(head[:-1] + ',"data":' + layer["data"] + "}")
    return "[" + ",".join(items) + "]"


def context_layers(m: ParkMap, layers: Mapping[str, pd.DataFrame], names: tuple[str, ...], *, lang: str,
                   hidden: str, tiles: TileSettings | None, asset_base_url: str) -> list[pd.DataFrame]:
    """The park's layers ``names`` drawn for context (``hidden`` not shown at first); from one tile set when one
    of them is above the ``tiles`` threshold (then every one is shown: the layer control hides them)."""
    present = {name: layers[name] for name in names if layers.get(name) is not None and len(layers[name])}
    if tiles_needed(present, tiles):
        return add_park_layers(m, present, lang=lang, tiles=tiles, asset_base_url=asset_base_url)
    for name, frame in present.items():
        styled_layer(frame, get_layer(name), lang=lang, show=name != hidden).add_to(m)
    return list(present.values())


def expansion_map(layers: Mapping[str, pd.DataFrame], *, lang: str = "zh", basemap: str = "none",
                  asset_base_url: str = "/static", tianditu_key: str = "", focus: pd.DataFrame | None = None,
                  tiles: TileSettings | None = None) -> ParkMap:
    """The expansion page's base map: the park's layers (from ``tiles`` above their threshold), the drawing
    tool's assets, started on ``focus``."""
    m = ParkMap(asset_base_url=asset_base_url, lang=lang, zoom_start=14)
    base = asset_base_url.rstrip("/")
    m.default_js = [*m.default_js, ("leaflet_draw", f"{base}/{LEAFLET_DRAW_JS}")]
    m.default_css = [*m.default_css, ("leaflet_draw_css", f"{base}/{LEAFLET_DRAW_CSS}")]
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    drawn = context_layers(m, layers, BASE_LAYERS, lang=lang, hidden="pipelines", tiles=tiles,
                           asset_base_url=asset_base_url)
    fit_to_layers(m, [focus] if focus is not None and len(focus) else drawn)
    add_layer_control(m)
    return m


SITE_LAND_SPEC = _spec("site_land", "候选用地", "Candidate land", "Polygon", (
    Field("parcel_id", "str", "地块编号", "Parcel id"),
    Field("rank", "int", "排名", "Rank"),
    Field("fit", "code", "匹配", "Fit", codes=(Code("meets", "满足全部需求", "Meets every need", "#1a9850"),
                                            Code("partial", "部分满足", "Falls short", "#fdae61"))),
    _AREA, Field("shortfalls", "str", "不足", "Shortfalls")), by="fit", fill=0.7, weight=2.0, color="#000000")
SITE_SPACE_SPEC = _spec("site_space", "候选厂房", "Candidate factory space", "Polygon", (
    Field("unit_id", "str", "单元编号", "Unit id"),
    Field("rank", "int", "排名", "Rank"),
    Field("fit", "code", "匹配", "Fit", codes=SITE_LAND_SPEC.field("fit").codes),
    Field("area_m2", "float", "面积", "Area", unit="m²"), Field("shortfalls", "str", "不足", "Shortfalls")),
    by="fit", fill=0.8, weight=2.0, color="#000000")


def sites_map(layers: Mapping[str, pd.DataFrame], *, land: pd.DataFrame | None, space: pd.DataFrame | None,
              lang: str = "zh", basemap: str = "none", asset_base_url: str = "/static",
              tianditu_key: str = "", tiles: TileSettings | None = None) -> ParkMap:
    """The site-search map: parcels and roads for context (from ``tiles`` above their threshold), the ranked
    results on top (the best-ranked ``tiles.threshold`` of them: the rest are in the cards and the JSON twin)."""
    m = ParkMap(asset_base_url=asset_base_url, lang=lang, zoom_start=14)
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    context = context_layers(m, layers, SITE_CONTEXT_LAYERS, lang=lang, hidden="zones", tiles=tiles,
                             asset_base_url=asset_base_url)
    shown = []
    shortfalls = "shortfalls_en" if lang == "en" else "shortfalls_zh"
    for frame, spec, columns in ((land, SITE_LAND_SPEC, ["parcel_id", "rank", "area_mu"]),
                                 (space, SITE_SPACE_SPEC, ["unit_id", "rank", "area_m2"])):
        if frame is None or not len(frame):
            continue
        has_geometry = ~shapely.is_missing(frame.geometry.to_numpy())
        chosen = frame[has_geometry]
        if tiles is not None and len(chosen) > tiles.threshold:
            chosen = chosen.nsmallest(tiles.threshold, "rank")
        data = chosen[columns].assign(fit=np.where(chosen["meets"], "meets", "partial"),
                                      shortfalls=chosen[shortfalls].to_numpy())
        result = _frame({c: data[c].to_numpy() for c in data.columns}, chosen.geometry.to_numpy(), frame.crs)
        if "area_mu" in result:
            result["area_mu"] = result["area_mu"].round(2)
        styled_layer(result, spec, lang=lang).add_to(m)
        shown.append(result)
    fit_to_layers(m, shown or context)
    add_layer_control(m)
    return m


def outline_svg(geometry, context: np.ndarray | None = None, *, size_px: int = 320, margin_m: float = 120.0) -> str:
    """An SVG drawing of ``geometry`` (working CRS) with ``context`` lines (roads) around it, north up.

    Only numbers go into the markup, so it is safe to embed as it is.
    """
    if geometry is None or shapely.is_empty(geometry):
        return ""
    minx, miny, maxx, maxy = shapely.bounds(geometry)
    minx, miny, maxx, maxy = minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m
    scale = size_px / max(maxx - minx, maxy - miny)
    window = shapely.box(minx, miny, maxx, maxy)

    def path(geom) -> str:
        xy_parts = []
        for part in shapely.get_parts(geom):
            polygon = shapely.get_type_id(part) == 3
            rings = shapely.get_rings(part) if polygon else [part]
            for ring in rings:
                xy = shapely.get_coordinates(ring)
                px = (xy[:, 0] - minx) * scale
                py = (maxy - xy[:, 1]) * scale
                points = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))
                xy_parts.append("M" + points + (" Z" if polygon else ""))
        return " ".join(xy_parts)

    width, height = (maxx - minx) * scale, (maxy - miny) * scale
    roads = ""
    if context is not None and len(context):
        clipped = shapely.intersection(context, window)
        clipped = clipped[~shapely.is_empty(clipped)]
        roads = "".join(f'<path d="{path(g)}" fill="none" stroke="#888" stroke-width="3"/>' for g in clipped)
    scale_m = 100.0
    bar = scale_m * scale
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.1f} {height:.1f}" class="outline">'
            f'<rect width="100%" height="100%" fill="#fafafa"/>{roads}'
            f'<path d="{path(geometry)}" fill="#fdae61" fill-opacity="0.6" stroke="#d7301f" stroke-width="2"/>'
            f'<line x1="10" y1="{height - 12:.1f}" x2="{10 + bar:.1f}" y2="{height - 12:.1f}" stroke="#000" '
            f'stroke-width="2"/><text x="10" y="{height - 16:.1f}" font-size="11">100 m</text>'
            f'<text x="{width - 18:.1f}" y="18" font-size="13">N↑</text></svg>')


__all__ = ["CONSTRAINT_CODES", "EXCLUDED_SPEC", "LEAFLET_DRAW_CSS", "LEAFLET_DRAW_JS", "NEEDS_SPEC", "NET_SPEC",
           "SITE_LAND_SPEC", "SITE_SPACE_SPEC", "SOFT_SPEC", "SUITABILITY_SPEC", "expansion_map", "layers_json",
           "SCENARIO_AREA_SPEC", "outline_svg", "plots_layer", "plots_spec", "result_frames", "result_layers", "roads_layer",
           "saved_frames", "sites_map", "styled_layers", "suitability_classes", "suitability_legend"]
