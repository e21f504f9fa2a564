"""The expansion page in a real headless Chromium: draw a polygon, see the developable area come back.

The app serves the expansion test park (``expansion_helpers``) on 127.0.0.1. The
polygon is drawn with the mouse through Leaflet.draw's polygon tool inside the
expansion area, clear of the farmland, so its net developable area equals its own
area, computed here from the drawn coordinates. Every request must stay on 127.0.0.1
and no console error may be logged.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

import pytest
import shapely
from browser_helpers import launch, loopback_page, serve
from conftest import X0, Y0
from expansion_helpers import write_park
from playwright import sync_api
from pyproj import Transformer

from geo.units import M2_PER_MU

pytestmark = pytest.mark.browser

TO_LONLAT = Transformer.from_crs(4549, 4326, always_xy=True)
TO_LOCAL = Transformer.from_crs(4326, 4549, always_xy=True)
#: The drawn quadrilateral, in local metres: inside EXP1 and clear of the farmland.
CORNERS = [(0, 300), (450, 320), (420, 700), (-20, 650)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app import create_app

    store = write_park(tmp_path_factory.mktemp("expansion-browser") / "park.gpkg")
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "BASEMAP": "none", "SECRET_KEY": "test"})
    with serve(app) as url:
        yield SimpleNamespace(url=url)


@pytest.fixture(scope="module")
def session(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        with loopback_page(browser, server.url, viewport={"width": 1400, "height": 900}) as tab:
            tab.page.goto(server.url + "/expansion", wait_until="networkidle")
            tab.page.wait_for_function("() => window.parkatlas && window.parkatlas.expansion && "
                                       "document.getElementById('expansion-result').dataset.state === 'done'")
            yield tab
        browser.close()


def test_the_zone_result_is_drawn_on_load(session):
    page = session.page
    assert page.evaluate("() => parkatlas.map.hasLayer(parkatlas.layers.exp_net)") is True
    shown = float(page.locator("#exp-net-mu").get_attribute("data-mu"))
    assert shown == pytest.approx(930.0)


def test_the_draw_tool_speaks_chinese_on_a_chinese_page(session):
    """Leaflet.draw's buttons, actions and tooltips in Chinese (L.drawLocal from static/js/parkatlas-draw-zh.js)."""
    page = session.page
    polygon = page.locator(".leaflet-draw-draw-polygon")
    assert polygon.get_attribute("title") == "绘制多边形"
    assert page.locator(".leaflet-draw-draw-rectangle").get_attribute("title") == "绘制矩形"
    polygon.click()
    actions = page.locator(".leaflet-draw-actions").first.inner_text()
    assert "完成" in actions and "删除最后一点" in actions and "取消" in actions and "Finish" not in actions
    assert page.locator(".leaflet-draw-tooltip").inner_text().strip() == "单击开始绘制范围。"
    page.get_by_role("link", name="取消").first.click()  # leave the tool as it was for the next test
    assert page.locator(".leaflet-draw-tooltip").count() == 0


def test_drawing_a_polygon_returns_its_developable_area(session):
    page = session.page
    box = page.locator(".parkatlas-map").bounding_box()
    pixels = []
    for x, y in CORNERS:
        lon, lat = TO_LONLAT.transform(X0 + x, Y0 + y)
        point = page.evaluate(f"() => parkatlas.map.latLngToContainerPoint([{lat}, {lon}])")
        pixels.append((box["x"] + point["x"], box["y"] + point["y"]))
    page.locator(".leaflet-draw-draw-polygon").click()
    for px, py in pixels:
        page.mouse.click(px, py)
        page.wait_for_timeout(150)
    page.mouse.click(*pixels[0])  # closing on the first vertex finishes the polygon
    page.wait_for_function("() => parkatlas.expansion.area !== null && !parkatlas.expansion.busy && "
                           "document.getElementById('expansion-result').dataset.state === 'done'")
    drawn = page.evaluate("() => parkatlas.expansion.area")
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
    ring = [TO_LOCAL.transform(lon, lat) for lon, lat in drawn["coordinates"][0]]
    expected_mu = shapely.Polygon(ring).area / M2_PER_MU
    shown = float(page.locator("#exp-net-mu").get_attribute("data-mu"))
    assert shown == pytest.approx(expected_mu, abs=0.01)
    assert shown == pytest.approx(shapely.Polygon(CORNERS).area / M2_PER_MU, rel=0.02)  # the pixels' rounding
    assert page.evaluate("() => parkatlas.expansion.last.source.kind") == "drawn"
    assert page.evaluate("() => parkatlas.map.hasLayer(parkatlas.layers.exp_net)") is True
    assert page.locator("#expansion-result .approval-level").inner_text().strip() != ""


