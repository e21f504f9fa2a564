"""Land pages: /land (utilisation), /idle (idle and inefficient land), /vacancy, /cases (the 盘活 ledger).

Each page has a JSON twin (``/api/<page>`` or ``?format=json``) and an XLSX export
(``?format=xlsx``), rendered from one result: the park service's land analysis of THE
day (``service.park.ParkService.land``, cached per park version, day and rules version),
the very one the overview's KPIs, the tiles and ``analyse`` show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from geo.analysis import LandAnalysis
from geo.columns import labelled_sheet
from geo.inefficiency import CATEGORIES
from geo.maps import map_components
from geo.maps_land import (
    ANALYSIS_TILE_LAYER,
    COMPLIANCE_PALETTE,
    IDLE_PALETTE,
    INEFFICIENCY_PALETTE,
    AnalysisTiles,
    compliance_class,
    idle_map,
    land_map,
    palette_legend,
    vacancy_legend,
    vacancy_map,
)
from geo.records import in_force
from geo.revitalisation import CaseError, candidates, case_history, close_case, create_case, update_case, year_figures
from geo.units import M2_PER_MU
from layers.geojson import json_ready
from layers.registry import get_layer
from layers.rules import LandRules
from layers.workbook_style import plain_sheets
from web.api import int_param, page_params, park_info
from web.audit import commit_change
from web.background import land_analysis
from web.errors import BadRequest, not_a_number, not_one_of, nothing_called
from web.i18n import current_lang, tr
from web.judged import notices, notices_json, notices_sheet
from web.map_layers import tile_settings
from web.park import park, request_day
from web.tables import ordered_rows, ranked, sort_rows, table_query, table_view
from web.workbooks import cover, workbook_response

bp = Blueprint("land", __name__)

FORMATS = ("html", "json", "xlsx")
#: Default orders, the most relevant rows first: idle land by how far along the clock it is (reclaim before fee
#: before stalled before overdue), then the rest; parcels below the control indicators before the others;
#: open cases before closed ones.
IDLE_FIRST = ("idle_reclaim", "idle_fee", "stalled_idle", "overdue", "on_track", "exempt", "not_supplied",
              "started", "completed")
COMPLIANCE_FIRST = ("below", "not_judged", "compliant", "not_built")
OPEN_CASES = ("identified", "planned", "in_progress")
#: Columns the text filter ``?q=`` searches: ids and names.
TEXT_COLUMNS = ("parcel_id", "name", "unit_id", "building_id", "case_id", "tenant_id")

#: The topics (``geo.judged``) each page's figures rest on: what it says it could not judge.
PAGE_TOPICS = {"land": ("utilisation", "muju"), "idle": ("idle_land", "inefficient_land"),
               "vacancy": ("vacancy",), "cases": ("idle_land", "inefficient_land", "vacancy")}

# -- shared helpers --------------------------------------------------------------------------------------


def land_rules() -> LandRules:
    """The park's land rules in force (the park service's)."""
    return park().rules().land


def as_of_param() -> dt.date:
    """``?as_of=YYYY-MM-DD``; default the park's reference date, else today."""
    return request_day()


def format_param() -> str:
    fmt = request.args.get("format", "html").strip().lower() or "html"
    if fmt not in FORMATS:
        raise not_one_of("format", fmt, FORMATS)
    return fmt


def analysis_for(as_of: dt.date) -> LandAnalysis:
    """The park service's land analysis on ``as_of`` (cached per park version, day and rules version).

    One not cached runs in a slot of the analysis gate (untimed: its cost is the
    park's size); requests for the same one wait for it rather than each running it. A large
    park's runs in the background while the page says so (``web.background``).
    """
    return land_analysis(as_of)


