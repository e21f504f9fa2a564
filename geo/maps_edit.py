"""The editor's map: the edited record's neighbourhood as context layers, plus the editing script.

The record itself is not drawn here: ``static/js/parkatlas-edit.js`` draws it
as an editable shape from a JSON data block of the page (vertices to drag,
midpoints to add, a line to split along).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geo.maps import ParkMap, add_basemap, add_layer_control, fit_to_layers, styled_layer
from layers.registry import get_layer

EDIT_JS = "js/parkatlas-edit.js"
MAX_ZOOM = 21


def edit_map(
    context: Mapping[str, pd.DataFrame],
    *,
    focus: pd.DataFrame | None = None,
    lang: str = "zh",
    basemap: str = "none",
    asset_base_url: str = "/static",
    tianditu_key: str = "",
) -> ParkMap:
    """A map of the ``context`` layers (working CRS), fitted to ``focus`` (the edited record) when given."""
    # A bound on zoom: fitting the map to one point (a facility) would otherwise zoom without end.
    m = ParkMap(asset_base_url=asset_base_url, lang=lang, zoom_start=17)
    m.options["max_zoom"] = MAX_ZOOM
    m.default_js.append(("parkatlas_edit", f"{asset_base_url.rstrip('/')}/{EDIT_JS}"))
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    drawn = []
    for name, frame in context.items():
        if len(frame):
            styled_layer(frame, get_layer(name), lang=lang).add_to(m)
            drawn.append(frame)
    fit_to_layers(m, [focus] if focus is not None and len(focus) else drawn)
    add_layer_control(m)
    return m