def _shown_area(page) -> shapely.Geometry:
    """The editable drawing's area (GeoJSON in the page's state) as a shapely geometry."""
    return shapely.from_geojson(json.dumps(page.evaluate("() => parkatlas.expansion.area")))


def _wait_reopened(page, name: str) -> None:
    page.wait_for_function("(name) => window.parkatlas && window.parkatlas.expansion && "
                           "parkatlas.expansion.scenario === name && "
                           "document.getElementById('expansion-result').dataset.state === 'done'", arg=name)


def test_a_saved_scenario_stays_on_the_map_after_saving_a_reload_and_reopening(session, server):
    """Save the drawn area: the page reopens the scenario (area, plots drawn, figures formatted); a reload keeps
    it; from the plain page its "在地图上打开" link draws it again, the same area as saved."""
    page = session.page
    drawn = _shown_area(page)
    page.fill("#exp-save input[name=name]", "画的方案")
    page.click("#exp-save button[type=submit]")
    page.wait_for_url("**/expansion?scenario=*")
    _wait_reopened(page, "画的方案")
    saved = json.loads(urlopen(server.url + "/api/expansion/scenarios/" + quote("画的方案")).read())
    for _ in ("after saving", "after a reload"):
        assert shapely.equals_exact(shapely.normalize(_shown_area(page)),
                                    shapely.normalize(shapely.from_geojson(json.dumps(saved["scenario"]["geometry"]))),
                                    tolerance=1e-9)
        assert shapely.equals_exact(shapely.normalize(_shown_area(page)), shapely.normalize(drawn), tolerance=1e-8)
        assert page.evaluate("() => parkatlas.map.hasLayer(parkatlas.layers.exp_scenario_area)") is True
        assert page.input_value("#exp-save input[name=name]") == "画的方案"
        assert "画的方案" in page.locator("#exp-reopened").inner_text()
        cost = page.locator("#expansion-result [data-figure=cost_wan]").inner_text()
        assert cost == f"{saved['figures']['cost_wan']:,.1f}"  # thousands separators, one decimal
        page.reload(wait_until="networkidle")
        _wait_reopened(page, "画的方案")
    page.goto(server.url + "/expansion", wait_until="networkidle")
    page.wait_for_function("() => document.getElementById('expansion-result').dataset.state === 'done'")
    assert page.evaluate("() => parkatlas.expansion.area") is None
    row = page.locator("#scenario-table tr", has_text="画的方案")
    row.get_by_role("link", name="在地图上打开").click()
    _wait_reopened(page, "画的方案")
    assert shapely.equals_exact(shapely.normalize(_shown_area(page)), shapely.normalize(drawn), tolerance=1e-8)


def test_the_heading_stays_on_one_line_on_a_narrow_screen(session):
    page = session.page
    page.set_viewport_size({"width": 760, "height": 900})
    try:
        lines = page.evaluate("""() => {
            const h1 = document.querySelector('.expansion .overview-head h1');
            const line = parseFloat(getComputedStyle(h1).lineHeight) || parseFloat(getComputedStyle(h1).fontSize) * 1.3;
            return h1.getBoundingClientRect().height / line;
        }""")
        assert lines < 1.5
    finally:
        page.set_viewport_size({"width": 1400, "height": 900})


def test_a_refused_area_shows_the_message(session):
    page = session.page
    page.evaluate("() => parkatlas.expansion.post({type: 'Point', coordinates: [121.4, 28.66]})")
    page.wait_for_function("() => document.getElementById('expansion-result').dataset.state === 'error'")
    assert "Polygon or MultiPolygon" in page.locator("#expansion-result .error-message").inner_text()


def test_an_upload_over_the_json_cap_is_refused_before_it_is_sent(session):
    page = session.page
    posts_before = [url for url in session.requests if "/api/expansion" in url]
    page.evaluate("() => document.getElementById('expansion-result').dataset.state = 'idle'")
    big = {"name": "big.geojson", "mimeType": "application/geo+json", "buffer": b" " * (4 * 1024 * 1024 + 1)}
    page.set_input_files("#exp-upload", files=[big])
    page.wait_for_function("() => document.getElementById('expansion-result').dataset.state === 'error'")
    # the page's language is Chinese: the server's own 413 message, with the cap of POST /api/expansion
    assert "最多接受 4,194,304 字节（4 MB）" in page.locator("#expansion-result .error-message").inner_text()
    assert [url for url in session.requests if "/api/expansion" in url] == posts_before


def test_no_console_errors_and_nothing_leaves_the_machine(session):
    # The browser logs the deliberately refused post above as a failed resource; nothing else may be logged.
    refused = [e for e in session.errors if "status of 400" in e]
    assert len(refused) == 1
    assert [e for e in session.errors if e not in refused] == []
    assert session.requests
    assert [url for url in session.requests if urlsplit(url).hostname != "127.0.0.1"] == []
