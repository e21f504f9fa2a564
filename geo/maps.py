"""Folium maps built from the park's layers: pure builders, frames in, ``folium.Map`` out.

Pieces other pages reuse: :class:`ParkMap` (a ``folium.Map`` whose only assets
are Leaflet and our helper script, served by the app), :func:`styled_layer` (a
layer styled from colours computed here, vectorised, from the layer registry),
:func:`add_basemap`, :func:`fit_to_layers`, :func:`add_layer_control`,
:func:`legend` and :func:`map_components` (the header/html/script parts a view
embeds into its own template).

Styling happens in the browser from feature properties (``_c`` colour, ``_w``
weight): folium's per-feature ``style_function`` writes one JavaScript case per
feature and makes page load quadratic. Layers are drawn on one canvas
(``prefer_canvas``). Popups are built in JavaScript as DOM text, so names from
users' files cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import folium
import numpy as np
import pandas as pd
import shapely
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo.crs import box_web_bounds, require_projected, to_web, web_bounds
from geo.maps_basemaps import BASEMAPS, BasemapTiles, add_basemap, basemap_tiles  # noqa: F401 (pages import them here)
from geo.maps_tools import tool_options
from geo.measure import tool_options as measure_tool_options
from geo.records import with_values
from geo.units import m2_to_mu
from layers import landuse
from layers.geojson import feature_texts, script_safe
from layers.registry import REGISTRY, get_layer
from layers.schema import SOURCE_ATTRIBUTES, LayerSpec, code_label, field_label
from layers.styles import OUTLINE_ONLY_ZONES, ROAD_WEIGHT_PX, base_symbol

#: Paths under the app's static root (``asset_base_url``).
LEAFLET_JS = "vendor/node_modules/leaflet/dist/leaflet.js"
LEAFLET_CSS = "vendor/node_modules/leaflet/dist/leaflet.css"
HELPER_JS = "js/parkatlas-map.js"
VECTORGRID_JS = "vendor/node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js"
TILES_JS = "js/parkatlas-tiles.js"
TOOLS_JS = "js/parkatlas-tools.js"
TOOLS_CSS = "css/parkatlas-tools.css"
MEASURE_JS = "js/parkatlas-measure.js"

#: Coordinates sent to the browser are rounded to 1e-6° (about 0.1 m): the page stays small.
WEB_PRECISION = 6

_TEXT = {
    "area": ("面积", "Area"),
    "mu": ("亩", "mu"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def _text(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return en if lang == "en" else zh


class NonLocalAssetError(RuntimeError):
    """A rendered map references a script, stylesheet or image outside the app."""


# -- colours and popup values, vectorised ------------------------------------------------------------


def land_use_colors(parcels: pd.DataFrame) -> pd.Series:
    """Planning-palette colour of each parcel's land-use code in its classification system."""
    keys = parcels["land_use_std"].fillna(landuse.STD_2023) + "|" + parcels["land_use"].fillna("")
    palette = {key: landuse.land_use_color(*reversed(key.split("|", 1))) for key in keys.unique()}
    return keys.map(palette).astype(object)


def style_colors(frame: pd.DataFrame, spec: LayerSpec) -> pd.Series:
    """Each feature's colour from the registry: the Code colour of ``style.by_field``, else the layer colour."""
    by_field = spec.style.by_field
    if by_field is None:
        return pd.Series(spec.style.color, index=frame.index, dtype=object)
    if by_field == "land_use":
        return land_use_colors(frame)
    palette = {code.value: code.color or spec.style.color for code in spec.field(by_field).codes}
    return frame[by_field].map(palette).fillna(landuse.UNKNOWN_COLOR).astype(object)


def _land_use_labels(parcels: pd.DataFrame, lang: str) -> pd.Series:
    keys = parcels["land_use_std"].fillna(landuse.STD_2023) + "|" + parcels["land_use"]
    labels = {}
    for key in keys.dropna().unique():
        standard, code = key.split("|", 1)
        found = landuse.land_use_class(code, standard)
        name = "" if found is None else (found.label_en if lang == "en" else found.label_zh)
        labels[key] = f"{code} {name}".strip()
    return keys.map(labels).astype(object)


