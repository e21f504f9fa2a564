"""The annual report: ``/report`` (page), ``/api/report`` (JSON), ``/report.xlsx`` and ``/report.docx``.

Every output is the park service's :meth:`service.park.ParkService.report` of one year, composed by
:mod:`geo.report`: the page, the workbook and the Word document say the same figures in the same words.
The year asked is ``?year=YYYY``; by default the last whole year before THE day (a register imported
today reports on last year).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify, render_template, request

from geo.annual import FIGURES, compare
from geo.report import report_document, table_frame
from geo.report_workbook import report_cover_lines, report_sheets
from layers.report_docx import docx_bytes
from layers.workbook_style import plain_sheets
from web.analysis_gate import gated
from web.api_params import int_param
from web.i18n import current_lang, tr
from web.judged import notices_json, notices_sheet
from web.park import park, request_day
from web.workbooks import cover, workbook_response

bp = Blueprint("report", __name__)

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


@bp.get("/report")
def report_page():
    """The year's figures beside the year before, the evaluation, and the downloads."""
    year = asked_year()
    report, lang = year_report(year), current_lang()
    document = report_document(_park_name(), report.current, report.previous, report.evaluation, lang=lang,
                               made_on=dt.date.today())
    return render_template("report/report.html", year=year, document=document, not_judged=report.not_judged,
                           frame=table_frame)


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
    """The land section of the year's 年度工作总结 as a Word document."""
    year, lang = asked_year(), current_lang()
    report = year_report(year)
    document = report_document(_park_name(), report.current, report.previous, report.evaluation, lang=lang,
                               made_on=dt.date.today())
    return _attachment(docx_bytes(document), DOCX, f"report-{year}.docx")
