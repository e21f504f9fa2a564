"""The optional basemaps: exact tile URLs, Tianditu's imagery as a second base, Gaode in the GCJ-02 CRS."""

from __future__ import annotations

import re

import pytest

from geo import maps
from geo import maps_basemaps as basemaps
from geo.maps import map_components


@pytest.fixture
def tiny():
    from conftest import tiny_frames

    from layers.registry import get_layer
    from layers.validate import validate_layer

    return {name: validate_layer(frame, get_layer(name), source="t")[0] for name, frame in tiny_frames().items()}


def script(m) -> str:
    return map_components(m).script


def test_tianditu_gives_the_vector_map_and_the_imagery_each_with_its_labels():
    tiles = basemaps.basemap_tiles("tianditu", tianditu_key="k1", lang="zh")
    assert [(t.name, t.base, t.overlay) for t in tiles] == [
        ("天地图", "天地图", False), ("天地图注记", "天地图", True),
        ("天地图影像", "天地图影像", False), ("天地图影像注记", "天地图影像", True)]
    assert tiles[2].single_url == (
        "https://t0.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img&STYLE=default"
        "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k1")
    assert tiles[3].single_url.startswith("https://t0.tianditu.gov.cn/cia_w/wmts?") and "LAYER=cia" in tiles[3].url
    assert [t.name for t in basemaps.default_base(tiles)] == ["天地图", "天地图注记"]  # QGIS gets the first base


def test_the_two_tianditu_bases_are_choices_of_the_layer_control_the_vector_one_shown(tiny):
    page = script(maps.overview_map(tiny, basemap="tianditu", tianditu_key="k1"))
    bases = re.search(r"base_layers\s*:\s*\{(.*?)\}", page, re.DOTALL).group(1)
    names = [bytes(name, "ascii").decode("unicode_escape") for name in re.findall(r'"([^"]+)"\s*:', bases)]
    assert names == ["天地图", "天地图影像"]
    groups = re.findall(r"var (feature_group_\w+) = L\.featureGroup", page)
    assert len(groups) == 2
    assert f"{groups[0]}.addTo(" in page and f"{groups[1]}.addTo(" not in page  # the imagery waits to be chosen


def test_gaode_tiles_and_the_gcj02_crs(tiny):
    (tiles,) = basemaps.basemap_tiles("gaode", lang="en")
    assert tiles.name == "Gaode (AutoNavi)" and tiles.datum == "gcj02" and tiles.subdomains == "1234"
    assert tiles.single_url == ("https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                                "&x={x}&y={y}&z={z}")
    parts = map_components(maps.overview_map(tiny, basemap="gaode", asset_base_url="/static"))
    assert "crs: L.CRS.ParkAtlasGCJ02" in parts.script
    scripts = re.findall(r'<script src="([^"]+)"', parts.header)
    assert scripts[-1] == "/static/js/parkatlas-gcj02.js"
    assert basemaps.default_base(basemaps.basemap_tiles("gaode")) == []  # QGIS cannot shift: no Gaode there


@pytest.mark.parametrize("basemap", ["none", "osm", "tianditu"])
def test_other_basemaps_keep_web_mercator(tiny, basemap):
    parts = map_components(maps.overview_map(tiny, basemap=basemap, tianditu_key="k"))
    assert "crs: L.CRS.EPSG3857" in parts.script and "gcj02" not in parts.header


def test_the_csp_allows_the_gaode_tile_hosts_as_images(tiny_park, tmp_path):
    from auth_helpers import auth_config

    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "a.sqlite", BASEMAP="gaode"))
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.is.autonavi.com" in csp
    assert "autonavi" not in re.search(r"script-src ([^;]+)", csp).group(1)
