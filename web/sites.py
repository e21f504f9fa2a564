"""``/sites``: investor site search — needs in, ranked land and factory space out, a printable sheet per result.

The form's fields are query parameters, so a search is a link: ``/sites?kind=land&area_min_mu=30&…``.
``/api/sites`` is the JSON twin; ``/sites/sheet/<kind>/<id>`` the one-page sheet of a
result (Chinese, or English with ``?lang=en``) for the investor. The park's
readiness, network distances, idle land and unit vacancy are computed once per park
version and kept for the following searches.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from geo.crs import to_web
from geo.idle import idle_land
from geo.maps import map_components
from geo.maps_expansion import outline_svg, sites_map
from geo.readiness import readiness
from geo.roadnet import network_distances
from geo.site_search import KINDS, InvestorNeeds, search_land, search_space
from geo.records import in_force
from geo.vacancy import unit_vacancy
from layers.geojson import dumps, json_ready
from layers.infra_rules import READINESS_ITEMS
from layers.registry import get_layer
from layers.rules import rules_for_park
from layers.schema import code_label
from web.analysis_gate import Flights, run_analysis
from web.api import park_as_of, park_info
from web.errors import BadRequest
from web.expansion import _rules, number_param
from web.i18n import current_lang
from web.judged import notices, notices_json
from web.park import park

bp = Blueprint("sites", __name__)

REVITALISATION_STATUSES = ("idle_fee", "idle_reclaim", "stalled_idle")
NEED_FIELDS = ("kind", "area_min_mu", "area_max_mu", "land_use_class", "connections", "max_highway_km",
               "floor_area_min_m2", "floor_area_max_m2", "max_floor", "min_floor_load_kn_m2", "min_clear_height_m")
CONNECTION_LABELS = {"road": ("道路", "Road"), "water_supply": ("给水", "Water"), "rain": ("雨水", "Storm drain"),
                     "sewer": ("污水", "Sewer"), "power": ("电力", "Power"), "telecom": ("通信", "Telecom"),
                     "gas": ("燃气", "Gas"), "heat": ("热力", "Heat"), "cable_tv": ("有线电视", "Cable TV"),
                     "site_levelled": ("场地平整", "Levelled site")}


def parse_needs(args, rules) -> InvestorNeeds:
    """Investor needs from query parameters; :class:`BadRequest` naming the bad one."""
    kind = args.get("kind") or "land"
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    land_use = args.get("land_use_class") or None
    classes = rules.site_search.land_use_classes
    if land_use is not None and land_use not in classes:
        raise BadRequest(f"land_use_class must be one of {', '.join(classes)}, got {land_use!r}")
    connections = [c for value in args.getlist("connections") for c in value.split(",") if c.strip()]
    unknown = [c for c in connections if c not in READINESS_ITEMS]
    if unknown:
        raise BadRequest(f"connections {', '.join(map(repr, unknown))} unknown; allowed: {', '.join(READINESS_ITEMS)}")
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
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


_cache: dict = {}
_lock = threading.Lock()
_flights = Flights()


def inputs() -> dict:
    """Readiness, network distances, revitalisation flags and unit vacancy of the park (cached per version).

    After an edit the first search computes them in a slot of the analysis gate
    (untimed: their cost is the park's size); searches arriving meanwhile wait for it.
    """
    rules, infra = _rules()
    key = (park().version(), id(rules), id(infra))
    with _lock:
        if _cache.get("key") == key:
            return _cache["value"]
    with _flights.one(key):
        with _lock:
            if _cache.get("key") == key:
                return _cache["value"]
        value = run_analysis(lambda checkpoint: _compute_inputs(rules, infra), timed=False)
        with _lock:
            _cache.update(key=key, value=value)
    return value


def _compute_inputs(rules, infra) -> dict:
    """What :func:`inputs` keeps: computed from the park as it is now."""
    as_of = park_as_of()
    layers = {name: in_force(park().layer(name), as_of=as_of) for name in
              ("parcels", "roads", "pipelines", "facilities", "buildings", "units", "leases", "zones")}
    parcels = layers["parcels"]
    land_rules = rules_for_park(getattr(park().store, "path", None))
    ready = readiness(parcels, layers["roads"], layers["pipelines"], rules=infra)
    distances = network_distances(parcels, layers["roads"], layers["facilities"], rules=infra,
                                  include_planned=rules.site_search.include_planned_roads)
    idle = idle_land(parcels, layers["buildings"], as_of=as_of, rules=land_rules)
    revitalisation = idle["idle_status"].isin(REVITALISATION_STATUSES)
    vacancy = unit_vacancy(layers["units"], layers["leases"], as_of=as_of, rules=land_rules)
    by_parcel = pd.Series(distances["to_highway_exit_m"].to_numpy(), index=parcels["parcel_id"].to_numpy())
    by_parcel = by_parcel[~by_parcel.index.duplicated()]
    buildings = layers["buildings"]
    building_distance = pd.Series(by_parcel.reindex(buildings["parcel_id"].to_numpy()).to_numpy(),
                                  index=buildings["building_id"].to_numpy())
    return {"layers": layers, "readiness": ready, "distances": distances, "revitalisation": revitalisation,
            "vacancy": vacancy, "building_distance": building_distance[~building_distance.index.duplicated()],
            "as_of": as_of}


def search(needs: InvestorNeeds, *, parcel_ids=None, unit_ids=None):
    """(land results, space results) for ``needs``; either may be None (not asked for)."""
    rules, _ = _rules()
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


#: What each kind of search rests on (``geo.judged``): land needs parcels (and readiness), space the factory units.
KIND_TOPICS = {"land": ("site_land", "readiness", "road_access"), "space": ("site_space",)}


@bp.get("/sites")
def page():
    """The search form; with ``kind`` given, the ranked results on a map and as cards."""
    rules, _ = _rules()
    asked = "kind" in request.args
    needs = parse_needs(request.args, rules) if asked else InvestorNeeds()
    lang = current_lang()
    land = space = None
    if asked:
        land, space = search(needs)
    config = current_app.config
    data = inputs()
    the_map = sites_map(data["layers"], land=land, space=space, lang=lang, basemap=config["BASEMAP"],
                        asset_base_url=url_for("static", filename=""), tianditu_key=config["TIANDITU_KEY"])
    parts = map_components(the_map)
    query = _needs_query(needs)
    results = _records(land if land is not None else space, lang)
    for row in results:
        item = row.get("parcel_id") if needs.kind == "land" else row.get("unit_id")
        row["sheet"] = url_for("sites.sheet", kind=needs.kind, item_id=item, **query)
    return render_template(
        "sites/index.html", park=park_info(), needs=needs, asked=asked, results=results,
        classes=rules.site_search.land_use_classes, connections=CONNECTION_LABELS,
        map_header=Markup(parts.header), map_html=Markup(parts.html), map_script=Markup(parts.script),
        json_url=url_for("sites.api", kind=needs.kind, **query) if asked else None,
        not_judged=notices(*KIND_TOPICS[needs.kind]) if asked else [],
    )


@bp.get("/api/sites")
def api():
    """The ranked results as JSON (the page's twin); needs as query parameters."""
    rules, _ = _rules()
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
    rules, _ = _rules()
    args = MultiDict(request.args)
    args.setlist("kind", [kind])
    needs = parse_needs(args, rules)
    land, space = search(needs, parcel_ids=[item_id] if kind == "land" else None,
                         unit_ids=[item_id] if kind == "space" else None)
    frame = land if kind == "land" else space
    if frame is None or not len(frame):
        raise NotFound(f"no available {'parcel' if kind == 'land' else 'vacant unit'} {item_id!r}")
    row = _records(frame.iloc[:1], current_lang())[0]
    roads = inputs()["layers"]["roads"].geometry.to_numpy()
    svg = outline_svg(frame.geometry.iloc[0], roads)
    return render_template("sites/sheet.html", park=park_info(), kind=kind, row=row, needs=needs,
                           svg=Markup(svg), as_of=inputs()["as_of"], classes=rules.site_search.land_use_classes,
                           connections=CONNECTION_LABELS,
                           other_lang=url_for("sites.sheet", kind=kind, item_id=item_id, **_needs_query(needs),
                                              lang="zh" if current_lang() == "en" else "en"))


__all__ = ["bp", "inputs", "parse_needs", "search"]
