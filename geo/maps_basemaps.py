"""The optional basemaps under the park's layers: none (offline, the default), OSM, Tianditu, Gaode.

Nothing is fetched unless ``PARKATLAS_BASEMAP`` names a basemap. Each basemap is one or more
base layers (the layer control's choice), each of tile layers drawn together (a Tianditu map and
its labels). Tianditu offers its vector map and its imagery (``vec_w`` + ``cva_w``, ``img_w`` +
``cia_w``: two bases). Gaode's tiles (``webrd``) are drawn in GCJ-02, the offset Chinese web maps
must use: under them the map runs in :data:`GCJ02_CRS`, a Web Mercator whose projection applies the
GCJ-02 shift (``static/js/parkatlas-gcj02.js``, the maths of :mod:`geo.gcj02`), so our EPSG:4326
layers, the measure tool and the print's bbox stay in WGS84 while they are drawn where Gaode's map
shows the same places. Layers served as vector tiles (parks above the tile threshold) are cut in the
unshifted grid and are not shifted under Gaode.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import folium

BASEMAPS = ("none", "osm", "tianditu", "gaode")

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
#: Tianditu WMTS (DOMAIN.md §9.4); {layer} is vec/img (base) or cva/cia (their labels), grid w = Web Mercator.
TIANDITU_TILES = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTRIBUTION = "&copy; 天地图 Tianditu"
#: Gaode (AutoNavi) road map tiles, style 8 (roads and labels), in GCJ-02 Web Mercator; no key.
GAODE_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
GAODE_ATTRIBUTION = "&copy; 高德地图 AutoNavi"
#: The Leaflet CRS (``L.CRS.<name>``) of maps over GCJ-02 tiles, and the script defining it.
GCJ02_CRS = "ParkAtlasGCJ02"
GCJ02_JS = "js/parkatlas-gcj02.js"

_TEXT = {
    "basemap_osm": ("OpenStreetMap 底图", "OpenStreetMap"),
    "basemap_tianditu": ("天地图", "Tianditu"),
    "basemap_tianditu_labels": ("天地图注记", "Tianditu labels"),
    "basemap_tianditu_imagery": ("天地图影像", "Tianditu imagery"),
    "basemap_tianditu_imagery_labels": ("天地图影像注记", "Tianditu imagery labels"),
    "basemap_gaode": ("高德地图", "Gaode (AutoNavi)"),
}


def _text(key: str, lang: str) -> str:
    return _TEXT[key][1 if lang == "en" else 0]


@dataclass(frozen=True)
class BasemapTiles:
    """One tile layer of a basemap: its name, XYZ URL template (``{s}`` a subdomain), zoom limit, attribution.

    ``base`` names the base layer it belongs to (its labels share it); ``datum`` is ``gcj02`` for tiles
    drawn in GCJ-02 (Gaode), which our layers must be shifted to.
    """

    name: str
    url: str
    attribution: str
    max_zoom: int
    subdomains: str = ""
    overlay: bool = False
    base: str = ""
    datum: str = "wgs84"

    @property
    def single_url(self) -> str:
        """The template on its first subdomain, for clients without subdomains (QGIS's XYZ layers)."""
        return self.url.replace("{s}", self.subdomains[:1]) if self.subdomains else self.url


def basemap_tiles(basemap: str, *, lang: str = "zh", tianditu_key: str = "") -> list[BasemapTiles]:
    """The tile layers of the configured basemap: none for ``none``, one for ``osm`` and ``gaode``, four for
    ``tianditu`` (vector map and labels, imagery and labels), the default base first.

    Tianditu needs a key (DOMAIN.md §9.4: ``tk`` mandatory since 2019); it is
    read from configuration, never from code.
    """
    if basemap not in BASEMAPS:
        msg = f"basemap must be one of {', '.join(BASEMAPS)}, got {basemap!r}"
        raise ValueError(msg)
    if basemap == "osm":
        name = _text("basemap_osm", lang)
        return [BasemapTiles(name, OSM_TILES, OSM_ATTRIBUTION, 19, base=name)]
    if basemap == "gaode":
        name = _text("basemap_gaode", lang)
        return [BasemapTiles(name, GAODE_TILES, GAODE_ATTRIBUTION, 18, subdomains="1234", base=name, datum="gcj02")]
    if basemap == "tianditu":
        if not tianditu_key:
            msg = "basemap 'tianditu' needs a key: set PARKATLAS_TIANDITU_KEY (apply at lbs.tianditu.gov.cn)"
            raise ValueError(msg)
        key = quote(tianditu_key, safe="")
        layers = (("vec", "basemap_tianditu", False, "basemap_tianditu"),
                  ("cva", "basemap_tianditu_labels", True, "basemap_tianditu"),
                  ("img", "basemap_tianditu_imagery", False, "basemap_tianditu_imagery"),
                  ("cia", "basemap_tianditu_imagery_labels", True, "basemap_tianditu_imagery"))
        return [BasemapTiles(_text(name, lang), TIANDITU_TILES.format(layer=layer, key=key), TIANDITU_ATTRIBUTION,
                             18, subdomains="01234567", overlay=overlay, base=_text(base, lang))
                for layer, name, overlay, base in layers]
    return []


def default_base(tiles: list[BasemapTiles]) -> list[BasemapTiles]:
    """The tiles of the first base only (desktop clients get one basemap; QGIS cannot shift to GCJ-02)."""
    first = tiles[0].base if tiles else ""
    return [t for t in tiles if t.base == first and t.datum == "wgs84"]


def add_basemap(m: folium.Map, basemap: str, *, lang: str = "zh", tianditu_key: str = "",
                asset_base_url: str = "/static") -> folium.Map:
    """Add the configured basemap (:func:`basemap_tiles`): ``none`` makes no tile request at all.

    Each base is a group of its tile layers, a choice of the layer control; the first is shown. Over
    GCJ-02 tiles the map's CRS becomes :data:`GCJ02_CRS` (its script is added to the map's assets).
    """
    tiles = basemap_tiles(basemap, lang=lang, tianditu_key=tianditu_key)
    bases = list(dict.fromkeys(t.base for t in tiles))
    for number, base in enumerate(bases):
        group = folium.FeatureGroup(name=base, overlay=False, show=number == 0).add_to(m)
        for layer in (t for t in tiles if t.base == base):
            options = {"subdomains": layer.subdomains} if layer.subdomains else {}
            folium.TileLayer(layer.url, attr=layer.attribution, name=layer.name, max_zoom=layer.max_zoom,
                             overlay=layer.overlay, control=False, **options).add_to(group)
    if any(t.datum == "gcj02" for t in tiles):
        m.crs = GCJ02_CRS
        base_url = getattr(m, "asset_base_url", asset_base_url).rstrip("/")  # a ParkMap knows where assets are
        m.default_js = [*m.default_js, ("parkatlas_gcj02", f"{base_url}/{GCJ02_JS}")]
    return m


__all__ = ["BASEMAPS", "BasemapTiles", "GAODE_TILES", "GCJ02_CRS", "OSM_TILES", "TIANDITU_TILES", "add_basemap",
           "basemap_tiles", "default_base"]
