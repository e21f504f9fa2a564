"""The annual report: ``/report`` (page), ``/api/report`` (JSON), ``/report.xlsx``, ``/report.docx``, ``/report.pdf``
and its charts (``/report/chart/<name>.png``).

Every output is the park service's :meth:`service.park.ParkService.report` of one year, composed by
:mod:`geo.report`: the page, the workbook and the Word document say the same figures in the same words.
The year asked is ``?year=YYYY``; by default the last whole year before THE day (a register imported
today reports on last year).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from geo.annual import FIGURES, compare, year_end
from geo.crs import to_web
from geo.maps import WEB_PRECISION
from geo.maps_report import changes_legend, changes_map
from geo.report import report_document, table_frame
from geo.report_charts import (
    CHANGE_MAP_SECTION,
    CHARTS,
    change_map_png,
    change_map_title,
    chart_png,
    charts_by_section,
    report_figures,
)
from geo.report_workbook import report_cover_lines, report_sheets
from geo.year_changes import CHANGE_FIGURES, CHANGES, change_counts, change_label
from layers.geojson import feature_texts
from layers.report_docx import docx_bytes
from layers.report_pdf import NoCjkFont, pdf_bytes
from layers.workbook_style import plain_sheets
from web.analysis_gate import gated
from web.api_params import int_param
from web.errors import error_response, nothing_called
from web.i18n import current_lang, tr
from web.judged import notices_json, notices_sheet
from web.land import map_options, map_parts
from web.park import park, request_day
from web.workbooks import cover, park_today, workbook_response

bp = Blueprint("report", __name__)

PNG = "image/png"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: The years a report can be asked for (the register's years: contracts since 1990).
FIRST_YEAR, LAST_YEAR = 1990, 2100


def asked_year() -> int:
    """``?year=`` within :data:`FIRST_YEAR` … :data:`LAST_YEAR`; by default the year before THE day's."""
    return int_param(request.args, "year", default=request_day().year - 1, minimum=FIRST_YEAR, maximum=LAST_YEAR)


def year_report(year: int):
    return park().report(year, run=gated)


def _attachment(content: bytes, media_type: str, name: str) -> Response:
    response = Response(content, mimetype=media_type)
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


def _park_name() -> str:
    return str(park().meta().get("park_name") or tr("园区", "Park"))


def year_end_parcels(year: int):
    """The parcels held on 31 December of ``year`` (the change maps' grey park): the land analysis of that day,
    without readiness, as the report itself reads it."""
    return park().land(year_end(year), readiness=False).parcels


def _figures(report, lang: str):
    """The report's charts and its change map over the parcels held at the year end, by section."""
    parcels = year_end_parcels(report.year)
    change_map = (CHANGE_MAP_SECTION, change_map_title(report.year, lang),
                  change_map_png(report.changes, parcels, report.year, lang))
    return report_figures(report.current, report.previous, report.evaluation, lang, extra={"changes": change_map})


def composed(report, lang: str, *, with_figures: bool):
    """The report's document description; ``with_figures``: its charts and change map drawn in (DOCX, PDF)."""
    figures = _figures(report, lang) if with_figures else None
    return report_document(_park_name(), report.current, report.previous, report.evaluation, lang=lang,
                           made_on=park_today(), figures=figures)


def change_map_parts(report, lang: str) -> dict:
    """The page's change map: interactive while the year-end parcels and the changes stay within the tile
    threshold (``TILE_FEATURE_THRESHOLD``: the same limit above which the overview draws from tiles), else the
    static map (``/report/changes.png``), so the page does not grow with the park."""
    context = year_end_parcels(report.year)
    if len(context) + len(report.changes) > int(current_app.config["TILE_FEATURE_THRESHOLD"]):
        return {"static_change_map": True}
    return {"static_change_map": False, **map_parts(changes_map(report.changes, context, **map_options()))}


@bp.get("/report")
def report_page():
    """The year's figures beside the year before, the evaluation, and the downloads (charts load on their own)."""
    year = asked_year()
    report, lang = year_report(year), current_lang()
    document = composed(report, lang, with_figures=False)
    return render_template("report/report.html", year=year, document=document, not_judged=report.not_judged,
                           frame=table_frame, charts=charts_by_section(lang),
                           legend=changes_legend(report.changes, lang=lang),
                           change_rows=change_rows(report, lang),
                           change_map_title=change_map_title(year, lang), **change_map_parts(report, lang))


def change_rows(report, lang: str) -> list[tuple[str, str, int | str, str]]:
    """The change table's rows: (change, colour, features, why not judged). A change whose year figure is not
    judged (``CHANGE_FIGURES``) is not counted either: the map cannot show what the register does not tell."""
    counts, figures = change_counts(report.changes), report.current.figures
    rows = []
    for key in CHANGES:
        figure = CHANGE_FIGURES.get(key)
        if figure is not None and figures.get(figure) is None:
            why = report.current.reasons.get(figure)
            rows.append((change_label(key, lang), CHANGES[key][2], tr("无法判断", "not judged"),
                         "" if why is None else (f" ({why[1]})" if lang == "en" else f"（{why[0]}）")))
        else:
            rows.append((change_label(key, lang), CHANGES[key][2], counts[key], ""))
    return rows


