"""The map tools (static/js/parkatlas-tools.js) in a real headless Chromium, on the tiny park (tests/conftest.py)
served by the real app on 127.0.0.1: search and zoom-to, the permalink, identify popups and the attribute table.

The tiny park (working CRS EPSG:4549): parcels P1 (0–100 × 0–100 m), P2 (100–300 × 0–100), P3 (0–100 × 100–200);
building B1 (20–70 × 20–60) inside P1; the park boundary Z1 around them all; roads R1, R2.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import geopandas as gpd
import pytest
import shapely
from browser_helpers import launch, loopback_page, serve
from conftest import TINY_META, WORKING_EPSG, X0, Y0, tiny_frames
from playwright import sync_api

from layers.store import GeoPackageStore

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 900}
#: The attribute table lists at most this many rows in this app (the tiny park has 3 parcels).
TABLE_ROWS = 2
KEPT = '{"types":{"分區類":"text"},"values":{"分區類":"工業區"}}'
READY = "() => window.parkatlas && parkatlas.tools && parkatlas.tools.ready === true"


def web_point(x: float, y: float) -> tuple[float, float]:
    """(lat, lng) of a point given in metres from the tiny park's origin."""
    point = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=WORKING_EPSG).to_crs(4326).iloc[0]
    return point.y, point.x


def web_box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a box given in metres from the tiny park's origin."""
    box = gpd.GeoSeries([shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)], crs=WORKING_EPSG).to_crs(4326)
    return tuple(float(v) for v in box.total_bounds)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app import create_app

    store = GeoPackageStore(tmp_path_factory.mktemp("tools") / "tiny.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    parcels = store.load("parcels")  # P1 keeps a source attribute of its imported file
    parcels.loc[parcels["parcel_id"] == "P1", "source_attributes"] = KEPT
    store.save("parcels", parcels)
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "BASEMAP": "none", "SECRET_KEY": "test",
                      "MAP_TABLE_ROWS": TABLE_ROWS})
    with serve(app) as url:
        yield SimpleNamespace(url=url)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser, server):
    with loopback_page(browser, server.url, viewport=VIEWPORT) as opened:
        opened.open = lambda path: open_map(opened.page, server.url + path)
        yield opened
        assert opened.errors == []
        assert [url for url in opened.requests if urlsplit(url).hostname != "127.0.0.1"] == []