def records(frame: pd.DataFrame, columns=None) -> list[dict]:
    """JSON-ready records (dates ISO, NaN → null) with the index as a column when it is named."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    return json_ready(frame, columns).to_dict("records")


def page_slice(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    limit, offset = page_params(request.args)
    return frame.iloc[offset:offset + limit], {"numberMatched": len(frame), "limit": limit, "offset": offset}


#: The sheets of each page's workbook: frame key → (sheet 中文, English, the layers whose fields name its columns).
WORKBOOK_SHEETS = {
    "parcels": ("地块", "Parcels", ("parcels",)), "area_ratios": ("片区指标", "Area ratios", ()),
    "idle": ("闲置土地", "Idle land", ("parcels",)), "inefficient": ("低效用地", "Inefficient land", ("parcels",)),
    "park": ("园区", "Park", ()), "phases": ("期次", "Phases", ()), "buildings": ("厂房", "Buildings", ("buildings",)),
    "units": ("单元", "Units", ("units", "leases")), "trend": ("空置率走势", "Trend", ()),
    "overlapping_leases": ("租约重叠", "Overlapping leases", ("leases",)), "cases": ("盘活台账", "Cases", ("cases",)),
    "history": ("台账记录", "History", ("case_events",)), "candidates": ("盘活候选", "Candidates", ("cases", "parcels")),
    "year": ("年度", "Year", ()),
}
#: What each page's workbook is (its first sheet's 内容).
WORKBOOK_TITLES = {"land": ("土地利用与达标分析", "Land use and compliance"),
                   "idle": ("闲置土地与低效用地", "Idle and inefficient land"),
                   "vacancy": ("标准厂房空置", "Factory vacancy"), "cases": ("盘活台账", "Revitalisation ledger")}


def xlsx_response(page: str, frames: Mapping[str, pd.DataFrame], missing, as_of: dt.date) -> Response:
    """The page's workbook in the request's language: a first sheet, the tables labelled, what is not judged."""
    lang = current_lang()
    sheets = [labelled_sheet(tr(*WORKBOOK_SHEETS[key][:2]), frame, lang=lang, layers=WORKBOOK_SHEETS[key][2])
              for key, frame in frames.items()]
    about = cover(tr(*WORKBOOK_TITLES[page]), as_of=as_of)
    return workbook_response([*sheets, *plain_sheets(notices_sheet(missing))], about,
                             f"{page}-{as_of.isoformat()}.xlsx")


def map_parts(m) -> dict:
    """The map's header, element and script for the page; folium output, its data made script-safe by geo.maps."""
    parts = map_components(m)
    return {"map_header": Markup(parts.header), "map_html": Markup(parts.html), "map_script": Markup(parts.script)}


def map_options() -> dict:
    return {"lang": current_lang(), "basemap": current_app.config.get("BASEMAP", "none"),
            "asset_base_url": url_for("static", filename="").rstrip("/"),
            "tianditu_key": current_app.config.get("TIANDITU_KEY", "")}


def analysis_tiles(as_of: dt.date) -> AnalysisTiles:
    """Where a land page's parcels of ``as_of`` come from as vector tiles above the tile threshold (so its HTML
    does not grow with the park: ``/idle`` of 10⁵ parcels inline was 73 MB)."""
    settings = tile_settings()
    url = url_for("tiles.tile", layers=ANALYSIS_TILE_LAYER, z=0, x=0, y=0).removesuffix("/0/0/0.pbf")
    return AnalysisTiles(url=f"{url}/{{z}}/{{x}}/{{y}}.pbf?as_of={as_of.isoformat()}",
                         item_url=settings.item_url_template.format(layer="parcels"), threshold=settings.threshold,
                         min_zoom=settings.min_zoom)


def status_label(value) -> str:
    """An idle status (or the next threshold) in the current language."""
    if value == "reclaim":
        return tr("无偿收回", "Reclaim")
    entry = IDLE_PALETTE.get(value)
    return "—" if entry is None else (entry[2] if current_lang() == "en" else entry[1])


def code_labels(layer: str, field: str) -> dict[str, str]:
    lang = current_lang()
    return {code.value: (code.label_en if lang == "en" else code.label_zh)
            for code in get_layer(layer).field(field).codes}


@bp.context_processor
def page_helpers() -> dict:
    """``export_url(fmt)``: this page in another format; ``keep_args``: query values the date form keeps."""
    def export_url(fmt: str) -> str:
        args = request.args.to_dict(flat=False)
        args["format"] = [fmt]
        args.pop("lang", None)
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    keep = [(name, value) for name, values in request.args.to_dict(flat=False).items()
            if name not in ("as_of", "format", "lang", "offset") for value in values]
    return {"export_url": export_url, "keep_args": keep}


@bp.app_template_filter("flag")
def flag_filter(value) -> str:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return tr("达标", "ok") if bool(value) else tr("不达标", "fails")


# -- /land ------------------------------------------------------------------------------------------------

LAND_COLUMNS = ["parcel_id", "name", "area_name", "status", "land_use", "area_mu", "footprint_m2", "gfa_m2",
                "far", "far_required", "far_max", "far_ok", "building_coef", "building_coef_required",
                "building_coef_ok", "green_ratio", "admin_share", "investment_intensity_wan_per_mu",
                "far_headroom_m2", "inefficiency", "tax_per_mu_wan", "mu_grade", "utilisation_note"]


