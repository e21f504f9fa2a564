"""``/expansion``: developable land, suitability, plots and infrastructure of an expansion area; scenarios.

The page shows the park with a drawing tool (Leaflet.draw, served locally); the
small bridge ``static/js/expansion.js`` posts a drawn or uploaded shape to
``POST /api/expansion`` and draws what comes back. ``GET /api/expansion?zone=``
runs the same plan on an expansion-area zone (the page's JSON twin). Scenarios
are saved by name (``POST /api/expansion/scenarios``), listed, reopened on the map as saved
(``/expansion?scenario=`` and its twin ``/api/expansion/scenarios/<name>``), compared two or more side by side
(``/expansion/compare?s=&s=`` and its twin) and exported as GeoPackage or XLSX.

Posted geometry is user input: it is parsed and checked here (GeoJSON, polygon
type, vertex and feature counts while the JSON is parsed, inside the park's CRS
area, size) and refused with a 400 that says what is wrong; the analyses
themselves live in ``geo``. A plan runs through :mod:`web.analysis_gate` (a few
at a time, within ``ANALYSIS_TIME_S``), and a grid predicted to need more than
``ANALYSIS_MEMORY_MB`` is refused before it is built.
"""

from __future__ import annotations

import json
import math
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup
from pyproj import CRS
from werkzeug.exceptions import NotFound

from geo.constraints import constraint_label
from geo.crs import WEB_EPSG, outside_area_of_use, to_working
from geo.maps import map_components
from geo.maps_expansion import (
    expansion_map,
    layers_json,
    result_layers,
    saved_frames,
    styled_layers,
    suitability_legend,
)
from geo.records import in_force
from geo.scenarios import COMPARED, DECIMALS, ScenarioOptions, compare_scenarios, figure_text, unit_text
from layers.expansion_rules import LAYOUTS, ExpansionRules
from layers.geojson import dumps, script_safe
from layers.infra_rules import InfraRules
from layers.json_guard import JsonLimitError
from layers.scenarios import ScenarioError, ScenarioStore, scenario_gpkg_bytes, scenario_xlsx_bytes
from web.analysis_gate import run_analysis
from web.api import park_info
from web.errors import BadRequest, not_a_number, not_one_of
from web.i18n import current_lang, tr
from web.judged import notices, notices_json
from web.limits import body_limit, json_body, json_limits, limit_message, too_large_message
from web.map_layers import tile_settings
from web.park import park, rules

bp = Blueprint("expansion", __name__)

LAYERS = ("zones", "parcels", "roads", "pipelines", "facilities")
#: Limits on posted shapes and the work they cause (a drawn area is user input); vertex and feature
#: counts are configured (``EXPANSION_MAX_VERTICES``, ``MAX_FEATURES``).
MAX_AREA_KM2 = 50.0
#: Peak memory of a plan and its JSON per suitability cell, measured on the demo park with
#: ``bench/hostile_web.py --cells``: 1 051 B (398 161 cells, +399 MB) and 1 066 B (250 000 cells, +254 MB); rounded up.
GRID_BYTES_PER_CELL = 1_100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"


# -- rules and park --------------------------------------------------------------------------------------


def _rules() -> tuple[ExpansionRules, InfraRules]:
    """The park's expansion and infrastructure rules in force (the park service's)."""
    found = rules()
    return found.expansion, found.infrastructure


def _layers() -> dict[str, pd.DataFrame]:
    return {name: park().layer(name) for name in LAYERS}


def _expansion_zones() -> gpd.GeoDataFrame:
    zones = park().layer("zones")
    return zones[(zones["kind"] == "expansion_area").to_numpy() & zones["retired_on"].isna().to_numpy()]


def _scenarios() -> ScenarioStore:
    try:
        return ScenarioStore(park().store)
    except ScenarioError as exc:
        raise BadRequest(tr(exc.zh, str(exc))) from None


# -- user input ------------------------------------------------------------------------------------------