def open_map(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.wait_for_function(READY)


def view(page) -> dict:
    return page.evaluate("""() => { const m = parkatlas.map, c = m.getCenter(), b = m.getBounds();
        return {zoom: m.getZoom(), lat: c.lat, lng: c.lng, west: b.getWest(), south: b.getSouth(),
                east: b.getEast(), north: b.getNorth(),
                visible: Object.keys(parkatlas.layers).filter(k => m.hasLayer(parkatlas.layers[k]))}; }""")


def click_at(page, lat: float, lng: float) -> None:
    """A real mouse click on the map at (lat, lng)."""
    x, y = page.evaluate("([lat, lng]) => { const p = parkatlas.map.latLngToContainerPoint([lat, lng]);"
                         " const r = parkatlas.map.getContainer().getBoundingClientRect();"
                         " return [r.left + p.x, r.top + p.y]; }", [lat, lng])
    page.mouse.click(x, y)


# -- search ---------------------------------------------------------------------------------------------


def test_searching_a_parcel_zooms_to_its_box_and_outlines_it(tab):
    page = tab.page
    tab.open("/")
    before = view(page)
    box = page.get_by_placeholder("搜索编号或名称")
    assert box.get_attribute("aria-label") == "搜索地块、建筑、企业、道路或设施"
    box.fill("p2")
    page.locator(".pa-search-hit").first.wait_for()
    assert page.locator(".pa-search-hit").all_inner_texts() == ["P2 二号地块\n地块"]
    page.locator(".pa-search-hit").first.click()
    west, south, east, north = web_box(100, 0, 300, 100)
    after = view(page)
    assert after["zoom"] > before["zoom"]
    assert after["west"] <= west and after["east"] >= east and after["south"] <= south and after["north"] >= north
    assert after["lat"] == pytest.approx((south + north) / 2, abs=2e-5)
    assert after["lng"] == pytest.approx((west + east) / 2, abs=2e-5)
    # Fitted (the closest zoom the padded box fits at: 19), no closer than the tools' limit of 18.
    fits = page.evaluate(f"() => parkatlas.map.getBoundsZoom([[{south}, {west}], [{north}, {east}]], false, "
                         "L.point(48, 48))")
    assert (fits, after["zoom"]) == (19, 18)
    outline = page.evaluate("() => { const b = parkatlas.tools.highlighted.getBounds();"
                            " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
    assert outline == pytest.approx([west, south, east, north], abs=1e-6)


def test_enter_takes_the_first_hit_and_english_labels_follow_the_language(tab):
    page = tab.page
    tab.open("/?lang=en")
    box = page.get_by_placeholder("Search id or name")
    box.fill("东门")
    box.press("Enter")
    page.wait_for_function("() => parkatlas.tools.highlighted !== undefined")
    assert page.locator(".pa-search-hit").all_inner_texts() == ["F1 东门\nFacilities"]
    assert view(page)["zoom"] == 18  # a point: zoomed no closer than the tools' limit


def test_a_search_without_match_says_so_and_names_stay_text(tab):
    page = tab.page
    tab.open("/")
    box = page.get_by_placeholder("搜索编号或名称")
    box.fill("没有这个")
    page.locator(".pa-search-note").wait_for()
    assert page.locator(".pa-search-note").inner_text() == "未找到匹配的要素"
    box.fill("<b>")
    page.locator(".pa-search-hit").first.wait_for()
    assert page.locator(".pa-search-label").inner_text() == "P1 一号地块 <b>"
    assert page.locator(".pa-search-hits b").count() == 0


# -- permalink ------------------------------------------------------------------------------------------


def test_a_permalink_restores_zoom_centre_and_layers_and_keeps_the_day(tab):
    page = tab.page
    lat, lng = web_point(150, 50)
    tab.open(f"/?as_of=2026-06-30#map=18/{lat:.7f}/{lng:.7f}&layers=parcels,roads")
    restored = view(page)
    assert restored["zoom"] == 18
    assert (restored["lat"], restored["lng"]) == (pytest.approx(lat, abs=1e-6), pytest.approx(lng, abs=1e-6))
    assert restored["visible"] == ["parcels", "roads"]
    checked = page.locator(".leaflet-control-layers-overlays input:checked").count()
    assert checked == 2
    # Panning and switching a layer on rewrite the hash; the day stays in the query.
    page.evaluate("() => parkatlas.map.panBy([200, 0], {animate: false})")
    page.locator(".leaflet-control-layers-overlays label").filter(has_text=re.compile(r"^\s*建筑\s*$")) \
        .locator("input").click()
    page.wait_for_function("() => location.hash.includes('buildings')")
    moved = view(page)
    url = page.evaluate("() => location.href")
    assert "?as_of=2026-06-30#map=18/" in url
    assert url.endswith("&layers=parcels,buildings,roads")
    # The link the page wrote opens on the same view.
    page.goto("about:blank")
    open_map(page, url)
    again = view(page)
    assert again["zoom"] == moved["zoom"] and again["visible"] == ["parcels", "buildings", "roads"]
    assert (again["lat"], again["lng"]) == (pytest.approx(moved["lat"], abs=1e-6),
                                            pytest.approx(moved["lng"], abs=1e-6))


def test_a_link_pasted_over_the_page_moves_the_map(tab):
    page = tab.page
    tab.open("/")
    lat, lng = web_point(45, 40)
    page.evaluate(f"() => {{ location.hash = 'map=19/{lat:.7f}/{lng:.7f}&layers=buildings'; }}")
    page.wait_for_function("() => parkatlas.map.getZoom() === 19")
    assert view(page)["visible"] == ["buildings"]
    assert view(page)["lat"] == pytest.approx(lat, abs=1e-6)


def test_the_copy_link_button_shows_the_link_of_this_view(tab):
    page = tab.page
    tab.open("/land")
    page.evaluate("() => parkatlas.map.setZoom(parkatlas.map.getZoom() + 1, {animate: false})")
    page.get_by_role("button", name="复制链接").click()
    shown = page.locator(".pa-link-url")
    assert shown.is_visible()
    assert shown.input_value() == page.evaluate("() => location.href")
    assert f"#map={view(page)['zoom']}/" in shown.input_value()
    assert shown.input_value().endswith("&layers=parcels")


# -- identify -------------------------------------------------------------------------------------------


def test_a_click_on_a_building_inside_a_parcel_lists_both_layers_topmost_first(tab):
    page = tab.page
    tab.open("/")
    click_at(page, *web_point(45, 40))  # inside B1, so inside P1 and the park boundary Z1
    popup = page.locator(".leaflet-popup-content .pa-identify")
    popup.wait_for()
    assert popup.locator(".pa-identify-head").inner_text() == "此处有 3 个要素"
    assert popup.locator(".pa-identify-item").all_inner_texts() == ["建筑 B1", "地块 P1", "范围与管控 Z1"]
    bodies = popup.locator(".pa-identify-body")
    assert [bodies.nth(i).is_visible() for i in range(3)] == [True, False, False]
    assert "1号厂房" in bodies.nth(0).inner_text()
    popup.locator(".pa-identify-item", has_text="地块 P1").click()
    assert [bodies.nth(i).is_visible() for i in range(3)] == [False, True, False]
    assert "一号地块 <b>" in bodies.nth(1).inner_text()
    assert popup.locator("b").count() == 0  # the name's markup is text
    # P1's kept source attribute arrives from the API item, as in its own popup.
    kept = bodies.nth(1).locator("tr", has_text="分區類")
    kept.wait_for()
    assert kept.inner_text().split() == ["分區類", "工業區"]


def test_a_click_on_the_parcel_beside_the_building_lists_no_building(tab):
    page = tab.page
    tab.open("/")
    click_at(page, *web_point(90, 90))  # in P1, outside B1
    popup = page.locator(".leaflet-popup-content .pa-identify")
    popup.wait_for()
    assert popup.locator(".pa-identify-item").all_inner_texts() == ["地块 P1", "范围与管控 Z1"]
    outlined = "() => parkatlas.tools.highlighted ? parkatlas.tools.highlighted.getBounds().toBBoxString() : null"
    west, south, east, north = web_box(0, 0, 100, 100)
    assert [float(v) for v in page.evaluate(outlined).split(",")] == pytest.approx([west, south, east, north],
                                                                                  abs=1e-6)
    page.evaluate("() => parkatlas.map.closePopup()")
    assert page.evaluate(outlined) is None  # the outline goes with its popup


def test_a_hidden_layer_is_not_identified(tab):
    page = tab.page
    lat, lng = web_point(150, 50)
    tab.open(f"/#map=17/{lat:.7f}/{lng:.7f}&layers=buildings,parcels")
    click_at(page, *web_point(45, 40))
    popup = page.locator(".leaflet-popup-content .pa-identify")
    popup.wait_for()
    assert popup.locator(".pa-identify-item").all_inner_texts() == ["建筑 B1", "地块 P1"]


def test_a_click_on_the_history_sliders_change_keeps_its_own_popup(tab):
    page = tab.page
    tab.open("/")
    page.fill("#history-year", "2019")  # P1's contract: supplied in 2019
    page.dispatch_event("#history-year", "change")
    page.wait_for_function("() => document.getElementById('history').dataset.shownYear === '2019'")
    assert page.eval_on_selector(".leaflet-history-pane", "e => e.querySelectorAll('path').length") >= 1
    click_at(page, *web_point(90, 90))
    title = page.locator(".leaflet-popup-content .pa-popup-title")
    title.wait_for()
    assert title.inner_text().endswith("P1")
    assert page.locator(".pa-identify").count() == 0


# -- attribute table ------------------------------------------------------------------------------------


def table_ids(page) -> list[str]:
    return page.locator(".pa-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")


def test_the_attribute_table_lists_the_features_in_view_and_a_row_zooms(tab):
    page = tab.page
    tab.open("/")
    page.get_by_role("button", name="属性表").click()
    panel = page.locator(".pa-table-panel")
    page.wait_for_function("() => document.querySelector('.pa-table-panel').dataset.layer === 'parcels'")
    assert page.locator(".pa-table-select").input_value() == "parcels"
    # Three parcels in view, at most TABLE_ROWS listed.
    assert panel.locator(".pa-table-count").inner_text() == f"显示 {TABLE_ROWS} / 3 个要素"
    assert table_ids(page) == ["P1", "P2"]
    headers = panel.locator(".pa-table th").all_inner_texts()
    assert headers[0] == "地块编号" and "面积 (亩)" in headers
    cells = panel.locator(".pa-table tbody tr[data-id='P1'] td").all_inner_texts()
    assert cells[headers.index("面积 (亩)")] == "15"  # 100 m × 100 m = 15 亩, the unit in the header only
    # A sort orders every feature in view, then lists the first TABLE_ROWS: P3 comes in, P1 goes.
    panel.locator(".pa-table th").first.click()
    panel.locator(".pa-table th").first.click()
    assert table_ids(page) == ["P3", "P2"]
    assert panel.locator(".pa-table-count").inner_text() == f"显示 {TABLE_ROWS} / 3 个要素"
    # The roads, sorted by clicking a header: ascending, then descending.
    page.locator(".pa-table-select").select_option("roads")
    page.wait_for_function("() => document.querySelector('.pa-table-panel').dataset.layer === 'roads'")
    assert table_ids(page) == ["R1", "R2"]
    header = panel.locator(".pa-table th").first
    header.click()
    assert table_ids(page) == ["R1", "R2"] and header.get_attribute("aria-sort") == "ascending"
    panel.locator(".pa-table th").first.click()
    assert table_ids(page) == ["R2", "R1"]
    assert panel.locator(".pa-table th").first.get_attribute("aria-sort") == "descending"
    # A row click zooms to its road: R2 runs north–south at x = 310 m.
    before = view(page)
    panel.locator(".pa-table tbody tr[data-id='R2']").click()
    west, south, east, north = web_box(310, 0, 310, 100)
    after = view(page)
    assert after["zoom"] > before["zoom"]
    assert after["lat"] == pytest.approx((south + north) / 2, abs=2e-5)
    assert after["lng"] == pytest.approx((west + east) / 2, abs=2e-5)


def test_the_attribute_table_follows_the_map(tab):
    page = tab.page
    lat, lng = web_point(200, 50)  # the middle of P2
    tab.open(f"/#map=20/{lat:.7f}/{lng:.7f}&layers=parcels")
    page.get_by_role("button", name="属性表").click()
    page.wait_for_function("() => document.querySelector('.pa-table-panel').dataset.total === '1'")
    assert table_ids(page) == ["P2"]
    # Far away from every parcel: the table empties and says so.
    far_lat, far_lng = web_point(5000, 5000)
    page.evaluate(f"() => parkatlas.map.setView([{far_lat}, {far_lng}], 20, {{animate: false}})")
    page.wait_for_function("() => document.querySelector('.pa-table-panel').dataset.total === '0'")
    assert page.locator(".pa-table-count").inner_text() == "当前视图内没有要素"
    assert table_ids(page) == []


# -- a map drawn from vector tiles ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiled_server(tmp_path_factory):
    """The tiny park with every layer above the tile threshold: the overview draws it from vector tiles."""
    from app import create_app

    store = GeoPackageStore(tmp_path_factory.mktemp("tiled") / "tiny.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "BASEMAP": "none", "SECRET_KEY": "test",
                      "MAP_TABLE_ROWS": TABLE_ROWS, "TILE_FEATURE_THRESHOLD": 0,
                      "TILE_CACHE_PATH": "none"})
    with serve(app) as url:
        yield SimpleNamespace(url=url)


@pytest.fixture
def tiled_tab(browser, tiled_server):
    with loopback_page(browser, tiled_server.url, viewport=VIEWPORT) as opened:
        opened.open = lambda path: open_map(opened.page, tiled_server.url + path)
        yield opened
        assert opened.errors == []


def test_a_tiled_layers_table_comes_from_the_api_with_code_labels(tiled_tab):
    from layers.registry import get_layer
    from layers.schema import code_label

    page = tiled_tab.page
    tiled_tab.open("/")
    assert page.evaluate("() => parkatlas.layers.parcels instanceof L.GeoJSON") is False
    page.get_by_role("button", name="属性表").click()
    page.wait_for_function("() => document.querySelector('.pa-table-panel').dataset.layer === 'parcels'")
    assert page.locator(".pa-table-count").inner_text() == f"显示 {TABLE_ROWS} / 3 个要素"
    assert table_ids(page) == ["P1", "P2"]
    assert any("/api/collections/parcels/items?bbox=" in url for url in tiled_tab.requests)
    headers = page.locator(".pa-table th").all_inner_texts()
    cells = page.locator(".pa-table tbody tr[data-id='P1'] td").all_inner_texts()
    operating = next(code for code in get_layer("parcels").field("status").codes if code.value == "operating")
    assert cells[headers.index("状态")] == code_label(operating, "zh")


def test_search_zooms_to_a_tiled_feature_and_its_own_popup_still_opens(tiled_tab):
    page = tiled_tab.page
    tiled_tab.open("/")
    page.get_by_placeholder("搜索编号或名称").fill("B1")
    page.locator(".pa-search-hit").first.click()
    west, south, east, north = web_box(20, 20, 70, 60)
    after = view(page)
    assert after["lat"] == pytest.approx((south + north) / 2, abs=2e-5)
    assert after["lng"] == pytest.approx((west + east) / 2, abs=2e-5)
    page.wait_for_function("() => !parkatlas.layers.buildings.grid.isLoading()")  # the tiles of the new view
    click_at(page, *web_point(45, 40))
    title = page.locator(".leaflet-popup-content .pa-popup-title")
    title.wait_for()
    assert title.inner_text() == "建筑 B1"
    assert page.locator(".pa-identify").count() == 0  # tiled layers keep VectorGrid's popup of the top feature
