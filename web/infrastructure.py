"""``/infrastructure``: readiness (N通一平), network reach, clearance conflicts and km by status.

Three views of one analysis: the page (map, KPI cards, tables), its JSON twin
``/api/infrastructure`` and the XLSX export ``/infrastructure.xlsx``. All take
``?template=`` (a readiness label of the rules), ``?planned=1`` (route over
planned roads too) and ``?as_of=YYYY-MM-DD`` (THE day: default the park's reference
date). The park service runs the analysis once per park version, day, rules and options.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup

from geo.crs import to_web
from geo.maps import map_components
from geo.maps_infra import (
    CONFLICT_KINDS,
    connection_label,
    infrastructure_legend,
    infrastructure_map,
    mark_label,
    missing_text,
    readiness_codes,
)
from geo.reason_text import source_in
from geo.records import SUPPLIED_STATUSES
from layers.geojson import dumps, feature_collection_text, feature_texts, json_ready
from layers.infra_rules import InfraRules
from layers.registry import get_layer
from layers.schema import code_label
from layers.workbook_style import plain_sheets
from web.api import park_info
from web.background import computed
from web.errors import not_one_of
from web.i18n import current_lang, tr
from web.judged import notices, notices_json, notices_sheet
from web.map_layers import tile_settings
from web.pages import NOT_JUDGED, Card, Share, network_count
from web.park import park, request_day, rules
from web.tables import table_view
from web.workbooks import cover, workbook_response

bp = Blueprint("infrastructure", __name__)

LAYERS = ("parcels", "roads", "pipelines", "buildings", "facilities")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Options:
    """What the user asked for: target template, planned roads in the network, the day."""

    template: str
    include_planned: bool
    as_of: dt.date

    def query(self) -> dict:
        """The options as query parameters (for links to the twin and the export)."""
        query = {"template": self.template}
        if self.include_planned:
            query["planned"] = "1"
        query["as_of"] = self.as_of.isoformat()
        return query


def _rules() -> InfraRules:
    return rules().infrastructure


def _options(rules: InfraRules) -> Options:
    args = request.args
    labels = [t.label for t in rules.readiness.templates]
    template = args.get("template") or rules.readiness.default_template
    if template not in labels:
        raise not_one_of("template", template, labels)
    planned = args.get("planned", "").strip().lower()
    if planned not in _TRUE + _FALSE:
        raise not_one_of("planned", args.get("planned"), ("1", "0"))
    return Options(template, planned in _TRUE, request_day())


def analysis(rules: InfraRules, options: Options) -> dict:
    """The park service's infrastructure analysis for ``options`` (cached per park version, day, rules and
    options); ``rules`` are the service's rules in force, which it uses itself."""
    service, args = park(), (options.as_of, options.template, options.include_planned)
    # Computed in the request as before (no gate) for a small park; a large park's in the background (web.background).
    return computed("infrastructure", args, lambda: service.infrastructure_kept(*args),
                    lambda run: service.infrastructure(options.as_of, template=options.template,
                                                       include_planned=options.include_planned))


# -- display tables ------------------------------------------------------------------------------------


def _code_labels(layer: str, field: str, lang: str) -> dict[str, str]:
    return {code.value: code_label(code, lang) for code in get_layer(layer).field(field).codes}


def _unknown(lang: str) -> str:
    return "unknown" if lang == "en" else "未知"


