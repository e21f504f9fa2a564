"""``POST /api/measure``: the length or area of a line or polygon drawn on a map, in the park's working CRS.

The map's measure tool (``static/js/parkatlas-measure.js``) posts
``{"kind": "line"|"polygon", "coordinates": [[lon, lat], …]}`` (EPSG:4326) and shows the
``text`` of the answer; the figures come with it (m, m², 亩, 公顷). The vertex count is
bounded by ``MEASURE_MAX_VERTICES``; bad input is a 400 naming the field, in the user's
language. It computes only: viewers may post it (the ``analyse`` policy), with the
CSRF token every POST carries.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pyproj import CRS

from geo.measure import MeasureError, measure, parse_vertices
from web.errors import BadRequest
from web.i18n import current_lang, tr
from web.limits import json_body
from web.park import park

bp = Blueprint("measure", __name__)


def refused(exc: MeasureError) -> BadRequest:
    """The 400 of input a map tool cannot use, in the user's language, naming the field (measure and print)."""
    return BadRequest(tr(exc.zh, exc.en), field=exc.field, value=exc.value, allowed=exc.allowed)


def _request_drawing() -> tuple[str, object]:
    data = json_body()
    if not isinstance(data, dict):
        example = '{"kind": "polygon", "coordinates": [[121.40, 28.65], [121.41, 28.65], [121.41, 28.66]]}'
        raise BadRequest(tr(f"请求体必须是 JSON 对象，例如 {example}", f"the request body must be a JSON object, e.g. {example}"),
                         field="body")
    return data.get("kind"), data.get("coordinates")


@bp.post("/api/measure")
def api_measure():
    """Measure the posted drawing in the park's working CRS."""
    kind, coordinates = _request_drawing()
    try:
        lonlat = parse_vertices(coordinates, kind=kind, max_vertices=int(current_app.config["MEASURE_MAX_VERTICES"]))
        result = measure(lonlat, kind=kind, working_crs=CRS.from_epsg(int(park().meta()["working_epsg"])))
    except MeasureError as exc:
        raise refused(exc) from None
    return jsonify(result.as_json(current_lang()))


def init_app(app) -> None:
    app.register_blueprint(bp)