def number_param(raw, name: str, low: float, high: float) -> float | None:
    """A number in [low, high] from user input (None when empty); :class:`BadRequest` naming it otherwise."""
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise not_a_number(name, raw, low, high) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise not_a_number(name, raw, low, high)
    return value


def parse_options(raw: dict, rules: ExpansionRules) -> ScenarioOptions:
    """Scenario options from query parameters or a JSON object; :class:`BadRequest` naming the bad one."""
    if not isinstance(raw, dict):
        raise BadRequest(f"options must be a JSON object, got {type(raw).__name__}")
    known = {"cell_m", "layout", "spacing_m", "width_m", "targets_mu", "industry"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise not_one_of("options", unknown[0], sorted(known))
    layout = raw.get("layout") or None
    if layout is not None and layout not in LAYOUTS:
        raise not_one_of("layout", layout, LAYOUTS)
    industry = raw.get("industry") or None
    if industry is not None and industry not in rules.demand.per_mu:
        raise not_one_of("industry", industry, rules.demand.per_mu)
    spacing = number_param(raw.get("spacing_m"), "spacing_m", 50, 5000)
    width = number_param(raw.get("width_m"), "width_m", 4, 200)
    if (width or rules.parcelling.road_width_m) >= (spacing or rules.parcelling.road_spacing_m):
        raise BadRequest("width_m must be less than spacing_m")
    targets = raw.get("targets_mu")
    if isinstance(targets, str):
        targets = [t for t in targets.replace("，", ",").split(",") if t.strip()]
    if targets in (None, "", []):
        targets = None
    else:
        if not isinstance(targets, list) or len(targets) > 6:
            raise BadRequest(f"targets_mu must be a list of up to 6 plot sizes in 亩, got {raw.get('targets_mu')!r}")
        values = sorted({number_param(t, "targets_mu", rules.parcelling.min_plot_mu + 1e-9, 5000) for t in targets})
        targets = tuple(values)
    return ScenarioOptions(cell_m=number_param(raw.get("cell_m"), "cell_m", 5, 500), layout=layout, spacing_m=spacing,
                           width_m=width, targets_mu=targets, industry=industry)


def _polygons_of(data) -> list:
    """The geometry objects of a GeoJSON value (Feature, FeatureCollection or geometry)."""
    if not isinstance(data, dict) or "type" not in data:
        raise BadRequest("geometry must be a GeoJSON object with a 'type'")
    kind = data["type"]
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise BadRequest("the FeatureCollection has no features")
        return [g for feature in features for g in _polygons_of(feature)]
    if kind == "Feature":
        return _polygons_of(data.get("geometry"))
    return [data]


def parse_area(data, *, working_crs: CRS, max_vertices: int) -> gpd.GeoSeries:
    """A drawn or uploaded area (GeoJSON in EPSG:4326) as polygons in the park's working CRS.

    Raises :class:`BadRequest` for anything else: bad GeoJSON, a type other than
    (Multi)Polygon, more than ``max_vertices`` vertices (counted already while the
    body was parsed; checked again for areas from elsewhere), coordinates outside the
    working CRS's area of use, an empty or larger than :data:`MAX_AREA_KM2` area.
    """
    geoms = []
    for item in _polygons_of(data):
        try:
            geom = shapely.from_geojson(json.dumps(item))
        except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
            raise BadRequest(f"geometry is not valid GeoJSON: {exc}") from None
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            got = "nothing" if geom is None else geom.geom_type
            raise BadRequest(f"geometry must be a Polygon or MultiPolygon, got {got}")
        geoms.append(geom)
    vertices = int(shapely.get_num_coordinates(np.array(geoms, dtype=object)).sum())
    if vertices > max_vertices:
        raise BadRequest(limit_message(JsonLimitError("vertices", max_vertices, vertices)))
    xy = shapely.get_coordinates(np.array(geoms, dtype=object))
    if not len(xy) or not np.isfinite(xy).all():
        raise BadRequest("the area has no usable coordinates")
    found = outside_area_of_use(xy, working_crs)
    if found is not None:
        index, (west, south, east, north) = found
        lon, lat = xy[index]
        raise BadRequest(f"the area lies outside the park's coordinate system (EPSG:{working_crs.to_epsg()}, "
                         f"longitude {west:g}–{east:g}, latitude {south:g}–{north:g}): point {lon:g}, {lat:g}; "
                         "coordinates must be longitude, latitude in WGS84")
    fixed = shapely.make_valid(np.array(geoms, dtype=object))
    area = to_working(gpd.GeoSeries(fixed, crs=WEB_EPSG), working_crs)
    area_m2 = float(area.area.sum())
    if area_m2 <= 0:
        raise BadRequest("the area is empty (no surface once its outline is made valid)")
    if area_m2 > MAX_AREA_KM2 * 1e6:
        raise BadRequest(f"the area is {area_m2 / 1e6:.1f} km²; at most {MAX_AREA_KM2:g} km² can be planned at once")
    return area


def _zone_area(zone_id: str | None) -> tuple[gpd.GeoSeries, str]:
    zones = _expansion_zones()
    if not len(zones):
        raise BadRequest(tr("园区没有拓展区范围；请绘制或上传一个范围",
                            "the park has no expansion area among its zones; draw or upload an area instead"))
    if zone_id:
        chosen = zones[(zones["zone_id"] == zone_id).to_numpy()]
        if not len(chosen):
            raise BadRequest(f"zone must be an expansion area of the park ({', '.join(zones['zone_id'])}), "
                             f"got {zone_id!r}")
    else:
        chosen = zones.iloc[:1]
    return chosen.geometry, str(chosen["zone_id"].iloc[0])


def grid_cells(area: gpd.GeoSeries, cell_m: float) -> int:
    """Cells of a ``cell_m`` grid over the bounds of ``area`` (what the suitability grid will hold)."""
    minx, miny, maxx, maxy = area.total_bounds
    return math.ceil((maxx - minx) / cell_m) * math.ceil((maxy - miny) / cell_m)


def _megabytes(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def predicted_mb(cells: int) -> float:
    """Peak memory a plan of ``cells`` grid cells is predicted to need (MB)."""
    return cells * GRID_BYTES_PER_CELL / (1024 * 1024)


def _check_cells(area: gpd.GeoSeries, options: ScenarioOptions, rules: ExpansionRules) -> int:
    """The grid's cell count; :class:`BadRequest` when its predicted memory is over ``ANALYSIS_MEMORY_MB``."""
    cell = options.cell_m or rules.suitability.cell_m
    cells = grid_cells(area, cell)
    budget = float(current_app.config["ANALYSIS_MEMORY_MB"])
    if predicted_mb(cells) > budget:
        most = int(budget * 1024 * 1024 // GRID_BYTES_PER_CELL)
        need = _megabytes(predicted_mb(cells))
        raise BadRequest(tr(f"{cell:g} 米网格覆盖该范围需 {cells:,} 个格，预计占用 {need} MB 内存，"
                            f"超过 {budget:g} MB 的上限（最多约 {most:,} 个格）；请加大网格尺寸或缩小范围",
                            f"a {cell:g} m grid over this area has {cells:,} cells, predicted to need {need} MB; "
                            f"the budget is {budget:g} MB (about {most:,} cells) — choose a larger cell_m or a "
                            "smaller area"))
    return cells


# -- running a plan (cached by the park service) -----------------------------------------------------------


def run_plan(area: gpd.GeoSeries, options: ScenarioOptions):
    """The park service's plan of ``area`` with ``options`` (cached per park version, rules, day, area, options).

    A plan not cached runs in a slot of the analysis gate, within the time budget; plans
    are kept within ``ANALYSIS_MEMORY_MB`` of predicted grid memory.
    """
    rules, _ = _rules()
    cells = _check_cells(area, options, rules)
    return park().plan(area, options, run=run_analysis, weight_mb=predicted_mb(cells),
                       budget_mb=float(current_app.config["ANALYSIS_MEMORY_MB"]))


#: The topics (``geo.judged``) a plan rests on besides the drawn area.
TOPICS = ("constraints", "capacity")


def result_json(plan, *, source: dict) -> str:
    """The plan's summary and map layers as JSON text (GeoJSON spliced in as text)."""
    lang = current_lang()
    body = {"park": park_info(), "source": source, "not_judged": notices_json(notices(*TOPICS)),
            **plan.summary(lang=lang)}
    return dumps(body)[:-1] + ',"layers":' + layers_json(result_layers(plan, lang=lang)) + "}"


def _json_body() -> dict:
    config = current_app.config
    data = json_body(json_limits(max_vertices=int(config["EXPANSION_MAX_VERTICES"]),
                                 max_features=int(config["MAX_FEATURES"])))
    if not isinstance(data, dict):
        example = '{"geometry": {…GeoJSON…}, "options": {}}'
        raise BadRequest(tr(f"请求体必须是 JSON 对象，例如 {example}",
                            f"the request body must be a JSON object, e.g. {example}"))
    return data


def _area_from(data: dict) -> tuple[gpd.GeoSeries, dict]:
    if data.get("geometry") is not None:
        crs = CRS.from_epsg(int(park().meta()["working_epsg"]))
        return parse_area(data["geometry"], working_crs=crs,
                          max_vertices=int(current_app.config["EXPANSION_MAX_VERTICES"])), {"kind": "drawn"}
    area, zone_id = _zone_area(data.get("zone"))
    return area, {"kind": "zone", "zone": zone_id}


# -- views ------------------------------------------------------------------------------------------------


def _labels() -> dict:
    """Texts the page's script shows (it builds the result panel as DOM text)."""
    lang = current_lang()
    names = [(key, tr(zh, en), unit_text(unit, lang), DECIMALS.get(unit, 2)) for key, zh, en, unit in COMPARED]
    return {
        "figures": names, "gross": tr("范围总面积", "Gross area of the area drawn"),
        # Why this differs from /land's row of the same area: there, the parcels whose 片区 field names it.
        "gross_note": tr("总面积是所选范围（多边形）本身的面积，含道路、水域和尚未划分地块的土地；土地利用页“片区土地利用指标”"
                         "按地块的片区/期次字段统计在册地块面积，两者口径不同。",
                         "The gross area is that of the area drawn or chosen (its polygon), roads, water and land not "
                         "yet parcelled included; the land-use page's ratios by area sum the parcels registered to an "
                         "area by their area field, so the two differ."),
        "net": tr("可开发净面积", "Net developable"),
        "excluded": tr("扣除（硬约束）", "Excluded (hard constraints)"), "own": tr("自身面积", "Own overlap"),
        "attributed": tr("计入扣除", "Counted once"), "mu": tr("亩", "mu"), "km2": "km²",
        "soft": tr("软约束：需办理的审批或评估", "Soft constraints: approvals or assessments needed"),
        "approval": tr("征地审批级别（土地管理法第46条）", "Expropriation approval (Land Administration Law Art. 46)"),
        "state_council": tr("国务院批准", "State Council"), "provincial": tr("省级人民政府批准", "Province"),
        "if_all_cultivated": tr("若全部为耕地", "if all of it were cultivated"),
        "histogram": tr("适宜性分布（分）", "Suitability (score)"), "cells": tr("格", "cells"),
        "plots": tr("规划地块", "Planned plots"), "leftovers": tr("零星剩余", "Leftovers"),
        "roads": tr("道路（按等级）", "Roads by grade"), "pipes": tr("管线（按类别）", "Mains by network"),
        "capacity": tr("容量校核", "Capacity checks"), "ok": tr("满足", "enough"), "short": tr("不足", "short"),
        "unknown": tr("未校核", "not checked"), "cost": tr("投资估算（万元）", "Cost (10k yuan)"),
        "notes": tr("说明", "Notes"), "error": tr("无法分析该范围", "This area cannot be analysed"),
        "working": tr("分析中…", "Analysing…"), "saved": tr("已保存方案", "Scenario saved"),
        "draw_first": tr("请先在地图上绘制或选择范围", "Draw or choose an area first"),
        "constraint_names": {}, "km": tr("公里", "km"),
        "too_large": too_large_message(_json_cap(), None),
    }


def _json_cap() -> int:
    """The most bytes a posted area may have (the body cap of ``POST /api/expansion``)."""
    return body_limit("expansion.api_post", current_app.config)


def _initial_plan(zones: gpd.GeoDataFrame, options: ScenarioOptions, scenario):
    """What the page shows first: the saved ``scenario`` as saved, else the chosen zone's plan, else nothing.

    Returns (result JSON text or None, zone id or None, the zones to start the map on).
    """
    if scenario is not None:
        return scenario_json(scenario), None, None
    if not len(zones):
        return None, None, None
    area, zone_id = _zone_area(request.args.get("zone") or None)
    initial = result_json(run_plan(area, options), source={"kind": "zone", "zone": zone_id})
    return initial, zone_id, zones[(zones["zone_id"] == zone_id).to_numpy()]


def _page_options(rules: ExpansionRules, scenario) -> ScenarioOptions:
    """The options the page's form shows: a reopened scenario's as saved, else the query's."""
    given = scenario.options if scenario is not None else request.args
    return parse_options({k: v for k, v in given.items() if k in ScenarioOptions.__dataclass_fields__}, rules)


@bp.get("/expansion")
def page():
    """The expansion page: the park, the drawing tool, the chosen zone's plan or a reopened scenario (``?scenario=``)."""
    rules, _ = _rules()
    scenario = _load(request.args["scenario"]) if request.args.get("scenario") else None
    options = _page_options(rules, scenario)
    lang = current_lang()
    zones = _expansion_zones()
    initial, zone_id, focus = _initial_plan(zones, options, scenario)
    config = current_app.config
    # The map shows today's park; the plan judges its own day (``as_of``) from all records.
    current = {name: in_force(frame) for name, frame in _layers().items()}
    the_map = expansion_map(current, lang=lang, basemap=config["BASEMAP"],
                            asset_base_url=url_for("static", filename=""), tianditu_key=config["TIANDITU_KEY"],
                            focus=focus, tiles=tile_settings())
    parts = map_components(the_map)
    page_config = {
        "api": url_for("expansion.api_post"), "scenarios": url_for("expansion.save_scenario"),
        "page": url_for("expansion.page"), "maxJsonBytes": _json_cap(),
        "lang": lang, "labels": _labels(), "options": options.as_dict(), "zone": zone_id,
        "constraints": {name: constraint_label(name, lang) for name in
                        ("basic_farmland", "eco_redline", "forest_i", "geohazard_danger", "water",
                         "outside_urban_boundary", "existing_parcels", "road_reserve")},
    }
    return render_template(
        "expansion/index.html",
        park=park_info(), rules=rules, options=options, zones=zones[["zone_id", "name"]].to_dict("records"),
        zone_id=zone_id, industries=rules.demand.per_mu, layouts=LAYOUTS, scenario=scenario,
        map_header=Markup(parts.header), map_html=Markup(parts.html), map_script=Markup(parts.script),
        page_config=Markup(script_safe(dumps(page_config))),
        initial=Markup(script_safe(initial)) if initial else Markup("null"),
        scenarios=_scenario_list(), listed=listed_headers(lang), not_judged=notices(*TOPICS),
        legend=[suitability_legend(lang)],
        json_url=_page_json_url(scenario, zone_id, options),
    )


def _page_json_url(scenario, zone_id: str | None, options: ScenarioOptions) -> str | None:
    """The page's JSON twin: the reopened scenario's, else the zone plan's."""
    if scenario is not None:
        return url_for("expansion.scenario_api", name=scenario.name)
    return url_for("expansion.api_get", zone=zone_id, **_query(options)) if zone_id else None


def _query(options: ScenarioOptions) -> dict:
    query = {k: v for k, v in options.as_dict().items() if v is not None}
    if "targets_mu" in query:
        query["targets_mu"] = ",".join(f"{t:g}" for t in query["targets_mu"])
    return query


#: The figures the page's scenario list shows, in its column order.
LISTED = ("net_mu", "plots", "road_km", "pipe_km", "cost_wan", "mean_suitability")


def _scenario_list() -> list[dict]:
    """Saved scenarios for the page's list: name, saved time, the listed figures as text, links."""
    try:
        store = ScenarioStore(park().store)
    except ScenarioError:
        return []
    units = {key: unit for key, _, _, unit in COMPARED}
    records = []
    for row in store.list().to_dict("records"):
        name = str(row["name"])
        records.append({"name": name, "saved_at": row["saved_at"],
                        "texts": [figure_text(row.get(key), units[key]) for key in LISTED],
                        "open": url_for("expansion.page", scenario=name),
                        "gpkg": url_for("expansion.export_scenario", name=name, fmt="gpkg"),
                        "xlsx": url_for("expansion.export_scenario", name=name, fmt="xlsx")})
    return records


def listed_headers(lang: str) -> list[str]:
    """The scenario list's figure headers with their units in ``lang`` (as :data:`LISTED`)."""
    headers = {}
    for key, zh, en, unit in COMPARED:
        label, shown = (en, unit_text(unit, lang)) if lang == "en" else (zh, unit)
        headers[key] = label if not shown else f"{label} ({shown})" if lang == "en" else f"{label}（{shown}）"
    return [headers[key] for key in LISTED]


def scenario_json(scenario) -> str:
    """A saved scenario as saved: its summary, area (GeoJSON, EPSG:4326) and layers (area, plots, new roads)."""
    lang = current_lang()
    area = scenario.area.to_crs(WEB_EPSG)
    geometry = json.loads(shapely.to_geojson(area.union_all()))
    source = {"kind": "scenario", "name": scenario.name, "saved_at": scenario.saved_at,
              "saved_from": scenario.options.get("source")}
    targets = scenario.options.get("targets_mu") or rules().expansion.parcelling.targets_mu
    frames = saved_frames(scenario.name, scenario.area, scenario.plots, scenario.roads, targets_mu=targets)
    body = {"park": park_info(), "source": source, "not_judged": notices_json(notices(*TOPICS)), **scenario.summary,
            "scenario": {"name": scenario.name, "saved_at": scenario.saved_at, "geometry": geometry}}
    return dumps(body)[:-1] + ',"layers":' + layers_json(styled_layers(frames, lang=lang)) + "}"


@bp.get("/api/expansion")
def api_get():
    """The plan of an expansion-area zone as JSON (``?zone=`` and the options as query parameters)."""
    rules, _ = _rules()
    options = parse_options({k: v for k, v in request.args.items() if k in ScenarioOptions.__dataclass_fields__},
                            rules)
    area, zone_id = _zone_area(request.args.get("zone") or None)
    return Response(result_json(run_plan(area, options), source={"kind": "zone", "zone": zone_id}),
                    mimetype="application/json")


@bp.post("/api/expansion")
def api_post():
    """The plan of a posted area: ``{"geometry": GeoJSON in EPSG:4326 | "zone": id, "options": {…}}``."""
    rules, _ = _rules()
    data = _json_body()
    options = parse_options(data.get("options") or {}, rules)
    area, source = _area_from(data)
    return Response(result_json(run_plan(area, options), source=source), mimetype="application/json")


@bp.get("/api/expansion/scenarios")
def list_scenarios():
    """Saved scenarios with their figures."""
    table = _scenarios().list()
    return Response(dumps({"scenarios": json.loads(table.to_json(orient="records", force_ascii=False))}),
                    mimetype="application/json")


@bp.get("/api/expansion/scenarios/<path:name>")
def scenario_api(name: str):
    """One saved scenario as saved (summary, area as GeoJSON in EPSG:4326, its layers): what reopening draws."""
    return Response(scenario_json(_load(name)), mimetype="application/json")


@bp.post("/api/expansion/scenarios")
def save_scenario():
    """Run and save a scenario: ``{"name": …, "geometry" | "zone", "options"}``; 201 with its figures."""
    rules, _ = _rules()
    data = _json_body()
    store = _scenarios()
    options = parse_options(data.get("options") or {}, rules)
    area, source = _area_from(data)
    plan = run_plan(area, options)
    try:
        store.save(data.get("name"), area=area, options={**options.as_dict(), "source": source},
                   figures=plan.figures(), summary=plan.summary(lang=current_lang()),
                   plots=plan.parcelling.plots, roads=plan.parcelling.roads)
    except ScenarioError as exc:
        raise BadRequest(tr(exc.zh, str(exc))) from None
    name = str(data.get("name")).strip()
    return Response(dumps({"name": name, "figures": plan.figures(),
                           "links": {"open": url_for("expansion.page", scenario=name),
                                     "gpkg": url_for("expansion.export_scenario", name=name, fmt="gpkg"),
                                     "xlsx": url_for("expansion.export_scenario", name=name, fmt="xlsx")}}),
                    status=201, mimetype="application/json")


def _load(name: str):
    try:
        return _scenarios().load(name)
    except ScenarioError as exc:
        raise NotFound(tr(exc.zh, str(exc))) from None


def compared_names(args) -> list[str]:
    """The scenarios to compare, in order: ``?s=`` repeated (two or more), or the two of ``?a=&b=``."""
    if "s" not in args and ("a" in args or "b" in args):
        for key in ("a", "b"):
            if not args.get(key, "").strip():
                raise BadRequest(tr(f"比较需要两个方案名：?a=…&b=…，{key} 为空",
                                    f"compare needs two scenario names: ?a=…&b=…; {key} is empty"),
                                 field=key, value=args.get(key, ""))
        return [args["a"].strip(), args["b"].strip()]
    names = [name.strip() for name in args.getlist("s") if name.strip()]
    if len(names) < 2:
        raise BadRequest(tr(f"比较需要至少两个方案，收到 {len(names)} 个：请在拓展区规划页的方案列表中勾选两个或以上方案，再点“对比所选方案”",
                            f"a comparison needs at least two scenarios, got {len(names)}: tick two or more in the "
                            "scenario list of the expansion page, then “Compare the chosen scenarios”"),
                         field="s", value=names)
    return names


def comparison(args) -> tuple[list[dict], list]:
    """The compared scenarios' figures (``geo.scenarios.compare_scenarios``) and the scenarios themselves."""
    scenarios = [_load(name) for name in compared_names(args)]
    rows = compare_scenarios([s.figures for s in scenarios], lang=current_lang())
    return rows, scenarios


def settings_rows(scenarios: list, rules: ExpansionRules) -> list[dict]:
    """What each scenario was planned with (area, road layout, spacing, width, plot sizes, industry) and
    its approval level, as text; an option left empty shows the park's rule it used."""
    rows = []
    for key, zh, en, text in _SETTINGS:
        rows.append({"setting": key, "label": tr(zh, en), "texts": [text(s, rules) for s in scenarios]})
    return rows


def _source_text(scenario, rules) -> str:
    source = scenario.options.get("source") or {}
    return source.get("zone") or tr("绘制或上传的范围", "drawn or uploaded area")


def _option(scenario, key, default):
    value = scenario.options.get(key)
    return default if value in (None, [], "") else value


def _layout_text(scenario, rules) -> str:
    layout = _option(scenario, "layout", rules.parcelling.layout)
    return tr("生成方格路网", "generated grid") if layout == "grid" else tr("仅沿规划道路", "planned roads only")


def _industry_text(scenario, rules) -> str:
    key = _option(scenario, "industry", rules.demand.default_industry)
    found = rules.demand.per_mu.get(key)
    return tr(found.label_zh, found.label_en) if found else str(key)


def _approval_text(scenario, rules) -> str:
    level = (scenario.summary.get("constraints") or {}).get("approval", {}).get("level")
    return {"state_council": tr("国务院批准", "State Council"),
            "provincial": tr("省级人民政府批准", "Province")}.get(level, "—")


_SETTINGS = (
    ("saved_at", "保存时间", "Saved", lambda s, r: s.saved_at.replace("T", " ")),
    ("area", "范围", "Area", _source_text),
    ("layout", "路网", "Road layout", _layout_text),
    ("spacing_m", "路网间距（米）", "Road spacing (m)",
     lambda s, r: f"{_option(s, 'spacing_m', r.parcelling.road_spacing_m):,.0f}"),
    ("width_m", "道路红线（米）", "Road width (m)",
     lambda s, r: f"{_option(s, 'width_m', r.parcelling.road_width_m):,.0f}"),
    ("targets_mu", "地块规模（亩）", "Plot sizes (mu)",
     lambda s, r: tr("、", ", ").join(f"{t:,.1f}" for t in _option(s, "targets_mu", r.parcelling.targets_mu))),
    ("industry", "产业", "Industry", _industry_text),
    ("approval", "征地审批级别", "Expropriation approval", _approval_text),
)


@bp.get("/expansion/compare")
def compare_page():
    """Two or more saved scenarios side by side (``?s=…&s=…``), differences against the first."""
    rows, scenarios = comparison(request.args)
    names = [s.name for s in scenarios]
    return render_template("expansion/compare.html", park=park_info(), rows=rows, scenarios=scenarios,
                           settings=settings_rows(scenarios, _rules()[0]),
                           json_url=url_for("expansion.compare_api", s=names))


@bp.get("/api/expansion/compare")
def compare_api():
    """The compared scenarios' figures and settings as JSON."""
    rows, scenarios = comparison(request.args)
    return Response(dumps({"scenarios": [s.name for s in scenarios], "figures": rows,
                           "settings": settings_rows(scenarios, _rules()[0])}), mimetype="application/json")


@bp.get("/expansion/scenarios/<path:name>.<any(gpkg, xlsx):fmt>")
def export_scenario(name: str, fmt: str):
    """A saved scenario as GeoPackage (area, plots, roads) or XLSX (figures, constraints, needs, plots, roads)."""
    scenario = _load(name)
    filename = quote(f"expansion-{scenario.name}.{fmt}")
    disposition = f"attachment; filename*=UTF-8''{filename}"
    if fmt == "gpkg":
        return Response(scenario_gpkg_bytes(scenario), mimetype=GPKG, headers={"Content-Disposition": disposition})
    summary = scenario.summary
    lang = current_lang()
    sheets = {
        tr("指标", "Figures"): pd.DataFrame([{"label": row["label"], "unit": row["unit"], scenario.name: row["values"][0]}
                                            for row in compare_scenarios([scenario.figures], lang=lang)]),
        tr("硬约束", "Hard constraints"): pd.DataFrame([{
            "constraint": row["label"], "excluded_mu": row["excluded"]["mu"], "attributed_mu": row["attributed"]["mu"]}
            for row in summary["constraints"]["excluded"]]),
        tr("软约束", "Soft constraints"): pd.DataFrame([{"kind": row["label"], "mu": row["area"]["mu"],
                                                         "approval": row["approval"]}
                                                        for row in summary["constraints"]["soft"]]),
        tr("道路", "Roads"): pd.DataFrame(summary["infrastructure"]["roads_by_grade"]),
        tr("管线", "Mains"): pd.DataFrame(summary["infrastructure"]["pipes"]),
        tr("容量", "Capacity"): pd.DataFrame(summary["infrastructure"]["capacity"]),
    }
    return Response(scenario_xlsx_bytes(scenario, sheets=sheets), mimetype=XLSX,
                    headers={"Content-Disposition": disposition})


__all__ = ["GRID_BYTES_PER_CELL", "MAX_AREA_KM2", "bp", "grid_cells", "parse_area", "parse_options", "predicted_mb",
           "run_plan"]