@bp.get("/land")
def land_page():
    """Utilisation and compliance: map, area ratios, parcel table."""
    fmt = format_param()
    as_of = as_of_param()
    result = analysis_for(as_of)
    parcels = result.parcels
    ratios = result.ratios
    classes = compliance_class(parcels)
    counts = classes.value_counts().to_dict()
    missing = notices(*PAGE_TOPICS["land"])
    if fmt == "json":
        return land_json(result)
    if fmt == "xlsx":
        return xlsx_response("land", {"parcels": with_land_use_std(parcels[land_columns(result)]),
                                      "area_ratios": ratios}, missing, as_of)
    rows, table = land_table(parcels[LAND_COLUMNS].assign(compliance=classes))
    return render_template(
        "land/land.html", as_of=as_of, park=park_info(), **ratio_table(ratios), counts=counts, rows=records(rows), table=table, legend=palette_legend(COMPLIANCE_PALETTE, lang=current_lang()),
        compliance_labels={k: (v[2] if current_lang() == "en" else v[1]) for k, v in COMPLIANCE_PALETTE.items()},
        status_labels=code_labels("parcels", "status"), not_judged=missing, rules=land_rules(), **map_parts(land_map(parcels, tiles=analysis_tiles(as_of), **map_options())))


#: The prefix of the area-ratio table's query parameters on /land.
RATIO_PREFIX = "ratio_"


def ratio_table(ratios: pd.DataFrame) -> dict:
    """/land's ratios by area as a sortable, paged table (``ratio_`` parameters); the park's row (the last)
    stays out of the sort, below the areas, and gives the page's KPIs."""
    key = ratios.index.name or "area_name"
    areas = ratios.iloc[:-1].reset_index(names=key)
    rows, table = table_view(areas, request.args, columns=list(areas.columns), id_column=key, text_columns=(key,),
                             prefix=RATIO_PREFIX)
    park_row = records(ratios.iloc[-1:].reset_index(names=key))
    return {"ratios": records(rows), "park_ratios": park_row[0] if park_row else {}, "ratio_key": key,
            "ratio_table": table}


