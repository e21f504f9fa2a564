"""``GET /map/print.pdf``: the current view of a map as a one-page PDF (title, legend, scale bar, north arrow).

The map's print button (``static/js/parkatlas-measure.js``) asks for
``?bbox=west,south,east,north&layers=parcels,roads,…&as_of=YYYY-MM-DD&title=…``: the park's
layers in force on THE day are cut to the view in the park's CRS and drawn by
:mod:`geo.map_print`; at most ``PRINT_MAX_FEATURES`` features (else a 400 saying to zoom in). A
bad bbox or layer is a 400 naming it; without a Chinese font on the server the answer is 503
saying so, as ``/report.pdf``'s.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pyproj import CRS

from geo.map_print import parse_bbox, parse_print_layers, print_sheet, scale_units
from geo.measure import MeasureError
from geo.records import in_force
from layers.map_print_pdf import print_pdf
from layers.report_pdf import NoCjkFont
from web.analysis_gate import gated
from web.errors import error_response
from web.i18n import current_lang, tr
from web.measure import refused
from web.park import park, request_day

bp = Blueprint("mapprint", __name__)


def _asked() -> tuple[tuple[float, float, float, float], list[str]]:
    try:
        return parse_bbox(request.args.get("bbox")), parse_print_layers(request.args.get("layers"))
    except MeasureError as exc:
        raise refused(exc) from None


def no_cjk_font(exc: NoCjkFont):
    """The 503 of a PDF the server cannot set without a Chinese font."""
    return error_response(503, "no_cjk_font", tr(
        "服务器未安装中文字体，无法生成 PDF；请由管理员安装 fonts-wqy-microhei",
        "The server has no Chinese font, so it cannot make the PDF; ask the administrator to install "
        "fonts-wqy-microhei"), reason=str(exc))


@bp.get("/map/print.pdf")
def print_view():
    """The view's PDF (inline, so the browser's viewer opens it)."""
    bbox, names = _asked()
    day, lang, meta = request_day(), current_lang(), park().meta()

    def draw() -> bytes:
        layers = {name: in_force(park().layer(name), as_of=day) for name in names}
        sheet = print_sheet(layers, bbox=bbox, crs=CRS.from_epsg(int(meta["working_epsg"])), names=names,
                            title=request.args.get("title", ""), park_name=str(meta.get("park_name") or ""),
                            day=day, lang=lang, max_features=int(current_app.config["PRINT_MAX_FEATURES"]))
        return print_pdf(sheet, units=scale_units(lang))

    try:
        content = gated(draw)  # a few prints at a time per user and in all, as analyses (web.analysis_gate)
    except MeasureError as exc:
        raise refused(exc) from None
    except NoCjkFont as exc:
        return no_cjk_font(exc)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=map-{day.isoformat()}.pdf"
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)
