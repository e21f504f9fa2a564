"""The map's search box: ``GET /api/search?q=&limit=`` finds parcels, buildings, enterprises, roads and
facilities by id or name (``geo.search``) in the park's records and answers JSON hits with their box.

Records are those the register holds now (the maps' records), or those true on ``?as_of=`` when the page
asks for a day. A hit's ``layer`` is the layer's name in the user's language, ``collection`` its registry key.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, current_app, jsonify, request

from geo.records import in_force
from geo.search import SEARCHED, search_layers
from layers.registry import REGISTRY
from web.api_params import int_param
from web.errors import BadRequest
from web.i18n import current_lang, tr
from web.park import park, request_day

bp = Blueprint("search", __name__, url_prefix="/api")


def search_text(args: Mapping[str, str]) -> str:
    """The ``q`` parameter, stripped; a 400 naming it when it is empty or longer than ``SEARCH_MAX_QUERY``."""
    query = (args.get("q") or "").strip()
    longest = current_app.config["SEARCH_MAX_QUERY"]
    if not query:
        raise BadRequest(tr("搜索词 q 不能为空：请输入编号或名称的一部分",
                            "the search text q is empty: type part of an id or a name"),
                         field="q", value=args.get("q", ""), allowed=f"1–{longest} characters")
    if len(query) > longest:
        raise BadRequest(tr(f"搜索词 q 最多 {longest} 个字符，收到 {len(query)} 个",
                            f"the search text q has at most {longest} characters, got {len(query)}"),
                         field="q", value=query[:longest] + "…", allowed=f"1–{longest} characters")
    return query


def searched_records() -> dict:
    """The searched layers (an absent one empty): records in force now, or on ``?as_of=`` when it is given."""
    day = request_day() if request.args.get("as_of") else None
    return {name: in_force(park().layer(name), as_of=day) for name in SEARCHED}


@bp.get("/search")
def search():
    """Hits for ``q`` (at most ``limit``), best first: ``{"query", "matched", "hits": [{layer, collection, id,
    label, bbox}]}`` with ``bbox`` as ``[west, south, east, north]`` in EPSG:4326."""
    query = search_text(request.args)
    config = current_app.config
    limit = int_param(request.args, "limit", default=config["SEARCH_DEFAULT_LIMIT"], minimum=1,
                      maximum=config["SEARCH_MAX_LIMIT"])
    result = search_layers(searched_records(), query, limit=limit, crs=int(park().meta()["working_epsg"]))
    lang = current_lang()
    hits = [{**hit, "collection": hit["layer"], "layer": REGISTRY[hit["layer"]].label(lang)} for hit in result.hits]
    return jsonify({"query": query, "matched": result.matched, "returned": len(hits), "hits": hits})


def init_app(app) -> None:
    app.register_blueprint(bp)