def parcel_table(result: dict, *, rules: InfraRules, lang: str) -> pd.DataFrame:
    """One row per parcel in force: label, what it lacks, served flags and distances, labelled columns."""
    parcels, rows = result["layers"]["parcels"], result["parcels"]
    yes, no = ("yes", "no") if lang == "en" else ("是", "否")
    flag = {True: yes, False: no}
    columns = {
        tr("地块编号", "Parcel id"): rows["parcel_id"],
        tr("名称", "Name"): parcels["name"],
        tr("状态", "Status"): parcels["status"].map(_code_labels("parcels", "status", lang)),
        tr("配套水平", "Readiness"): rows["readiness_label"].fillna(code_label(readiness_codes(rules)[0], lang)),
        tr(f"达到{result['template']}", f"Meets {result['template']}"): rows["ready"].map(flag),
        tr("缺少", "Missing"): missing_text(rows["missing"], lang=lang),
        tr("临路", "Road access"): rows["road_access"].map(flag),
        tr("通路", "Road"): rows["road"].map(flag),
    }
    for network in [c for c in rows.columns if c.startswith("served_")]:
        name = network.removeprefix("served_")
        columns[tr(f"通{connection_label(name, lang)}", f"{connection_label(name, lang)} served")] = \
            rows[network].map(flag)
        columns[tr(f"{connection_label(name, lang)}干管距离(m)", f"{connection_label(name, lang)} main (m)")] = \
            rows[f"{name}_distance_m"].round(1)
    kinds = _code_labels("facilities", "kind", lang)
    for column in [c for c in rows.columns if c.startswith("to_") and c.endswith("_m")]:
        kind = kinds.get(column[3:-2], column)
        columns[tr(f"至{kind}路网距离(m)", f"Road distance to {kind} (m)")] = rows[column].round(0)
    return pd.DataFrame(columns)


def conflict_table(result: dict, *, lang: str) -> pd.DataFrame:
    """One row per conflict, numbered as on the map (C1, C2, …), with its location in degrees."""
    conflicts = result["conflicts"]
    networks = _code_labels("pipelines", "network", lang)
    kinds = {code.value: code_label(code, lang) for code in CONFLICT_KINDS}
    where = to_web(conflicts[["geometry"]]) if len(conflicts) else conflicts[["geometry"]]
    return pd.DataFrame({
        tr("编号", "No."): [f"C{i + 1}" for i in range(len(conflicts))],
        tr("类型", "Kind"): conflicts["kind"].map(kinds),
        tr("管线", "Pipe"): conflicts["id_a"],
        tr("管线类别", "Network"): conflicts["network_a"].map(networks),
        tr("相邻管线/建筑", "Other pipe / building"): conflicts["id_b"],
        tr("相邻管线类别", "Other network"): conflicts["network_b"].map(networks),
        tr("规范最小间距(m)", "Required (m)"): conflicts["required_m"],
        tr("实测间距(m)", "Measured (m)"): conflicts["actual_m"].round(3),
        tr("依据状态", "Rule status"): conflicts["status"].map(lambda mark: mark_label(mark, lang)),
        tr("依据", "Source"): conflicts["source"].map(lambda source: source_in(source, lang)),
        tr("经度", "Longitude"): where.geometry.x.round(6).to_numpy() if len(conflicts) else [],
        tr("纬度", "Latitude"): where.geometry.y.round(6).to_numpy() if len(conflicts) else [],
    })


def road_table(result: dict, *, lang: str) -> pd.DataFrame:
    """Road km: statuses as rows, grades as columns, with totals (registry labels)."""
    table = result["road_km"]
    statuses = {**_code_labels("roads", "status", lang), "unknown": _unknown(lang)}
    grades = {**_code_labels("roads", "grade", lang), "unknown": _unknown(lang)}
    shown = table.rename(index=statuses, columns=grades).round(3)
    shown[tr("合计", "Total")] = table.sum(axis=1).round(3).to_numpy()
    shown.index.name = tr("建设状态", "Status")
    return shown.reset_index()


def pipeline_table(result: dict, *, lang: str) -> pd.DataFrame:
    km = result["pipeline_km"]
    return pd.DataFrame({
        tr("管线类别", "Network"): km["network"].astype(str).map(
            {**_code_labels("pipelines", "network", lang), "unknown": _unknown(lang)}),
        tr("状态", "Status"): km["status"].astype(str).map(
            {**_code_labels("pipelines", "status", lang), "unknown": _unknown(lang)}),
        tr("管径段", "Diameter band"): km["diameter_band"].astype(str).replace({"unknown": _unknown(lang)}),
        tr("长度(km)", "Length (km)"): km["km"].round(3),
    })