def popup_values(frame: pd.DataFrame, spec: LayerSpec, *, lang: str) -> pd.DataFrame:
    """The popup fields of ``spec`` as shown: codes replaced by their labels in ``lang``."""
    out = {}
    for name in spec.popup_fields:
        declared = spec.field(name)
        if declared.codes:
            labels = {code.value: code_label(code, lang) for code in declared.codes}
            out[name] = frame[name].map(labels).astype(object)
        elif name == "land_use":
            out[name] = _land_use_labels(frame, lang)
        else:
            out[name] = frame[name]
    return pd.DataFrame(out, index=frame.index)


def _popup_fields(spec: LayerSpec, lang: str) -> list[dict]:
    fields = []
    for name in spec.popup_fields:
        declared = spec.field(name)
        entry = {"name": name, "label": field_label(declared, lang)}
        if declared.unit:
            entry["unit"] = declared.unit
        fields.append(entry)
    return fields


# -- folium elements ---------------------------------------------------------------------------------


class ParkMap(folium.Map):
    """A ``folium.Map`` that loads only local assets and sets no page-wide styles.

    Folium's own map pulls Leaflet, jQuery, Bootstrap, Font Awesome and
    awesome-markers from CDNs and styles ``html, body``; this one links Leaflet
    and the ParkAtlas helper script from ``asset_base_url`` (the app's static
    root) and only sizes its own element.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: relative; width: 100%; height: 100%; }</style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map parkatlas-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = parkatlas.setMap(L.map(
                {{ this.get_name()|tojson }},
                {
                    {%- if not this.start_bounds %}
                    center: {{ this.location|tojson }},
                    {%- endif %}
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            ), {{ this.rendered_options()|tojson }});
            {%- if this.start_bounds %}
            {{ this.get_name() }}.fitBounds({{ this.start_bounds|tojson }}, { padding: [12, 12] });
            {%- endif %}
            L.control.scale({ imperial: false }).addTo({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, asset_base_url: str = "/static", lang: str = "zh", **kwargs):
        super().__init__(tiles=None, prefer_canvas=True, control_scale=False, **kwargs)
        base = asset_base_url.rstrip("/")
        self.asset_base_url = base
        # Instance lists: folium's class-level lists are shared module state.
        self.default_js = [("leaflet", f"{base}/{LEAFLET_JS}"), ("parkatlas_map", f"{base}/{HELPER_JS}"),
                           ("parkatlas_tools", f"{base}/{TOOLS_JS}"), ("parkatlas_measure", f"{base}/{MEASURE_JS}")]
        self.default_css = [("leaflet_css", f"{base}/{LEAFLET_CSS}"), ("parkatlas_tools_css", f"{base}/{TOOLS_CSS}")]
        #: ``[[south, west], [north, east]]`` the map opens fitted to (:func:`fit_to_layers`), else its location.
        self.start_bounds: list[list[float]] | None = None
        self.client_options = {
            "lang": "en" if lang == "en" else "zh-CN",
            "yes": _text("yes", lang),
            "no": _text("no", lang),
            "toolOptions": tool_options(lang),
        }
        self.tools_lang = lang
        #: Whether the map shows the measure and print tools (off for visitors who may not use them).
        self.tools = True

    def rendered_options(self) -> dict:
        """The options the page's script gets, with the measure and print tools (static/js/parkatlas-measure.js):
        a print may draw the park layers this map shows (known once every layer is added, as it renders)."""
        drawn = [child.key for child in self._children.values()
                 if getattr(child, "key", None) in REGISTRY and isinstance(child, (StyledGeoJson, TiledLayer))]
        if not self.tools:
            return dict(self.client_options)
        return {**self.client_options, "measureTools": measure_tool_options(self.tools_lang, drawn)}


class StyledGeoJson(Layer):
    """A GeoJSON layer styled in the browser from its features' ``_c``/``_w`` properties.

    Parameters
    ----------
    key
        Name under which the layer is exposed as ``parkatlas.layers[key]``.
    data_json
        FeatureCollection text (already made safe for a ``<script>`` element).
    spec
        Client options: ``title``, ``popupFields``, ``style``, ``colorTarget``, ``radius``.
    name
        Label in the layer control (HTML-escaped here: Leaflet inserts it as HTML).
    """

    # The features are not rendered here: a marker stands in their place and map_components puts them in the page's
    # script. branca compiles every element's rendered output as a Jinja template, and a layer's features (about a
    # megabyte at 10³ parcels) cost ~0.1–0.25 s a page to lex as one.
    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = parkatlas.geoJsonLayer(
                {{ this.key|tojson }},
                {{ this.client_spec|tojson }},
                {{ this.data_marker }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, key: str, data_json: str, spec: dict, *, name: str, n_features: int, show: bool = True):
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "StyledGeoJson"
        self.key = key
        self.data_json = data_json
        self.client_spec = spec
        self.n_features = n_features

    @property
    def data_marker(self) -> str:
        """What the rendered script holds where the features go (:func:`with_layer_data` puts them there): valid
        script on its own (no features), unique to the layer (its element name is random)."""
        return f"null /*{DATA_MARKER}{self.get_name()}*/"


#: The comment a layer's data marker opens with (:attr:`StyledGeoJson.data_marker`).
DATA_MARKER = "parkatlas-layer-data:"
_DATA_MARKER = re.compile(r"null /\*" + re.escape(DATA_MARKER) + r"([A-Za-z0-9_]+)\*/")


def with_layer_data(script: str, m: folium.Map) -> str:
    """The rendered ``script`` of ``m`` with each inline layer's features where its marker stands (one pass)."""
    layers = {layer.get_name(): layer.data_json for layer in _styled_layers(m)}
    return _DATA_MARKER.sub(lambda found: layers.get(found.group(1), found.group(0)), script)


