"""The optional read-only public view: the layers named in ``PUBLIC_LAYERS``, for anyone.

Off unless configured (``PARKATLAS_PUBLIC_LAYERS=parcels,roads,zones``). The
page shows only those layers; the permission hook lets anonymous visitors read
only those layers' items and tiles (``web.permissions.PUBLIC_LAYER_ENDPOINTS``).

A park above the tile threshold is drawn from vector tiles (the page reads no
geometry: ``web.map_layers``), so the page stays small at any size.

On every path an anonymous visitor reaches — this page and its popups, the API's
items, tiles — they see the layer's public fields only (``PARKATLAS_PUBLIC_FIELDS``,
:mod:`layers.public_fields`) and its records in force only. Signed-in users see
everything wherever they are.
"""

from __future__ import annotations

import pandas as pd
from flask import Blueprint, Flask, current_app, render_template, url_for
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from geo.maps import TileSettings, legend, map_components, overview_map, tile_columns
from layers.public_fields import public_records
from layers.registry import REGISTRY
from web.auth import public_visitor
from web.i18n import current_lang, tr
from web.map_layers import map_layers, tile_settings
from web.park import park

bp = Blueprint("public", __name__)


def public_layers() -> list[str]:
    """The public layers (checked against the registry when the app starts)."""
    return list(current_app.config["PUBLIC_LAYERS"])


def public_fields(layer: str) -> tuple[str, ...]:
    """The fields of ``layer`` an anonymous visitor sees (none of a layer that is not public: fail closed)."""
    return current_app.config["PUBLIC_FIELDS"].get(layer, ())


def visitor_fields(layer: str) -> tuple[str, ...] | None:
    """The fields of ``layer`` this request may see: its public fields for an anonymous visitor, else ``None`` (all)."""
    return public_fields(layer) if public_visitor() else None


def public_map_frame(frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    """The records in force of ``layer`` with its public fields; fields the map draws by but that are not
    public are blank (drawn in the fallback colour), so the map shows nothing the fields do not."""
    fields = public_fields(layer)
    records = public_records(frame, fields)
    hidden = [name for name in tile_columns(REGISTRY[layer]) if name not in fields]
    return records.assign(**{name: None for name in hidden})


def hidden_tile_fields(layer: str) -> list[str]:
    """The fields tiles of ``layer`` carry (what the map styles by) that this request may not see."""
    fields = visitor_fields(layer)
    return [] if fields is None else [name for name in tile_columns(REGISTRY[layer]) if name not in fields]


def public_popup_fields(layer: str) -> tuple[str, ...]:
    """The popup lines of a public layer: its popup fields that are public, then its other public fields."""
    spec, fields = REGISTRY[layer], public_fields(layer)
    shown = [name for name in spec.popup_fields if name in fields]
    # land_use_std only names the standard of land_use's code, which the popup already labels.
    return tuple(shown + [name for name in fields if name not in shown and name != "land_use_std"])


@bp.get("/public")
def map():  # noqa: A001 (the endpoint is public.map)
    """Map of the public layers, read-only (404 when no layer is public)."""
    names = public_layers()
    if not names:
        raise NotFound(tr("公开地图未开启：本园区没有设为公开的图层。管理员可在配置 PARKATLAS_PUBLIC_LAYERS 中列出要公开的图层"
                          "（如 parcels,roads），重启后本页即可匿名访问。",
                          "The public map is off: no layer of this park is public. An administrator can list the "
                          "layers to show (e.g. parcels,roads) in PARKATLAS_PUBLIC_LAYERS; after a restart this page "
                          "is open without sign-in."))
    settings = {"lang": current_lang(), "basemap": current_app.config["BASEMAP"],
                "tianditu_key": current_app.config["TIANDITU_KEY"], "tiles": tile_settings()}
    # The map depends only on the park's version, these settings and the public configuration (fixed at start).
    parts, page_legend = park().derived(("public_page", repr(sorted(settings.items())), url_for("static", filename="")),
                                        lambda: public_map_parts(names, **settings))
    return render_template("public.html", layers=names, legend=page_legend,
                           map_header=Markup(parts.header), map_html=Markup(parts.html),
                           map_script=Markup(parts.script), park_name=park().meta().get("park_name"))


def public_map_parts(names: list[str], *, lang: str, tiles: TileSettings, **options):
    """The public map's HTML parts and legend: the public layers' records in force with their public fields, drawn
    inline or — a large park — from tiles (which carry public fields only to a visitor: ``web.tiles``)."""
    spatial = [name for name in names if not REGISTRY[name].is_table]
    layers, start_bounds = map_layers(spatial, tiles)
    live = {name: public_map_frame(frame, name) for name, frame in layers.items()}
    the_map = overview_map(live, lang=lang, asset_base_url=url_for("static", filename=""), tiles=tiles,
                           popup_fields={name: public_popup_fields(name) for name in live},
                           start_bounds=start_bounds, **options)
    the_map.client_options["toolOptions"]["searchUrl"] = None  # the search reads every layer: signed-in users only
    the_map.tools = False  # measure and print need a sign-in (web.permissions): no buttons that would refuse
    return map_components(the_map), legend(live, lang=lang)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