def coverage_table(result: dict, *, lang: str) -> pd.DataFrame:
    """Per connection: supplied parcels served and their share."""
    cover = result["coverage"]
    names = list(cover["served_parcels"])
    return pd.DataFrame({
        tr("配套", "Connection"): [connection_label(n, lang) for n in names] + [tr("通路", "Road"),
                                                                              result["template"]],
        tr("已供地块数", "Supplied parcels"): [cover["supplied_parcels"]] * (len(names) + 2),
        tr("满足地块数", "Parcels served"): [cover["served_parcels"][n] for n in names]
        + [cover["road_parcels"], cover["ready_parcels"]],
        tr("比例", "Share"): [cover["served_share"][n] for n in names] + [cover["road_share"], cover["ready_share"]],
    })


def _supply_unknown_note(count: int) -> str:
    """What the supplied parcels leave out: those whose supply cannot be told (no status, no contract date)."""
    if not count:
        return ""
    return tr(f"；另有 {count} 宗既无状态也无合同签订日期，无法判断是否已供地，未计入",
              f"; {count} more with neither a status nor a contract date: whether supplied is not judged, not counted")


def _percent(share: float | None) -> str:
    return NOT_JUDGED if share is None else f"{share * 100:.1f}"


def _judged_card(card: Card, judged: bool) -> Card:
    """``card`` as it is, or with the dash and 无法判断 when the layers it needs hold no record on the day (the
    page's notices say which and why): never a 0 for what could not be judged."""
    if judged:
        return card
    return Card(card.key, card.label, NOT_JUDGED, "", tr("无法判断", "not judged"))


def cards(result: dict, *, lang: str) -> list[Card]:
    """KPI cards: readiness, road connection, no road access, conflicts, road and pipeline km; each one a dash
    where the layers it needs hold no record (readiness: parcels, roads and pipelines)."""
    held = {name: len(frame) > 0 for name, frame in result["layers"].items()}
    parcels, roads, pipelines = held.get("parcels", False), held.get("roads", False), held.get("pipelines", False)
    judged = {"ready": parcels and roads and pipelines, "road": parcels and roads, "no_access": parcels and roads,
              "conflicts": pipelines, "road_km": roads, "pipe_km": pipelines}
    return [_judged_card(card, judged[card.key]) for card in _cards(result, lang=lang)]


def _cards(result: dict, *, lang: str) -> list[Card]:
    """The KPI cards as computed (:func:`cards` puts the dash where they cannot be judged)."""
    cover, counts, rows = result["coverage"], result["conflict_counts"], result["parcels"]
    no_access = int((~rows["road_access"].to_numpy(dtype=bool)).sum())
    completed_km = float(result["road_km"].loc["completed"].sum())
    kinds = {code.value: code for code in CONFLICT_KINDS}
    conflict_shares = [Share(code_label(kinds[k], lang), str(counts[k]), kinds[k].color, counts[k] / counts["total"])
                       for k in kinds if counts["total"] and counts[k]]
    template = result["template"]
    # Pipelines of no CJJ 61 type (network unknown) are 未分类, never left out of the count of networks.
    km_by_network = {str(key): float(km) for key, km in
                     result["pipeline_km"].groupby("network", observed=True)["km"].sum().items()}
    unclassified_km = km_by_network.get("unknown", 0.0)
    return [
        Card("ready", tr(f"达到{template}", f"At {template}"), _percent(cover["ready_share"]), "%",
             tr(f"已供地块 {cover['supplied_parcels']} 宗中 {cover['ready_parcels']} 宗",
                f"{cover['ready_parcels']} of {cover['supplied_parcels']} supplied parcels")
             + _supply_unknown_note(cover.get("supply_unknown", 0))),
        Card("road", tr("通路（建成/临时路面）", "Road (finished/temporary)"), _percent(cover["road_share"]), "%",
             tr(f"已供地块 {cover['road_parcels']} 宗", f"{cover['road_parcels']} supplied parcels")),
        Card("no_access", tr("无临路地块", "No road access"), str(no_access), tr("宗", ""),
             tr("任何状态的道路均不临接", "no road of any status along the boundary")),
        Card("conflicts", tr("管线间距冲突", "Clearance conflicts"), str(counts["total"]), tr("处", ""),
             tr(f"管线间 {counts['pipe_pipe']} · 距建筑 {counts['pipe_building']} · 穿越 {counts['pipe_under_building']}",
                f"pipe–pipe {counts['pipe_pipe']} · building {counts['pipe_building']} · under "
                f"{counts['pipe_under_building']}"), conflict_shares),
        Card("road_km", tr("建成道路", "Completed roads"), f"{completed_km:,.1f}", tr("公里", "km"),
             tr(f"全部 {float(result['road_km'].to_numpy().sum()):,.1f} 公里",
                f"of {float(result['road_km'].to_numpy().sum()):,.1f} km")),
        Card("pipe_km", tr("管线", "Pipelines"), f"{float(result['pipeline_km']['km'].sum()):,.1f}",
             tr("公里", "km"), network_count(km_by_network, tr(f"{unclassified_km:,.1f} 公里", f"{unclassified_km:,.1f} km")
                                             if unclassified_km > 0 else "")),
    ]