def land_order(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels (with their ``compliance`` class) below the control indicators first, then not judged, compliant, not built; largest first."""
    return ranked(parcels, "compliance", COMPLIANCE_FIRST, [("area_mu", True)], "parcel_id")


def land_table(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    return table_view(table, request.args, columns=list(table.columns), id_column="parcel_id",
                      text_columns=TEXT_COLUMNS, default_order=land_order, names=land_names())


def land_names() -> dict[str, dict]:
    """The names /land shows for its coded columns (they sort by these): parcel status, compliance class."""
    lang = current_lang()
    return {"status": code_labels("parcels", "status"),
            "compliance": {k: (v[2] if lang == "en" else v[1]) for k, v in COMPLIANCE_PALETTE.items()}}


def twin_rows(frame: pd.DataFrame, id_column: str, default_order) -> pd.DataFrame:
    """The JSON twin's rows: the page's ``sort``/``order``/``q`` (paged by limit/offset, not page/per_page)."""
    query = table_query(request.args, list(frame.columns))
    return ordered_rows(frame, query, id_column=id_column, text_columns=TEXT_COLUMNS, default_order=default_order)


def land_columns(result: LandAnalysis) -> list[str]:
    """The columns of the land twin and workbook: the page's, then the readiness ones ``analyse`` writes too."""
    return LAND_COLUMNS + [c for c in result.parcels.columns if c.startswith("served_") or c == "readiness_label"]


def with_land_use_std(parcels: pd.DataFrame) -> pd.DataFrame:
    """``parcels`` with each one's land-use classification (``land_use_std``), so that its code is named in the
    right system (1001 is 工业用地 in 用地用海 2023 but 铁路用地 in GB/T 21010)."""
    layer = park().layer("parcels")
    if "land_use_std" not in layer.columns or "parcel_id" not in parcels.columns:
        return parcels
    standards = layer.drop_duplicates("parcel_id", keep="last").set_index("parcel_id")["land_use_std"]
    return parcels.assign(land_use_std=parcels["parcel_id"].map(standards))


def land_json(result: LandAnalysis):
    parcels = result.parcels[land_columns(result)].assign(compliance=compliance_class(result.parcels))
    rows, paging = page_slice(twin_rows(parcels, "parcel_id", land_order))
    return jsonify({"park": park_info(), "as_of": result.as_of.date().isoformat(), **paging,
                    "not_judged": notices_json(notices(*PAGE_TOPICS["land"])),
                    "area_ratios": records(result.ratios), "parcels": records(rows)})


@bp.get("/api/land")
def land_api():
    return land_json(analysis_for(as_of_param()))


# -- /idle ------------------------------------------------------------------------------------------------

IDLE_COLUMNS = ["parcel_id", "name", "area_name", "status", "tenure", "area_mu", "idle_status", "idle_clause",
                "idle_since", "idle_days", "next_threshold", "next_threshold_date", "days_to_next_threshold",
                "idle_fee_wan", "exempt_code", "developed_share", "developed_source", "invested_share",
                "idle_not_judged", "idle_note", "inefficiency", "inefficiency_reason"]


def idle_filters(parcels: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Filter by ``status`` (repeatable), ``area`` (片区) and ``min_mu``/``max_mu``; bad values are 400."""
    statuses = [s for s in request.args.getlist("status") if s]
    unknown = [s for s in statuses if s not in IDLE_PALETTE and s != "not_judged"]
    if unknown:
        raise not_one_of("status", unknown[0], [*IDLE_PALETTE, "not_judged"])
    area = request.args.get("area", "").strip()
    bounds = {}
    for name in ("min_mu", "max_mu"):
        raw = request.args.get(name, "").strip()
        if raw:
            try:
                bounds[name] = float(raw)
            except ValueError:
                raise not_a_number(name, raw, 0) from None
            if not np.isfinite(bounds[name]) or bounds[name] < 0:
                raise not_a_number(name, raw, 0)
    keep = np.ones(len(parcels), dtype=bool)
    if statuses:
        status = parcels["idle_status"]
        picked = status.isin([s for s in statuses if s != "not_judged"]).fillna(False).to_numpy(dtype=bool)
        if "not_judged" in statuses:
            picked = picked | status.isna().to_numpy()
        keep &= picked
    if area:
        keep &= (parcels["area_name"] == area).fillna(False).to_numpy(dtype=bool)
    if "min_mu" in bounds:
        keep &= parcels["area_mu"].to_numpy() >= bounds["min_mu"]
    if "max_mu" in bounds:
        keep &= parcels["area_mu"].to_numpy() <= bounds["max_mu"]
    return parcels[keep], {"status": statuses, "area": area, **bounds}


def idle_summary(parcels: pd.DataFrame) -> dict:
    status = parcels["idle_status"]
    mu = parcels["area_mu"]
    by_status = {key: {"parcels": int((status == key).sum()), "area_mu": float(mu[(status == key).fillna(
        False).to_numpy(dtype=bool)].sum())} for key in IDLE_PALETTE}
    not_judged = parcels["idle_not_judged"].dropna().value_counts().to_dict()
    ineff = {c: {"parcels": int(parcels[c].sum()), "area_mu": float(mu[parcels[c].to_numpy(dtype=bool)].sum())}
             for c in CATEGORIES}
    fees = parcels["idle_fee_wan"]
    return {"by_status": by_status, "not_judged": int(status.isna().sum()),
            "not_judged_reasons": {str(k): int(v) for k, v in not_judged.items()},
            "fee_total_wan": float(np.nansum(fees.to_numpy())),
            "fee_not_computed": int(parcels["idle_note"].str.contains("fee not computed", na=False).sum()),
            "inefficiency": ineff,
            "inefficiency_not_judged": int(parcels["inefficiency_not_judged"].notna().sum())}


@bp.get("/idle")
def idle_page():
    """Idle and inefficient land as of a day, filterable by status, area and size."""
    fmt = format_param()
    as_of = as_of_param()
    result = analysis_for(as_of)
    chosen, filters = idle_filters(result.parcels)
    missing = notices(*PAGE_TOPICS["idle"])
    if fmt == "json":
        return idle_json(result, chosen, filters)
    if fmt == "xlsx":
        inefficient = chosen[chosen["inefficiency"].notna().to_numpy()]
        return xlsx_response("idle", {"idle": chosen[IDLE_COLUMNS], "inefficient": inefficient[IDLE_COLUMNS]},
                             missing, as_of)
    areas = sorted(result.parcels["area_name"].dropna().unique().tolist())
    rows, table = table_view(chosen[IDLE_COLUMNS], request.args, columns=IDLE_COLUMNS, id_column="parcel_id",
                             text_columns=TEXT_COLUMNS, default_order=idle_order, names=idle_names())
    return render_template(
        "land/idle.html", as_of=as_of, park=park_info(), filters=filters, areas=areas,
        summary=idle_summary(chosen), park_summary=idle_summary(result.parcels), filtered=is_filtered(filters),
        chosen_parcels=len(chosen), park_parcels=len(result.parcels),
        statuses=[(key, status_label(key), entry[0]) for key, entry in IDLE_PALETTE.items()],
        rows=records(rows), table=table,
        **inefficient_table(chosen), categories=INEFFICIENCY_PALETTE, status_label=status_label,
        status_labels=code_labels("parcels", "status"), not_judged=missing,
        legend=palette_legend(IDLE_PALETTE, lang=current_lang()),
        ineff_legend=palette_legend(INEFFICIENCY_PALETTE, lang=current_lang()),
        **map_parts(idle_map(chosen, others=left_out(result.parcels, chosen), tiles=analysis_tiles(as_of),
                             park=result.parcels, **map_options())))


def idle_names() -> dict[str, dict]:
    """The names /idle shows for its coded columns (they sort by these): idle status, parcel status."""
    return {"idle_status": {key: status_label(key) for key in IDLE_PALETTE},
            "status": code_labels("parcels", "status")}


#: /idle's inefficient-land table: its columns and the prefix of its query parameters.
INEFFICIENT_COLUMNS = ["parcel_id", "name", "area_name", "area_mu", "inefficiency", "inefficiency_reason"]
INEFFICIENT_PREFIX = "ineff_"


def inefficiency_names(values: pd.Series) -> dict[str, str]:
    """Each comma-joined set of inefficiency kinds (``underused,below_target``) as the page reads it."""
    lang = current_lang()
    named = {key: entry[2] if lang == "en" else entry[1] for key, entry in INEFFICIENCY_PALETTE.items()}
    return {value: tr("、", ", ").join(named.get(kind, kind) for kind in value.split(","))
            for value in values.dropna().unique()}


def largest_first(frame: pd.DataFrame, id_column: str = "parcel_id") -> pd.DataFrame:
    """The largest parcels first (ties by id): the default order of tables without a status to rank by."""
    return sort_rows(frame, "area_mu", descending=True, id_column=id_column)


def inefficient_table(chosen: pd.DataFrame) -> dict:
    """/idle's inefficient land (of the filtered parcels) as its own paged table (``ineff_`` parameters)."""
    inefficient = chosen.loc[chosen["inefficiency"].notna().to_numpy(), INEFFICIENT_COLUMNS]
    rows, table = table_view(inefficient, request.args, columns=INEFFICIENT_COLUMNS, id_column="parcel_id",
                             text_columns=TEXT_COLUMNS, default_order=largest_first, prefix=INEFFICIENT_PREFIX,
                             names={"inefficiency": inefficiency_names(inefficient["inefficiency"])})
    return {"inefficient_rows": records(rows), "inefficient_table": table}


def idle_order(parcels: pd.DataFrame) -> pd.DataFrame:
    """Idle land first (reclaim, fee, stalled, overdue …, started and completed last), most days first."""
    return ranked(parcels, "idle_status", IDLE_FIRST, [("idle_days", True)], "parcel_id")


def left_out(parcels: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame | None:
    """The parcels a filter left out (None when it left none out): the map draws them grey as context."""
    if len(chosen) == len(parcels):
        return None
    return parcels[~parcels.index.isin(chosen.index)][["parcel_id", "name", "geometry"]]


def is_filtered(filters: dict) -> bool:
    """Whether the request narrows the parcels (then the page's figures are of the filtered rows)."""
    return any(value not in (None, "", []) for value in filters.values())


def idle_json(result: LandAnalysis, chosen: pd.DataFrame, filters: dict):
    rows, paging = page_slice(twin_rows(chosen[IDLE_COLUMNS], "parcel_id", idle_order))
    return jsonify({"park": park_info(), "as_of": result.as_of.date().isoformat(), "filters": filters,
                    "not_judged": notices_json(notices(*PAGE_TOPICS["idle"])),
                    "summary": idle_summary(chosen), "filtered": is_filtered(filters),
                    "park_summary": idle_summary(result.parcels), **paging, "parcels": records(rows)})


@bp.get("/api/idle")
def idle_api():
    result = analysis_for(as_of_param())
    chosen, filters = idle_filters(result.parcels)
    return idle_json(result, chosen, filters)


# -- /vacancy ---------------------------------------------------------------------------------------------

UNIT_COLUMNS = ["unit_id", "building_id", "leasable", "leasable_m2", "leased", "leased_m2", "vacant_m2",
                "tenant_id", "lease_id", "lease_end", "vacant_since", "days_vacant", "overlapping_now",
                "vacancy_note"]
BUILDING_COLUMNS = ["name", "phase", "parcel_id", "units", "leasable_units", "vacant_units", "leasable_m2",
                    "leased_m2", "vacant_m2", "vacancy_rate", "days_vacant_max"]


def trend_chart(trend: pd.DataFrame, *, width: int = 720, height: int = 220) -> dict:
    """Points of the vacancy-rate line for an inline SVG (pixel coordinates, labels)."""
    pad_left, pad_right, pad_top, pad_bottom = 44, 12, 12, 28
    rates = trend["vacancy_rate"].to_numpy(dtype=float)
    n = len(rates)
    top = max(0.1, float(np.nanmax(rates)) if n and np.isfinite(rates).any() else 0.1)
    top = float(np.ceil(top * 10) / 10)
    xs = pad_left + (np.arange(n) / max(n - 1, 1)) * (width - pad_left - pad_right)
    ys = pad_top + (1 - np.nan_to_num(rates) / top) * (height - pad_top - pad_bottom)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    ticks = [{"y": pad_top + (1 - f) * (height - pad_top - pad_bottom), "label": f"{f * top * 100:.0f}%"}
             for f in (0, 0.5, 1)]
    every = max(1, n // 6)
    labels = [{"x": float(xs[i]), "label": trend.index[i].strftime("%Y-%m")} for i in range(0, n, every)]
    dots = [{"x": float(x), "y": float(y), "title": f"{d.strftime('%Y-%m-%d')}: {r * 100:.1f}%"}
            for x, y, d, r in zip(xs, ys, trend.index, np.nan_to_num(rates))]
    return {"width": width, "height": height, "points": points, "ticks": ticks, "labels": labels, "dots": dots,
            "left": pad_left, "bottom": height - pad_bottom, "right": width - pad_right}


@bp.get("/vacancy")
def vacancy_page():
    """Factory vacancy as of a day: buildings by vacancy rate, units, phases, trend, overlapping leases."""
    fmt = format_param()
    as_of = as_of_param()
    result = analysis_for(as_of)
    buildings = result.buildings.drop(columns="geometry")
    units = vacancy_order(result.units)
    missing = notices(*PAGE_TOPICS["vacancy"])
    if fmt == "json":
        return vacancy_json(result)
    if fmt == "xlsx":
        return xlsx_response("vacancy", {"park": pd.DataFrame([result.park_vacancy]), "phases": result.phases,
                                         "buildings": buildings[BUILDING_COLUMNS],
                                         "units": units[UNIT_COLUMNS], "trend": result.trend,
                                         "overlapping_leases": result.overlaps}, missing, as_of)
    return render_template(
        "land/vacancy.html", as_of=as_of, park=park_info(), figures=result.park_vacancy,
        **vacancy_tables(result), **unit_table(units[UNIT_COLUMNS]), chart=trend_chart(result.trend),
        not_judged=missing,
        unit_notes=result.units["vacancy_note"].dropna().str.split("; ").explode().value_counts().to_dict(),
        legend=vacancy_legend(),
        **map_parts(vacancy_map(result.buildings, result.parcels[["parcel_id", "name", "geometry"]],
                                tiles=tile_settings(), **map_options())))


#: /vacancy's other tables: (frame key, prefix, id column, default order: (column, descending) pairs).
VACANCY_TABLES = (("phases", "phase_", "group", (("vacancy_rate", True), ("vacant_m2", True))),
                  ("buildings", "bld_", "building_id", (("vacancy_rate", True), ("vacant_m2", True))),
                  ("overlaps", "overlap_", "unit_id", (("overlap_days", True),)))


def vacancy_frames(result: LandAnalysis) -> dict[str, pd.DataFrame]:
    """/vacancy's phases, buildings and overlapping leases as flat frames (ids as columns)."""
    buildings = result.buildings.drop(columns="geometry")
    if "building_id" not in buildings.columns:
        buildings = buildings.reset_index(names="building_id")
    return {"phases": result.phases.reset_index(names="group"),
            "buildings": buildings[["building_id", *BUILDING_COLUMNS]], "overlaps": result.overlaps}


def most_first(then: tuple[tuple[str, bool], ...], id_column: str):
    """A default order: by ``then`` ((column, descending) pairs, missing last), ties by ``id_column``."""
    return lambda frame: ranked(frame, id_column, (), then, id_column)


def vacancy_tables(result: LandAnalysis) -> dict:
    """/vacancy's phases, buildings and overlapping leases, each its own sortable, paged table, the most vacant
    (or the longest overlap) first."""
    frames, out = vacancy_frames(result), {}
    for key, prefix, id_column, then in VACANCY_TABLES:
        frame = frames[key]
        rows, table = table_view(frame, request.args, columns=list(frame.columns), id_column=id_column,
                                 text_columns=(*TEXT_COLUMNS, id_column, "lease_a", "lease_b"),
                                 default_order=most_first(then, id_column), prefix=prefix)
        out[key], out[f"{key}_table"] = records(rows), table
    return out


def vacancy_order(units: pd.DataFrame) -> pd.DataFrame:
    """Leasable units first, the most vacant floor area first, then the longest vacant."""
    return ranked(units, "leasable", (True,), [("vacant_m2", True), ("days_vacant", True)], "unit_id")


def unit_table(units: pd.DataFrame) -> dict:
    rows, table = table_view(units, request.args, columns=UNIT_COLUMNS, id_column="unit_id",
                             text_columns=TEXT_COLUMNS, default_order=vacancy_order)
    return {"units": records(rows), "table": table}


def vacancy_json(result: LandAnalysis):
    rows, paging = page_slice(twin_rows(result.units[UNIT_COLUMNS], "unit_id", vacancy_order))
    trend = result.trend.reset_index()
    return jsonify({"park": park_info(), "as_of": result.as_of.date().isoformat(),
                    "not_judged": notices_json(notices(*PAGE_TOPICS["vacancy"])),
                    "figures": json_ready(pd.DataFrame([result.park_vacancy])).to_dict("records")[0],
                    "phases": records(result.phases.rename_axis("phase")),
                    "buildings": records(result.buildings.drop(columns="geometry")[BUILDING_COLUMNS]),
                    "overlapping_leases": records(result.overlaps), "trend": records(trend),
                    **paging, "units": records(rows)})


@bp.get("/api/vacancy")
def vacancy_api():
    return vacancy_json(analysis_for(as_of_param()))


# -- /cases -----------------------------------------------------------------------------------------------

CASE_COLUMNS = ["case_id", "parcel_id", "building_id", "problem", "method", "status", "opened", "target_date",
                "closed", "area_m2", "floor_area_m2", "notes", "last_updated"]


def ledger() -> tuple[pd.DataFrame, pd.DataFrame]:
    return park().layer("cases"), park().layer("case_events")


def year_param(default: int) -> int:
    return int_param(request.args, "year", default=default, minimum=1990, maximum=2100)


def cases_context(result: LandAnalysis) -> dict:
    cases, events = ledger()
    found = candidates(result.parcels, analysis=result.parcels, buildings=park().layer("buildings"),
                       building_vacancy=result.buildings, firms=result.muju.firms, cases=cases, rules=land_rules())
    year = year_param(result.as_of.year)
    # The analysis holds the parcels in force on its day (none added later, none retired): align with those.
    parcels = in_force(park().layer("parcels"), as_of=result.as_of)
    figures = year_figures(parcels, analysis=result.parcels, cases=cases, year=year)
    return {"cases": cases, "events": events, "candidates": found, "year": year, "figures": figures}


@bp.get("/cases")
def cases_page():
    """The revitalisation ledger: candidates, cases with their history, the year's figures."""
    fmt = format_param()
    as_of = as_of_param()
    result = analysis_for(as_of)
    context = cases_context(result)
    missing = notices(*PAGE_TOPICS["cases"])
    if fmt == "json":
        return cases_json(result, context)
    if fmt == "xlsx":
        return xlsx_response("cases", {"cases": context["cases"][CASE_COLUMNS], "history": context["events"],
                                       "candidates": context["candidates"],
                                       "year": pd.DataFrame([{k: v for k, v in context["figures"].items()
                                                              if not isinstance(v, dict)}])}, missing, as_of)
    cases, table = table_view(context["cases"][CASE_COLUMNS], request.args, columns=CASE_COLUMNS,
                              id_column="case_id", text_columns=TEXT_COLUMNS, default_order=cases_order,
                              names={field: code_labels("cases", field) for field in ("problem", "method", "status")})
    history = {case_id: records(case_history(context["events"], case_id))
               for case_id in cases["case_id"].tolist()}
    return render_template(
        "land/cases.html", as_of=as_of, park=park_info(), cases=records(cases), table=table,
        history=history, **candidate_table(context["candidates"]), year=context["year"], figures=context["figures"],
        problems=code_labels("cases", "problem"), methods=code_labels("cases", "method"),
        statuses=code_labels("cases", "status"), open_statuses=("identified", "planned", "in_progress"),
        mu=M2_PER_MU, not_judged=missing)


#: The prefix of the candidates table's query parameters on /cases.
CANDIDATE_PREFIX = "cand_"


def candidate_table(found: pd.DataFrame) -> dict:
    """/cases' candidates as a sortable, paged table (``cand_`` parameters): in the ranking's order (by kind,
    the largest and longest first; ``rank`` counts within a kind) unless sorted; kinds sort by their names."""
    rows, table = table_view(found, request.args, columns=list(found.columns), id_column="rank",
                             text_columns=(*TEXT_COLUMNS, "enterprise_id", "area_name"),
                             prefix=CANDIDATE_PREFIX, names={"kind": code_labels("cases", "problem")})
    return {"candidates": records(rows), "candidate_table": table}


def cases_order(cases: pd.DataFrame) -> pd.DataFrame:
    """Open cases first (identified, planned, in progress), the nearest target date first."""
    return ranked(cases, "status", OPEN_CASES, [("target_date", False)], "case_id")


def cases_json(result: LandAnalysis, context: dict):
    return jsonify({"park": park_info(), "as_of": result.as_of.date().isoformat(),
                    "not_judged": notices_json(notices(*PAGE_TOPICS["cases"])),
                    "cases": records(twin_rows(context["cases"][CASE_COLUMNS], "case_id", cases_order)), "history": records(context["events"]),
                    "candidates": records(context["candidates"]), "year_figures": context["figures"]})


@bp.get("/api/cases")
def cases_api():
    result = analysis_for(as_of_param())
    return cases_json(result, cases_context(result))


def _form_values(names) -> dict:
    return {name: request.form.get(name) for name in names if name in request.form}


def _commit_ledger(action: str, change) -> None:
    """Apply ``change(cases, events) -> (cases, events)`` to the ledger as it is now, under the write lock.

    A case and its history event land together, or neither does, and a case
    opened or changed by someone else meanwhile is never written over.
    """
    def build(current, trail):
        cases, events = change(current["cases"], current["case_events"])
        return {"cases": cases, "case_events": events}

    commit_change(action, build, layers=["cases", "case_events"])


def _ids(layer: str, field: str) -> list[str]:
    return park().layer(layer)[field].dropna().tolist()


def _case_error(exc: CaseError):
    raise BadRequest(tr("台账未保存：", "The case was not saved: ") + "; ".join(exc.problems))


@bp.post("/cases")
def case_create():
    values = _form_values(("parcel_id", "building_id", "problem", "method", "status", "opened", "target_date",
                           "area_m2", "floor_area_m2", "notes"))
    opened: list[str] = []

    def open_case(cases, events):
        cases, events, case_id = create_case(cases, events, values, today=dt.date.today(),
                                             parcel_ids=_ids("parcels", "parcel_id"),
                                             building_ids=_ids("buildings", "building_id"))
        opened.append(case_id)
        return cases, events

    try:
        _commit_ledger("case_open", open_case)
    except CaseError as exc:
        _case_error(exc)
    return redirect(url_for("land.cases_page", _anchor=opened[0]), code=303)


def _change_case(case_id: str, action: str, change) -> Response:
    """Apply ``change(cases, events) -> (cases, events)`` to one case, save the ledger, show the case."""
    try:
        _commit_ledger(action, change)
    except KeyError:
        raise nothing_called(f"没有台账 {case_id!r}", f"no case {case_id!r}", field="case_id", value=case_id) from None
    except CaseError as exc:
        _case_error(exc)
    return redirect(url_for("land.cases_page", _anchor=case_id), code=303)


@bp.post("/cases/<case_id>")
def case_update(case_id: str):
    values = _form_values(("method", "status", "target_date", "area_m2", "floor_area_m2", "notes"))
    return _change_case(case_id, "case_update", lambda cases, events: update_case(
        cases, events, case_id, values, today=dt.date.today(), parcel_ids=_ids("parcels", "parcel_id"),
        building_ids=_ids("buildings", "building_id")))


@bp.post("/cases/<case_id>/close")
def case_close(case_id: str):
    form = request.form
    return _change_case(case_id, "case_close", lambda cases, events: close_case(
        cases, events, case_id, today=dt.date.today(), outcome=form.get("outcome", "done"),
        method=form.get("method") or None, closed=form.get("closed") or None, notes=form.get("notes") or None))
