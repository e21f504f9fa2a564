"""The optional read-only public view: the layers named in ``PUBLIC_LAYERS``, for anyone.

Off unless configured (``PARKATLAS_PUBLIC_LAYERS=parcels,roads,zones``). The
page shows only those layers; the permission hook lets anonymous visitors read
only those layers' items from the API (``web.permissions.PUBLIC_LAYER_ENDPOINTS``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, url_for
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from geo.maps import legend, map_components, overview_map
from layers.registry import REGISTRY
from web.i18n import current_lang
from web.park import park

bp = Blueprint("public", __name__)


def public_layers() -> list[str]:
    return [name for name in current_app.config["PUBLIC_LAYERS"] if name in REGISTRY]


@bp.get("/public")
def map():  # noqa: A001 (the endpoint is public.map)
    """Map of the public layers, read-only (404 when no layer is public)."""
    names = public_layers()
    if not names:
        raise NotFound("there is no public view; an administrator can set PARKATLAS_PUBLIC_LAYERS")
    lang = current_lang()
    layers = {name: park().layer(name) for name in names if not REGISTRY[name].is_table}
    live = {name: frame[frame["retired_on"].isna()] for name, frame in layers.items()}
    config = current_app.config
    the_map = overview_map(live, lang=lang, basemap=config["BASEMAP"], asset_base_url=url_for("static", filename=""),
                           tianditu_key=config["TIANDITU_KEY"])
    parts = map_components(the_map)
    return render_template("public.html", layers=names, legend=legend(live, lang=lang),
                           map_header=Markup(parts.header), map_html=Markup(parts.html),
                           map_script=Markup(parts.script), park_name=park().meta().get("park_name"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