@dataclass(frozen=True)
class Table:
    """A table as the page shows it: header texts, the sort key of each column, one page of rows as display
    texts, and its table state (``web.tables``: sort, page, text, prefix)."""

    columns: list[str]
    keys: list[str]
    rows: list[list[str]]
    total: int
    state: dict


#: Each table's query-parameter prefix (one per table of the page: each sorts and pages on its own).
TABLE_PREFIXES = {"coverage": "cov_", "conflicts": "conf_", "lacking": "lack_", "roads": "road_", "pipelines": "pipe_"}


def display(frame: pd.DataFrame, args, prefix: str, *, share_columns: tuple[str, ...] = ()) -> Table:
    """One page of ``frame`` as ``args`` ask (``prefix`` + sort/order/q/page/per_page; columns are sorted by
    position, ``0``, ``1`` …, their values being the texts the page shows), as texts: numbers with thousands
    separators and the decimals they were rounded to (at most 6), shares in %, missing values as —."""
    keys = [str(i) for i in range(frame.shape[1])]
    keyed = frame.set_axis(keys, axis=1).reset_index(drop=True)
    keyed["_row"] = np.arange(len(keyed))
    words = [key for key, name in zip(keys, frame.columns) if not pd.api.types.is_numeric_dtype(frame[name])]
    rows, state = table_view(keyed, args, columns=keys, id_column="_row", text_columns=words, prefix=prefix)
    shown = frame.iloc[rows["_row"].to_numpy()]
    texts = {}
    for name in shown.columns:
        column = shown[name]
        if name in share_columns:
            values = column.astype(float)
            text = values.map(lambda v: f"{v * 100:.1f} %")
        elif pd.api.types.is_float_dtype(column):
            values = column.astype(float)
            text = values.map(lambda v: f"{v:,.6f}".rstrip("0").rstrip("."))
        else:
            values = column
            text = column.map(str)
        texts[name] = text.astype(object).where(values.notna().to_numpy(), "—")
    texts_frame = pd.DataFrame(texts, index=shown.index)
    return Table([str(c) for c in frame.columns], keys, texts_frame.to_numpy(dtype=object).tolist(), len(frame), state)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (dates as text, missing values as null)."""
    return json_ready(frame).to_dict(orient="records")


# -- views ---------------------------------------------------------------------------------------------


#: The topics (``geo.judged``) the page's figures rest on.
TOPICS = ("readiness", "clearance", "road_access")


@bp.get("/infrastructure")
def page():
    """Map, KPI cards and tables of the infrastructure analysis."""
    rules = _rules()
    options = _options(rules)
    result = analysis(rules, options)
    lang = current_lang()
    config = current_app.config
    the_map = infrastructure_map(result["layers"], result["layers"]["parcels"], result, rules=rules, lang=lang,
                                 basemap=config["BASEMAP"], asset_base_url=url_for("static", filename=""),
                                 tianditu_key=config["TIANDITU_KEY"], tiles=tile_settings())
    parts = map_components(the_map)
    parcels = parcel_table(result, rules=rules, lang=lang)
    supplied = result["layers"]["parcels"]["status"].isin(SUPPLIED_STATUSES).to_numpy()
    lacking = parcels[supplied & ~result["parcels"]["ready"].to_numpy(dtype=bool)].iloc[:, :6]
    coverage = coverage_table(result, lang=lang)
    return render_template(
        "infrastructure/index.html",
        park=park_info(),
        options=options,
        templates=[t.label for t in rules.readiness.templates],
        cards=cards(result, lang=lang),
        legend=infrastructure_legend(result["layers"], result, rules=rules, lang=lang),
        map_header=Markup(parts.header),
        map_html=Markup(parts.html),
        map_script=Markup(parts.script),
        coverage=display(coverage, request.args, TABLE_PREFIXES["coverage"], share_columns=(coverage.columns[-1],)),
        roads=display(road_table(result, lang=lang), request.args, TABLE_PREFIXES["roads"]),
        pipelines=display(pipeline_table(result, lang=lang), request.args, TABLE_PREFIXES["pipelines"]),
        conflicts=display(conflict_table(result, lang=lang), request.args, TABLE_PREFIXES["conflicts"]),
        lacking=display(lacking, request.args, TABLE_PREFIXES["lacking"]),
        unchecked=len(result["unchecked_pipes"]),
        rules_files=rules.files,
        not_judged=notices(*TOPICS),
        json_url=url_for("infrastructure.api", **options.query()),
        xlsx_url=url_for("infrastructure.export", **options.query()),
    )


@bp.get("/api/infrastructure")
def api():
    """The infrastructure analysis as JSON (the page's twin)."""
    rules = _rules()
    options = _options(rules)
    result = analysis(rules, options)
    rows = result["parcels"].copy()
    rows["missing"] = rows["missing"].str.split(",").map(lambda parts: [p for p in parts if p])
    conflicts = result["conflicts"]
    web = to_web(conflicts) if len(conflicts) else conflicts
    conflict_json = feature_collection_text(
        feature_texts(web.assign(conflict_id=[f"C{i + 1}" for i in range(len(web))]), id_field="conflict_id",
                      properties=[c for c in web.columns if c != "geometry"], precision=6))
    road_km = result["road_km"]
    body = {
        "park": park_info(),
        "as_of": options.as_of.isoformat(),
        "template": options.template,
        "templates": [t.label for t in rules.readiness.templates],
        "include_planned": options.include_planned,
        "coverage": result["coverage"],
        "conflict_counts": result["conflict_counts"],
        "road_km": {status: {grade: float(road_km.loc[status, grade]) for grade in road_km.columns}
                    for status in road_km.index},
        "pipeline_km": _records(result["pipeline_km"].astype({"network": str, "status": str, "diameter_band": str})),
        "unchecked_pipes": _records(result["unchecked_pipes"]),
        "parcels": _records(rows),
        "rules_files": list(rules.files),
        "not_judged": notices_json(notices(*TOPICS)),
    }
    # Conflicts are GeoJSON (EPSG:4326), spliced in as text so coordinates keep their rounding.
    text = dumps(body)[:-1] + ',"conflicts":' + conflict_json + "}"
    return Response(text, mimetype="application/json")


@bp.get("/infrastructure.xlsx")
def export():
    """The analysis as an XLSX workbook: parcels, conflicts, coverage, road and pipeline km."""
    rules = _rules()
    options = _options(rules)
    result = analysis(rules, options)
    lang = current_lang()
    sheets = plain_sheets({
        tr("地块配套", "Parcel readiness"): parcel_table(result, rules=rules, lang=lang),
        tr("间距冲突", "Clearance conflicts"): conflict_table(result, lang=lang),
        tr("配套覆盖率", "Coverage"): coverage_table(result, lang=lang),
        tr("道路里程", "Road km"): road_table(result, lang=lang),
        tr("管线里程", "Pipeline km"): pipeline_table(result, lang=lang),
        **notices_sheet(notices(*TOPICS)),
    })
    about = cover(tr("基础设施配套分析", "Infrastructure analysis"), as_of=options.as_of)
    return workbook_response(sheets, about, f"infrastructure-{options.as_of.isoformat()}.xlsx")


__all__ = ["Options", "analysis", "bp", "cards", "conflict_table", "coverage_table", "parcel_table",
           "pipeline_table", "road_table"]
