"""``/sites``: investor site search — needs in, ranked land and factory space out, a printable sheet per result.

The form's fields are query parameters, so a search is a link: ``/sites?kind=land&area_min_mu=30&…``.
``/api/sites`` is the JSON twin; ``/sites/sheet/<kind>/<id>`` the one-page sheet of a
result (Chinese, or English with ``?lang=en``) for the investor. ``?as_of=`` is THE
day (default the park's reference date). The park's readiness, network distances, idle
land and unit vacancy are the park service's, computed once per park version, day and rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from geo.crs import to_web
from geo.maps import map_components
from geo.maps_expansion import outline_svg, sites_map
from geo.site_search import KINDS, REVITALISATION_STATUSES, InvestorNeeds, search_land, search_space  # noqa: F401
from layers.geojson import dumps, json_ready
from layers.infra_rules import READINESS_ITEMS
from layers.registry import get_layer
from layers.schema import code_label
from web.api import park_info
from web.background import computed
from web.errors import BadRequest, not_one_of, nothing_called
from web.expansion import number_param
from web.i18n import current_lang
from web.judged import notices, notices_json
from web.map_layers import tile_settings
from web.park import park, request_day, rules
from web.tables import filtered_view

bp = Blueprint("sites", __name__)

NEED_FIELDS = ("kind", "area_min_mu", "area_max_mu", "land_use_class", "connections", "max_highway_km",
               "floor_area_min_m2", "floor_area_max_m2", "max_floor", "min_floor_load_kn_m2", "min_clear_height_m")
CONNECTION_LABELS = {"road": ("道路", "Road"), "water_supply": ("给水", "Water"), "rain": ("雨水", "Storm drain"),
                     "sewer": ("污水", "Sewer"), "power": ("电力", "Power"), "telecom": ("通信", "Telecom"),
                     "gas": ("燃气", "Gas"), "heat": ("热力", "Heat"), "cable_tv": ("有线电视", "Cable TV"),
                     "site_levelled": ("场地平整", "Levelled site")}


def _rules():
    return rules().expansion


def parse_needs(args, rules) -> InvestorNeeds:
    """Investor needs from query parameters; :class:`BadRequest` naming the bad one."""
    kind = args.get("kind") or "land"
    if kind not in KINDS:
        raise not_one_of("kind", kind, KINDS)
    land_use = args.get("land_use_class") or None
    classes = rules.site_search.land_use_classes
    if land_use is not None and land_use not in classes:
        raise not_one_of("land_use_class", land_use, classes)
    connections = [c for value in args.getlist("connections") for c in value.split(",") if c.strip()]
    unknown = [c for c in connections if c not in READINESS_ITEMS]
    if unknown:
        raise not_one_of("connections", unknown[0], READINESS_ITEMS)
    highway_km = number_param(args.get("max_highway_km"), "max_highway_km", 0, 1000)
    max_floor = number_param(args.get("max_floor"), "max_floor", -5, 200)
    try:
        return InvestorNeeds(
            kind=kind,
            area_min_mu=number_param(args.get("area_min_mu"), "area_min_mu", 0, 1e6),
            area_max_mu=number_param(args.get("area_max_mu"), "area_max_mu", 0, 1e6),
            land_use_class=land_use, connections=tuple(dict.fromkeys(connections)),
            max_highway_m=None if highway_km is None else highway_km * 1000.0,
            floor_area_min_m2=number_param(args.get("floor_area_min_m2"), "floor_area_min_m2", 0, 1e7),
            floor_area_max_m2=number_param(args.get("floor_area_max_m2"), "floor_area_max_m2", 0, 1e7),
            max_floor=None if max_floor is None else int(max_floor),
            min_floor_load_kn_m2=number_param(args.get("min_floor_load_kn_m2"), "min_floor_load_kn_m2", 0, 1000),
            min_clear_height_m=number_param(args.get("min_clear_height_m"), "min_clear_height_m", 0, 100),
        )
    except BadRequest:
        raise  # a BadRequest is a ValueError too: keep the field it names
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def inputs() -> dict:
    """What the searches of this request's day rest on (the park service's, cached per park version, day and
    rules); one not cached is computed in a slot of the analysis gate, searches arriving meanwhile wait for it."""
    service, day = park(), request_day()
    return computed("sites", (day,), lambda: service.sites_kept(day), lambda run: service.sites(day, run=run))


def search(needs: InvestorNeeds, *, parcel_ids=None, unit_ids=None):
    """(land results, space results) for ``needs``; either may be None (not asked for)."""
    rules = _rules()
    data = inputs()
    layers = data["layers"]
    if needs.kind == "land":
        parcels = layers["parcels"]
        if parcel_ids is not None:
            parcels = parcels[parcels["parcel_id"].isin(parcel_ids).to_numpy()]
        try:
            return search_land(parcels, needs=needs, readiness=data["readiness"], distances=data["distances"],
                               revitalisation=data["revitalisation"], rules=rules), None
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    units = layers["units"]
    if unit_ids is not None:
        units = units[units["unit_id"].isin(unit_ids).to_numpy()]
    return None, search_space(units, needs=needs, vacancy=data["vacancy"], buildings=layers["buildings"],
                              distances=data["building_distance"], rules=rules)


def _offer_labels(lang: str) -> dict[str, str]:
    """How land is on offer, in ``lang``: the parcel status label, or revitalisation."""
    labels = {code.value: code_label(code, lang) for code in get_layer("parcels").field("status").codes}
    labels["revitalisation"] = "Revitalisation (idle land)" if lang == "en" else "盘活用地（闲置）"
    return labels


def _records(frame: pd.DataFrame | None, lang: str) -> list[dict]:
    """Result rows as JSON-ready dicts with their reasons in ``lang`` (``fits``, ``shortfalls``)."""
    if frame is None:
        return []
    if "offer" in frame:
        frame = frame.assign(offer_label=frame["offer"].map(_offer_labels(lang)))
    columns = [c for c in frame.columns if c != "geometry" and not c.endswith("_en" if lang == "zh" else "_zh")]
    rows = json_ready(frame, columns).to_dict("records")
    for row in rows:
        for suffix in ("fits", "shortfalls"):
            row[suffix] = row.pop(f"{suffix}_{lang}", "") or ""
    return rows


def _needs_query(needs: InvestorNeeds) -> dict:
    """The needs as query parameters (without ``kind``, which sheet URLs carry in their path)."""
    query = {k: v for k, v in needs.as_dict().items() if v not in (None, [], ()) and k != "kind"}
    if "max_highway_m" in query:
        query["max_highway_km"] = query.pop("max_highway_m") / 1000.0
    if "connections" in query:
        query["connections"] = ",".join(query["connections"])
    return query


#: The prefix of the results' query parameters (sort, order, q, page, per_page) beside the needs'.
RESULTS_PREFIX = "res_"
#: The result columns the page offers to sort by, with their headers (units in brackets).
SORT_COLUMNS = {
    "land": (("rank", "排名", "Rank"), ("parcel_id", "地块编号", "Parcel"), ("area_mu", "面积（亩）", "Area (mu)"),
             ("offer", "供地方式", "Offer"), ("score", "得分", "Score")),
    "space": (("rank", "排名", "Rank"), ("unit_id", "单元编号", "Unit"), ("area_m2", "面积（m²）", "Area (m²)"),
              ("floor", "楼层", "Floor"), ("score", "得分", "Score")),
}


def result_table(frame: pd.DataFrame | None, kind: str, lang: str):
    """The results the text filter keeps (for the map), one page of them in the asked order (for the cards),
    and the table state; by rank unless sorted (those meeting every need first)."""
    if frame is None:
        return None, None, None
    columns = [c for c in frame.columns if c != "geometry"]
    names = {"offer": _offer_labels(lang)} if "offer" in frame else None
    return filtered_view(frame, request.args, columns=columns, id_column="rank",
                         text_columns=("parcel_id", "unit_id", "name", "building_id", "building_name"),
                         default_order=lambda rows: rows.sort_values("rank", kind="stable"), prefix=RESULTS_PREFIX,
                         names=names)


#: What each kind of search rests on (``geo.judged``): land needs parcels (and readiness), space the factory units.
KIND_TOPICS = {"land": ("site_land", "readiness", "road_access"), "space": ("site_space",)}


@bp.get("/sites")
def page():
    """The search form; with ``kind`` given, the ranked results on a map and as cards."""
    rules = _rules()
    asked = "kind" in request.args
    needs = parse_needs(request.args, rules) if asked else InvestorNeeds()
    lang = current_lang()
    land = space = None
    if asked:
        land, space = search(needs)
    chosen, shown, table = result_table(land if land is not None else space, needs.kind, lang)
    config = current_app.config
    data = inputs()
    the_map = sites_map(data["layers"], land=chosen if needs.kind == "land" else None,
                        space=chosen if needs.kind == "space" else None, lang=lang, basemap=config["BASEMAP"],
                        asset_base_url=url_for("static", filename=""), tianditu_key=config["TIANDITU_KEY"],
                        tiles=tile_settings())
    parts = map_components(the_map)
    query = _needs_query(needs)
    results = _records(shown, lang)
    for row in results:
        item = row.get("parcel_id") if needs.kind == "land" else row.get("unit_id")
        row["sheet"] = url_for("sites.sheet", kind=needs.kind, item_id=item, **query)
    return render_template(
        "sites/index.html", park=park_info(), needs=needs, asked=asked, results=results, table=table,
        sort_columns=SORT_COLUMNS[needs.kind],
        classes=rules.site_search.land_use_classes, connections=CONNECTION_LABELS,
        map_header=Markup(parts.header), map_html=Markup(parts.html), map_script=Markup(parts.script),
        json_url=url_for("sites.api", kind=needs.kind, **query) if asked else None,
        not_judged=notices(*KIND_TOPICS[needs.kind]) if asked else [],
    )


@bp.get("/api/sites")
def api():
    """The ranked results as JSON (the page's twin); needs as query parameters."""
    rules = _rules()
    needs = parse_needs(request.args, rules)
    land, space = search(needs)
    lang = current_lang()
    frame = land if land is not None else space
    rows = _records(frame, lang)
    if frame is not None and len(frame):
        centre = to_web(frame[["geometry"]].set_geometry(frame.geometry.centroid))
        for row, lon, lat in zip(rows, centre.geometry.x, centre.geometry.y):
            row["lon"], row["lat"] = (round(float(lon), 6), round(float(lat), 6)) if np.isfinite(lon) else (None, None)
    return Response(dumps({"park": park_info(), "as_of": inputs()["as_of"].isoformat(), "needs": needs.as_dict(),
                           "kind": needs.kind, "not_judged": notices_json(notices(*KIND_TOPICS[needs.kind])),
                           "results": rows}), mimetype="application/json")


@bp.get("/sites/sheet/<any(land, space):kind>/<path:item_id>")
def sheet(kind: str, item_id: str):
    """One result's printable sheet: facts, how it fits the needs, where it falls short, an outline."""
    rules = _rules()
    args = MultiDict(request.args)
    args.setlist("kind", [kind])
    needs = parse_needs(args, rules)
    land, space = search(needs, parcel_ids=[item_id] if kind == "land" else None,
                         unit_ids=[item_id] if kind == "space" else None)
    frame = land if kind == "land" else space
    if frame is None or not len(frame):
        raise nothing_called(f"没有可用的{'地块' if kind == 'land' else '空置厂房单元'} {item_id!r}",
                             f"no available {'parcel' if kind == 'land' else 'vacant unit'} {item_id!r}",
                             field="item_id", value=item_id)
    row = _records(frame.iloc[:1], current_lang())[0]
    roads = inputs()["layers"]["roads"].geometry.to_numpy()
    svg = outline_svg(frame.geometry.iloc[0], roads)
    return render_template("sites/sheet.html", park=park_info(), kind=kind, row=row, needs=needs,
                           svg=Markup(svg), as_of=inputs()["as_of"], classes=rules.site_search.land_use_classes,
                           connections=CONNECTION_LABELS,
                           other_lang=url_for("sites.sheet", kind=kind, item_id=item_id, **_needs_query(needs),
                                              lang="zh" if current_lang() == "en" else "en"))


__all__ = ["bp", "inputs", "parse_needs", "search"]
