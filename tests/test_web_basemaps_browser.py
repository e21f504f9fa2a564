"""Gaode under the park in a real headless Chromium: our WGS84 layers drawn with the GCJ-02 shift.

The map runs in ``L.CRS.ParkAtlasGCJ02`` (static/js/parkatlas-gcj02.js). Its maths are checked against
geo/gcj02.py at published pairs and at the tiny park; a WGS84 point must land on the Web Mercator
metres of its GCJ-02 position (where Gaode's tiles draw that place), the Gaode tile asked for must be
the one holding P1's GCJ-02 position, and the measure tool, clicking on the shifted map, must still
measure P1 as 100 m × 100 m. Tile requests are aborted (nothing leaves 127.0.0.1); their URLs are read.
"""

from __future__ import annotations

import math
import re

import pytest
from browser_helpers import loopback_page
from map_tools_helpers import click_drawing, latlngs, lonlat, tiny_browser

from geo import gcj02

pytestmark = pytest.mark.browser
EARTH_RADIUS_M = 6378137.0  # Web Mercator's sphere
#: Published WGS84 → GCJ-02 pairs (tests/test_geo_gcj02.py).
PUBLISHED = [((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
             ((116.404, 39.915), (116.41024449916938, 39.91640428150164))]


def mercator(lon: float, lat: float) -> tuple[float, float]:
    return (EARTH_RADIUS_M * math.radians(lon),
            EARTH_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    n = 2 ** zoom
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


@pytest.fixture(scope="module")
def gaode_page(tmp_path_factory):
    with tiny_browser(tmp_path_factory.mktemp("gaode"), BASEMAP="gaode") as (browser, url):
        with loopback_page(browser, url, viewport={"width": 1200, "height": 800}) as tab:
            tab.page.goto(f"{url}/?lang=zh", wait_until="networkidle")
            tab.page.wait_for_function("() => window.parkatlas && parkatlas.map && parkatlas.gcj02")
            yield tab


def test_the_browser_shift_is_geo_gcj02s(gaode_page):
    page = gaode_page.page
    p1 = lonlat([(50, 50)])[0]
    for wgs, published in [*PUBLISHED, (tuple(p1), gcj02.wgs84_to_gcj02(*p1))]:
        shifted = page.evaluate("([lon, lat]) => parkatlas.gcj02.toGcj02(lon, lat)", list(wgs))
        assert shifted == pytest.approx(list(gcj02.wgs84_to_gcj02(*wgs)), abs=1e-9)
        assert shifted == pytest.approx(list(published), abs=1e-9)
        back = page.evaluate("([lon, lat]) => parkatlas.gcj02.toWgs84(lon, lat)", list(shifted))
        assert back == pytest.approx(list(wgs), abs=1e-9)
    assert page.evaluate("() => parkatlas.gcj02.toGcj02(2.35, 48.85)") == [2.35, 48.85]  # outside China: unchanged


def test_a_wgs84_point_is_drawn_at_its_gcj02_position(gaode_page):
    page = gaode_page.page
    lon, lat = lonlat([(50, 50)])[0]
    drawn = page.evaluate("([lat, lon]) => { const p = parkatlas.map.options.crs.projection.project(L.latLng(lat, lon));"
                          " return [p.x, p.y]; }", [lat, lon])
    assert drawn == pytest.approx(list(mercator(*gcj02.wgs84_to_gcj02(lon, lat))), abs=1e-6)
    unshifted = mercator(lon, lat)
    assert math.dist(drawn, unshifted) > 100  # the shift here is hundreds of metres: it matters


def test_the_gaode_tile_holding_p1_is_asked_for(gaode_page):
    page, requests = gaode_page.page, gaode_page.requests
    zoom = page.evaluate("() => parkatlas.map.getZoom()")
    asked = {(int(x), int(y), int(z)) for x, y, z in
             (re.search(r"&x=(\d+)&y=(\d+)&z=(\d+)", url).groups() for url in requests
              if re.match(r"https://webrd0[1-4]\.is\.autonavi\.com/appmaptile\?lang=zh_cn&size=1&scale=1&style=8&", url))}
    lon, lat = lonlat([(50, 50)])[0]
    assert (*tile_of(*gcj02.wgs84_to_gcj02(lon, lat), zoom), zoom) in asked
    assert all(re.match(r"http://127\.0\.0\.1:\d+/|https://webrd0[1-4]\.is\.autonavi\.com/", url) for url in requests)


def test_measuring_on_the_shifted_map_measures_in_wgs84(gaode_page):
    page = gaode_page.page
    page.evaluate("(centre) => parkatlas.map.setView(centre, 18)", latlngs([(150, 50)])[0])
    click_drawing(page, "polygon", [(0, 0), (100, 0), (100, 100), (0, 100)])
    page.wait_for_function("() => parkatlas.lastMeasurement")
    measured = page.evaluate("() => parkatlas.lastMeasurement")
    assert measured["area_m2"] == pytest.approx(10_000, rel=0.01)
    bbox = [float(v) for v in re.search(r"bbox=([^&]+)", page.evaluate("() => parkatlas.printUrl()")).group(1)
            .replace("%2C", ",").split(",")]
    lon, lat = lonlat([(50, 50)])[0]
    assert bbox[0] < lon < bbox[2] and bbox[1] < lat < bbox[3]  # the print's bbox is WGS84, not GCJ-02