def _styled_layers(element) -> list[StyledGeoJson]:
    """The :class:`StyledGeoJson` layers among ``element``'s descendants."""
    found = []
    for child in element._children.values():
        if isinstance(child, StyledGeoJson):
            found.append(child)
        found += _styled_layers(child)
    return found


def _client_style(spec: LayerSpec) -> tuple[dict, str]:
    """Leaflet path options (from :func:`layers.styles.base_symbol`) and which colour the feature's ``_c`` sets."""
    symbol = base_symbol(spec, spec.style.color)
    if spec.geometry == "LineString":
        return {"weight": symbol.stroke_width_px, "opacity": symbol.stroke_opacity}, "stroke"
    if spec.geometry == "Point":
        return {"color": symbol.stroke, "weight": symbol.stroke_width_px, "fillOpacity": symbol.fill_opacity}, "fill"
    if symbol.dash_px:
        dash = " ".join(f"{px:g}" for px in symbol.dash_px)
        return {"weight": symbol.stroke_width_px, "fillOpacity": symbol.fill_opacity, "dashArray": dash}, "both"
    return {"color": symbol.stroke, "weight": symbol.stroke_width_px, "fillOpacity": symbol.fill_opacity}, "fill"


#: Where a popup fetches a feature's kept source attributes (the API item; ``{layer}`` is filled in).
ITEM_URL_TEMPLATE = "/api/collections/{layer}/items/"


def _kept_popup(frame: pd.DataFrame, spec: LayerSpec, properties: pd.DataFrame, client_spec: dict, *, lang: str,
                inline: bool, item_url: str | None) -> None:
    """Kept source attributes in popups: inline (``source_attributes`` objects), or a ``_k`` flag on the features
    that have some and the item URL the popup fetches them from when it opens (pages stay light)."""
    if SOURCE_ATTRIBUTES not in spec.field_names or SOURCE_ATTRIBUTES not in frame.columns:
        return
    has = frame[SOURCE_ATTRIBUTES].notna().to_numpy()
    if not has.any():
        return
    client_spec["keptTitle"] = field_label(spec.field(SOURCE_ATTRIBUTES), lang)
    if inline:
        properties[SOURCE_ATTRIBUTES] = frame[SOURCE_ATTRIBUTES]
    elif item_url:
        properties["_k"] = np.where(has, 1, None)
        client_spec["itemUrl"] = item_url.format(layer=quote(spec.name, safe=""))