@bp.get("/report/changes.png")
def report_change_map():
    """The year's change map as a picture (as in the Word document and the PDF)."""
    report, lang = year_report(asked_year()), current_lang()
    parcels = year_end_parcels(report.year)
    return Response(change_map_png(report.changes, parcels, report.year, lang), mimetype=PNG)


@bp.get("/report/chart/<name>.png")
def report_chart(name: str):
    """One chart of the year beside the year before (:data:`geo.report_charts.CHARTS`), as PNG."""
    if name not in CHARTS:
        raise nothing_called(f"没有名为 {name!r} 的图表", f"there is no chart called {name!r}", field="chart",
                             value=name, allowed=list(CHARTS))
    report = year_report(asked_year())
    return Response(chart_png(name, report.current, report.previous, report.evaluation, current_lang()),
                    mimetype=PNG)


def changes_geojson(changes, lang: str) -> str:
    """The year's changes as a GeoJSON FeatureCollection (EPSG:4326); a feature per record and change."""
    shown = changes.assign(change_label=[change_label(c, lang) for c in changes["change"]],
                           _c=[CHANGES[c][2] for c in changes["change"]],
                           feature_id=changes["change"] + "/" + changes["layer"] + "/" + changes["record_id"].astype(
                               str)) if len(changes) else changes.assign(change_label=None, _c=None, feature_id=None)
    texts = feature_texts(to_web(shown), id_field="feature_id",
                          properties=["layer", "record_id", "name", "change", "change_label", "_c"],
                          precision=WEB_PRECISION)
    return f'{{"type":"FeatureCollection","features":[{",".join(texts)}]}}'


@bp.get("/api/report/changes")
def report_changes_json():
    """What changed on the ground in ``?year=``: supplied, started, completed, ended, revitalised and newly idle
    parcels, buildings completed, roads completed or changed in stage, pipelines built (GeoJSON)."""
    changes = park().changes(asked_year(), run=gated)
    return Response(changes_geojson(changes, current_lang()), mimetype="application/geo+json")


@bp.get("/api/report")
def report_json():
    """``year``, ``figures`` and ``previous`` (the keys of ``geo.annual.FIGURES``; null = not judged), ``change``,
    ``evaluation`` (indicators, score, potential, years_of_supply_left) and ``not_judged``."""
    report = year_report(asked_year())
    changes = compare(report.current, report.previous).set_index("key")
    return jsonify({"year": report.year, "figures": report.current.figures, "previous": report.previous.figures,
                    "change": {key: (None if changes.loc[key, "change"] != changes.loc[key, "change"]
                                     else float(changes.loc[key, "change"])) for key in FIGURES},
                    "evaluation": report.evaluation.as_dict(current_lang()),
                    "not_judged": notices_json(report.not_judged)})


@bp.get("/report.xlsx")
def report_xlsx():
    """The report's tables in the evaluation's layout: the year against the one before, the year's breakdowns,
    土地利用状况, the indicators, the potentials, 尚可供地年数, and what is not judged; a first sheet about it."""
    year, lang = asked_year(), current_lang()
    report = year_report(year)
    sheets = [*report_sheets(report.current, report.previous, report.evaluation, lang),
              *plain_sheets(notices_sheet(report.not_judged))]
    about = cover(tr(f"{year}年度土地利用工作总结数据表及开发区土地集约利用评价表（TD/T 1029）",
                     f"The figures of {year} and the intensive land-use evaluation (TD/T 1029)"),
                  extra=report_cover_lines(year, report.evaluation, sheets, lang))
    return workbook_response(sheets, about, f"report-{year}.xlsx")


@bp.get("/report.docx")
def report_docx():
    """The land section of the year's 年度工作总结 as a Word document, with its charts."""
    year = asked_year()
    document = composed(year_report(year), current_lang(), with_figures=True)
    return _attachment(docx_bytes(document), DOCX, f"report-{year}.docx")


@bp.get("/report.pdf")
def report_pdf():
    """The Word document's content as PDF (same sections, tables and charts); 503 without a CJK font."""
    year = asked_year()
    document = composed(year_report(year), current_lang(), with_figures=True)
    try:
        content = pdf_bytes(document)
    except NoCjkFont as exc:
        return error_response(503, "no_cjk_font", tr(
            "服务器未安装中文字体，无法生成 PDF；请下载 Word 文档，或由管理员安装 fonts-wqy-microhei",
            "The server has no Chinese font, so it cannot make the PDF; download the Word document, or ask the "
            "administrator to install fonts-wqy-microhei"), reason=str(exc))
    return _attachment(content, PDF, f"report-{year}.pdf")