def styled_layer(frame: pd.DataFrame, spec: LayerSpec, *, lang: str = "zh", show: bool = True,
                 kept_inline: bool = False, item_url: str | None = ITEM_URL_TEMPLATE) -> StyledGeoJson:
    """A map layer of ``frame`` (in the working CRS) drawn with ``spec``'s registry style.

    Features carry their popup fields (codes as labels in ``lang``), their colour
    ``_c``, for roads their weight ``_w``, for zones their fill opacity ``_fo``;
    parcels also their area in 亩. Popups also show the kept source attributes:
    carried inline with ``kept_inline`` (a preview of records not in the park yet),
    else fetched from ``item_url`` when a popup opens.
    """
    if spec.is_table:
        msg = f"layer {spec.name!r} is a table without geometry; it cannot be drawn on a map"
        raise ValueError(msg)
    properties = popup_values(frame, spec, lang=lang)
    popup_fields = _popup_fields(spec, lang)
    properties["_c"] = style_colors(frame, spec)
    if spec.name == "roads":
        properties["_w"] = frame["grade"].map(ROAD_WEIGHT_PX).astype(float)
    if spec.name == "zones":
        properties["_fo"] = np.where(frame["kind"].isin(OUTLINE_ONLY_ZONES), 0.0, spec.style.fill_opacity)
    if spec.geometry == "Polygon" and spec.name == "parcels":
        require_projected(frame, what="parcel area")
        properties["_area_mu"] = m2_to_mu(shapely.area(frame.geometry.to_numpy())).round(2)
        popup_fields.append({"name": "_area_mu", "label": _text("area", lang), "unit": _text("mu", lang)})
    client_spec: dict = {}
    _kept_popup(frame, spec, properties, client_spec, lang=lang, inline=kept_inline, item_url=item_url)
    web = to_web(frame[[spec.id_field, "geometry"]])
    web = web.join(properties.drop(columns=[spec.id_field], errors="ignore"))
    texts = feature_texts(
        web,
        id_field=spec.id_field,
        properties=[c for c in web.columns if c not in ("geometry",)],
        precision=WEB_PRECISION,
    )
    data_json = script_safe(f'{{"type":"FeatureCollection","features":[{",".join(texts)}]}}')
    style, target = _client_style(spec)
    client_spec.update({
        "title": spec.label(lang),
        "popupFields": popup_fields,
        "style": style,
        "colorTarget": target,
        "radius": spec.style.radius_px,
    })
    return StyledGeoJson(spec.name, data_json, client_spec, name=spec.label(lang), n_features=len(texts), show=show)


# -- vector tiles for large layers -------------------------------------------------------------------


@dataclass(frozen=True)
class TileSettings:
    """When and how a layer goes to the page as vector tiles instead of inline GeoJSON.

    Parameters
    ----------
    url_template
        Tile URL with ``{layer}`` and Leaflet's ``{z}``, ``{x}``, ``{y}``.
    item_url_template
        URL of one item's attributes with ``{layer}``; the feature id is appended (popups).
    threshold
        Layers with more features than this are tiled.
    min_zoom
        Zoom below which tiled layers are not drawn (a tile there would hold too much).
    """

    url_template: str = "/tiles/{layer}/{z}/{x}/{y}.pbf"
    item_url_template: str = ITEM_URL_TEMPLATE
    threshold: int = 10_000
    min_zoom: int = 12


#: The property tiles carry with each parcel's area (in 亩, from the working CRS).
TILE_AREA_PROPERTY = "_area_mu"


def tile_columns(spec: LayerSpec) -> list[str]:
    """Attributes each tile feature carries: the id (popups fetch the rest by id) and what styling reads."""
    columns = [spec.id_field]
    if spec.style.by_field:
        columns.append(spec.style.by_field)
    if spec.style.by_field == "land_use":
        columns.append("land_use_std")
    if spec.name == "roads":
        columns.append("grade")
    if spec.name == "zones":
        columns.append("kind")
    return list(dict.fromkeys(columns))


#: The property naming each tile feature's layer (several layers share one tile set and one click handler).
TILE_LAYER_PROPERTY = "_layer"


def tile_properties(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """The tile attributes of each feature (:func:`tile_columns`, its layer, parcels' area in 亩), aligned with ``frame``."""
    properties = frame[tile_columns(spec)].copy()
    properties[TILE_LAYER_PROPERTY] = spec.name
    if spec.name == "parcels":
        require_projected(frame, what="parcel area")
        properties[TILE_AREA_PROPERTY] = m2_to_mu(shapely.area(frame.geometry.to_numpy())).round(2)
    return properties


def _client_palette(frame: pd.DataFrame, spec: LayerSpec) -> tuple[dict[str, str], str]:
    """Colour by style value (``std|code`` for land use) for the values present, and the fallback colour."""
    by_field = spec.style.by_field
    if by_field is None:
        return {}, spec.style.color
    if by_field == "land_use":
        pairs = frame[["land_use", "land_use_std"]].drop_duplicates()
        keys = pairs["land_use_std"].fillna(landuse.STD_2023) + "|" + pairs["land_use"].fillna("")
        return dict(zip(keys, land_use_colors(pairs))), landuse.UNKNOWN_COLOR
    return {code.value: code.color or spec.style.color for code in spec.field(by_field).codes}, landuse.UNKNOWN_COLOR


def _client_labels(frame: pd.DataFrame, spec: LayerSpec, lang: str) -> tuple[dict, dict]:
    """Labels the browser shows in popups: code labels per coded popup field, land-use class names by ``std|code``."""
    code_labels = {
        name: {code.value: code_label(code, lang) for code in spec.field(name).codes}
        for name in spec.popup_fields if spec.field(name).codes
    }
    land_use_labels = {}
    if "land_use" in spec.popup_fields:
        pairs = frame[["land_use", "land_use_std"]].dropna(subset=["land_use"]).drop_duplicates()
        keys = pairs["land_use_std"].fillna(landuse.STD_2023) + "|" + pairs["land_use"]
        land_use_labels = dict(zip(keys, _land_use_labels(pairs, lang)))
    return code_labels, land_use_labels


class TiledLayer(JSCSSMixin, Layer):
    """A layer drawn from vector tiles (Leaflet.VectorGrid), styled and with popups like :class:`StyledGeoJson`.

    Tile features carry their id and style fields; colours come from a palette sent
    once with the page, popups fetch the feature's attributes by id.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = parkatlas.tileLayer(
                {{ this.key|tojson }},
                {{ this.client_spec|tojson }},
                {{ this.url|tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, key: str, url: str, spec: dict, *, name: str, n_features: int, asset_base_url: str,
                 show: bool = True):
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "TiledLayer"
        self.key = key
        self.url = url
        self.client_spec = spec
        self.n_features = n_features
        base = asset_base_url.rstrip("/")
        self.default_js = [("leaflet_vectorgrid", f"{base}/{VECTORGRID_JS}"), ("parkatlas_tiles", f"{base}/{TILES_JS}")]


def tiled_layer(frame: pd.DataFrame, spec: LayerSpec, *, tiles: TileSettings, lang: str = "zh",
                asset_base_url: str = "/static", show: bool = True) -> TiledLayer:
    """A vector-tile layer of ``frame`` with ``spec``'s registry style and popups (see :class:`TiledLayer`)."""
    if spec.is_table:
        msg = f"layer {spec.name!r} is a table without geometry; it cannot be drawn on a map"
        raise ValueError(msg)
    style, target = _client_style(spec)
    palette, default_color = _client_palette(frame, spec)
    code_labels, land_use_labels = _client_labels(frame, spec, lang)
    popup_fields = _popup_fields(spec, lang)
    if spec.name == "parcels":
        popup_fields.append({"name": TILE_AREA_PROPERTY, "label": _text("area", lang), "unit": _text("mu", lang)})
    client_spec = {
        "title": spec.label(lang),
        "popupFields": popup_fields,
        "style": style,
        "colorTarget": target,
        "radius": spec.style.radius_px,
        "idField": spec.id_field,
        "geometry": spec.geometry,
        "itemUrl": tiles.item_url_template.format(layer=quote(spec.name, safe="")),
        "minZoom": tiles.min_zoom,
        "colorField": spec.style.by_field,
        "stdField": "land_use_std" if spec.style.by_field == "land_use" else None,
        "defaultStd": landuse.STD_2023,
        "palette": palette,
        "defaultColor": default_color,
        "weightField": "grade" if spec.name == "roads" else None,
        "weights": ROAD_WEIGHT_PX if spec.name == "roads" else {},
        "outlineField": "kind" if spec.name == "zones" else None,
        "outlineOnly": list(OUTLINE_ONLY_ZONES) if spec.name == "zones" else [],
        "codeLabels": code_labels,
        "landUseLabels": land_use_labels,
    }
    if SOURCE_ATTRIBUTES in spec.field_names:
        client_spec["keptTitle"] = field_label(spec.field(SOURCE_ATTRIBUTES), lang)
    url = tiles.url_template.replace("{layer}", quote(spec.name, safe=""))
    return TiledLayer(spec.name, url, client_spec, name=spec.label(lang), n_features=len(frame),
                      asset_base_url=asset_base_url, show=show)


def tiles_needed(layers: Mapping[str, pd.DataFrame], tiles: TileSettings | None) -> bool:
    """Whether a map of ``layers`` goes to tiles: some spatial layer has more features than the threshold."""
    return tiles is not None and any(
        len(frame) > tiles.threshold for name, frame in layers.items() if name in REGISTRY and not REGISTRY[name].is_table
    )


def add_park_layers(m: folium.Map, layers: Mapping[str, pd.DataFrame], *, lang: str = "zh",
                    tiles: TileSettings | None = None, asset_base_url: str = "/static",
                    popup_fields: Mapping[str, Sequence[str]] | None = None) -> list[pd.DataFrame]:
    """Add every non-empty spatial layer of ``layers`` to ``m`` in drawing order; the layers drawn.

    When one layer is above the tile threshold, all of them go to the page as vector
    tiles of one tile set (``/tiles/zones,parcels,…/{z}/{x}/{y}.pbf``): one canvas per
    tile keeps the drawing order and lets a click reach whichever feature is on top,
    which separate tile layers or tiles under an inline layer would not.
    ``popup_fields`` replaces the registry's popup fields of the layers it names.
    """
    popup_fields = popup_fields or {}
    drawable = [(name, replace(spec, popup_fields=tuple(popup_fields[name])) if name in popup_fields else spec)
                for name, spec in REGISTRY.items()
                if not spec.is_table and layers.get(name) is not None and len(layers[name])]
    group_tiles = None
    if tiles_needed({name: layers[name] for name, _ in drawable}, tiles):
        names = ",".join(quote(name, safe="") for name, _ in drawable)
        group_tiles = TileSettings(url_template=tiles.url_template.replace("{layer}", names),
                                   item_url_template=tiles.item_url_template, threshold=tiles.threshold,
                                   min_zoom=tiles.min_zoom)
    drawn = []
    for name, spec in drawable:
        frame = layers[name]
        if group_tiles is not None:
            tiled_layer(frame, spec, tiles=group_tiles, lang=lang, asset_base_url=asset_base_url).add_to(m)
        else:
            styled_layer(frame, spec, lang=lang,
                         item_url=tiles.item_url_template if tiles else ITEM_URL_TEMPLATE).add_to(m)
        drawn.append(frame)
    return drawn


def layers_bounds(layers: Sequence[pd.DataFrame]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` in degrees of the non-empty layers, or ``None``."""
    return _union_bounds([web_bounds(frame) for frame in layers if len(frame)])


def boxes_bounds(boxes: Sequence[tuple[float, float, float, float] | None], crs) -> list[list[float]] | None:
    """:func:`layers_bounds` of boxes ``(minx, miny, maxx, maxy)`` in ``crs`` (a store's extents; ``None``: empty)."""
    return _union_bounds([box_web_bounds(box, crs) for box in boxes if box is not None])


def _union_bounds(boxes: Sequence[np.ndarray]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` covering the finite ``[west, south, east, north]`` boxes, or ``None``."""
    boxes = [box for box in boxes if np.all(np.isfinite(box))]
    if not boxes:
        return None
    stacked = np.vstack(boxes)
    west, south = stacked[:, 0].min(), stacked[:, 1].min()
    east, north = stacked[:, 2].max(), stacked[:, 3].max()
    return [[float(south), float(west)], [float(north), float(east)]]


def fit_to_layers(m: folium.Map, layers: Sequence[pd.DataFrame], *, bounds: list[list[float]] | None = None
                  ) -> folium.Map:
    """Start the map on the extent of ``layers``, or on ``bounds`` (``[[south, west], [north, east]]``) when given
    (left unchanged when all are empty)."""
    bounds = bounds or layers_bounds(layers)
    if bounds is not None:
        m.location = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        # Fitted as the map is made, before any layer is added: a map made with a view (folium's zoom 1 when it
        # had no location) and fitted afterwards has every tile layer fetch tiles for the first view in vain.
        m.start_bounds = bounds
    return m


#: What a park map opens on: the parcels and the park boundary (constraint zones far out are left to pan to), as
#: (layer, the field values its records there have).
FOCUS: tuple[tuple[str, Mapping[str, str]], ...] = (("parcels", {}), ("zones", {"kind": "park_boundary"}))


def focus_layers(layers: Mapping[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """The records of ``layers`` a park map opens on (:data:`FOCUS`)."""
    focus = []
    for name, values in FOCUS:
        frame = layers.get(name)
        if frame is None or not len(frame):
            continue
        keep = with_values(frame, values)
        if keep.any():
            focus.append(frame[keep] if not keep.all() else frame)
    return focus


def tiled_map_fields(spec: LayerSpec) -> list[str]:
    """The fields of layer ``spec`` that its tiled map (:func:`tiled_layer`), the legend and the map's opening view
    read from its frame: a large park's map needs no geometry in the page (its tiles carry it)."""
    names = [spec.style.by_field, *(["land_use_std"] if spec.style.by_field == "land_use" else []),
             *(name for layer, values in FOCUS if layer == spec.name for name in values),
             *(field_name for layer, field_name, _ in LEGEND_FIELDS if layer == spec.name)]
    return list(dict.fromkeys(name for name in names if name is not None and name in spec.field_names))


def add_layer_control(m: folium.Map, *, collapsed: bool = False) -> folium.Map:
    """Add the layer control; call it after every layer (it lists the map's layers when rendered)."""
    folium.LayerControl(position="topright", collapsed=collapsed).add_to(m)
    return m


def overview_map(
    layers: Mapping[str, pd.DataFrame],
    *,
    lang: str = "zh",
    basemap: str = "none",
    asset_base_url: str = "/static",
    tianditu_key: str = "",
    tiles: TileSettings | None = None,
    popup_fields: Mapping[str, Sequence[str]] | None = None,
    start_bounds: list[list[float]] | None = None,
) -> ParkMap:
    """The overview map: every non-empty spatial layer of the registry, in drawing order, opened on the park.

    Parameters
    ----------
    layers
        Validated layers by name, in the park's working CRS (tables are ignored).
    lang
        ``zh`` (default) or ``en`` for layer names, popups and code labels.
    basemap
        ``none`` (offline: no tile request), ``osm`` or ``tianditu``.
    asset_base_url
        URL of the app's static root, where Leaflet and our helper script are served.
    tianditu_key
        The Tianditu key, needed for ``basemap="tianditu"``.
    tiles
        Where the app serves vector tiles; layers above its threshold are drawn from
        tiles instead of inline GeoJSON, so the page does not grow with the park.
    popup_fields
        Popup fields by layer, instead of the registry's (the public view shows only public fields).
    start_bounds
        Where the map opens (``[[south, west], [north, east]]``), for ``layers`` given without geometry (the
        :func:`tiled_map_fields` of a park drawn from tiles); by default the extent of :func:`focus_layers`.
    """
    m = ParkMap(asset_base_url=asset_base_url, lang=lang, zoom_start=14)
    add_basemap(m, basemap, lang=lang, tianditu_key=tianditu_key)
    drawn = add_park_layers(m, layers, lang=lang, tiles=tiles, asset_base_url=asset_base_url,
                            popup_fields=popup_fields)
    fit_to_layers(m, [] if start_bounds else focus_layers(layers) or drawn, bounds=start_bounds)
    add_layer_control(m)
    return m


# -- legend ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegendItem:
    label: str
    color: str


@dataclass(frozen=True)
class LegendSection:
    """One block of the legend: a layer, how it is drawn (``fill``, ``line``, ``point``) and its classes."""

    layer: str
    title: str
    shape: str
    items: list[LegendItem] = field(default_factory=list)


def _present_codes(frame: pd.DataFrame, spec: LayerSpec, field_name: str, lang: str) -> list[LegendItem]:
    present = set(frame[field_name].dropna().unique())
    return [
        LegendItem(code_label(code, lang), code.color or spec.style.color)
        for code in spec.field(field_name).codes
        if code.value in present
    ]


def _land_use_items(parcels: pd.DataFrame, lang: str) -> list[LegendItem]:
    pairs = parcels[["land_use", "land_use_std"]].dropna(subset=["land_use"]).drop_duplicates()
    standards = pairs["land_use_std"].fillna(landuse.STD_2023)
    items: dict[tuple[str, str], tuple[str, str]] = {}
    for code, standard in sorted(zip(pairs["land_use"], standards)):
        found = landuse.land_use_class(code, standard)
        if found is None:
            label, color = f"{code}", landuse.UNKNOWN_COLOR
        else:
            label, color = f"{found.code} {found.label_en if lang == 'en' else found.label_zh}", found.color
        items.setdefault((label, color), (label, color))
    return [LegendItem(label, color) for label, color in items.values()]


#: The legend's sections: (layer, the field whose classes it lists, how the layer is drawn).
LEGEND_FIELDS = (("parcels", "land_use", "fill"), ("buildings", "use", "fill"), ("roads", "status", "line"),
                 ("pipelines", "network", "line"), ("facilities", "kind", "point"), ("zones", "kind", "outline"))


def legend(layers: Mapping[str, pd.DataFrame], *, lang: str = "zh") -> list[LegendSection]:
    """Legend of the classes present in the data: land use, building use, road status, networks, facilities.

    Colours and labels come from the registry (and the land-use palette), the
    same sources the map's features are coloured from.
    """
    sections = []
    for name, field_name, shape in LEGEND_FIELDS:
        frame = layers.get(name)
        if frame is None or not len(frame):
            continue
        spec = get_layer(name)
        if field_name == "land_use":
            items = _land_use_items(frame, lang)
        else:
            items = _present_codes(frame, spec, field_name, lang)
        if items:
            title = f"{spec.label(lang)} · {field_label(spec.field(field_name), lang)}"
            sections.append(LegendSection(name, title, shape, items))
    return sections


# -- embedding ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapComponents:
    """The parts of a rendered map a page embeds: ``header`` (in <head>), ``html`` (the map element),
    ``script`` (after it)."""

    header: str
    html: str
    script: str


_REMOTE_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.IGNORECASE)
_REMOTE_CSS = re.compile(r"""url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.IGNORECASE)


def _is_local(url: str) -> bool:
    """A path on this app: no scheme and no network location (``//host``)."""
    return not re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", url, re.IGNORECASE)


def check_local_assets(m: folium.Map) -> None:
    """Raise :class:`NonLocalAssetError` if any script or stylesheet of the rendered map is not local.

    Checks every asset link of the map and its elements, and any ``src``/``href``/
    ``url()`` in the rendered header and map element. Tile URLs of a configured
    basemap live in the script and are requests by design, not assets.
    """
    figure = m.get_root()
    urls = [getattr(child, "url", "") for child in figure.header._children.values()]
    remote = [url for url in urls if url and not _is_local(url)]
    for part in (figure.header.render(), figure.html.render()):
        remote += _REMOTE_REFERENCE.findall(part) + _REMOTE_CSS.findall(part)
    if remote:
        msg = f"the map references assets outside the app: {', '.join(map(str, remote))}; serve them from static/"
        raise NonLocalAssetError(msg)


def map_components(m: folium.Map) -> MapComponents:
    """Render ``m`` and return its header, html and script parts, checked to be offline-safe."""
    figure = m.get_root()
    figure.render()
    check_local_assets(m)
    return MapComponents(figure.header.render(), figure.html.render(), with_layer_data(figure.script.render(), m))


def rendered_feature_counts(m: folium.Map) -> dict[str, int]:
    """Number of features in each styled layer of ``m``, by layer name."""
    return {child.key: child.n_features for child in m._children.values() if isinstance(child, StyledGeoJson)}


def tiled_layer_names(m: folium.Map) -> list[str]:
    """Names of the layers of ``m`` drawn from vector tiles."""
    return [child.key for child in m._children.values() if isinstance(child, TiledLayer)]


__all__ = [
    "BASEMAPS",
    "BasemapTiles",
    "LegendItem",
    "OUTLINE_ONLY_ZONES",
    "ROAD_WEIGHT_PX",
    "LegendSection",
    "MapComponents",
    "NonLocalAssetError",
    "ParkMap",
    "StyledGeoJson",
    "TILE_AREA_PROPERTY",
    "TILE_LAYER_PROPERTY",
    "TileSettings",
    "TiledLayer",
    "add_basemap",
    "basemap_tiles",
    "add_layer_control",
    "check_local_assets",
    "fit_to_layers",
    "FOCUS",
    "LEGEND_FIELDS",
    "boxes_bounds",
    "focus_layers",
    "land_use_colors",
    "layers_bounds",
    "legend",
    "map_components",
    "overview_map",
    "popup_values",
    "rendered_feature_counts",
    "style_colors",
    "styled_layer",
    "tile_columns",
    "tile_properties",
    "tiled_layer",
    "tiled_layer_names",
    "tiled_map_fields",
    "add_park_layers",
    "tiles_needed",
]
