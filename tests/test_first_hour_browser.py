"""The planner's first hour (issue 17), scripted in real headless Chromium on the demo park of ``make run``.

One module-scoped browser walks what a new user does in the first hour: every page in Chinese and in
English, then the jobs — a popup, a layer switched off and on, an as-of day, a filter, an export, the
expansion answer, a site search, an import preview, and an edit followed in the history. On Chinese pages
the text the browser renders (``innerText``: after the scripts ran, so Leaflet's controls and the tables
drawn in the page count) may hold no English sentence, snake_case code or raw ISO timestamp
(``tests/test_zh_pages.offences``). Every request stays on 127.0.0.1 and no console error is logged.

With ``PARKATLAS_UPDATE_DOCS=1`` (``make screenshot``) the screenshots are written to ``docs/first-hour/``
for the README; otherwise to a temporary folder, so the test never changes the tree.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser_helpers import launch, loopback_page, serve
from openpyxl import load_workbook
from playwright import sync_api
from test_zh_pages import KNOWN_FAILURES, offences, visible_text

pytestmark = pytest.mark.browser

DOCS_SHOTS = Path(__file__).resolve().parent.parent / "docs" / "first-hour"
VIEWPORT = {"width": 1280, "height": 800}

#: The pages of the first hour, in the order of the navigation bar, with their screenshot names.
PAGES = {
    "overview": "/", "land": "/land", "idle": "/idle", "vacancy": "/vacancy", "cases": "/cases",
    "infrastructure": "/infrastructure", "expansion": "/expansion", "sites-land": "/sites?kind=land",
    "sites-space": "/sites?kind=space", "report": "/report", "import": "/import", "export": "/export",
    "edit": "/edit/", "history": "/history/", "api": "/api",
}
#: Pages screenshotted in English too (the switch is one click away; a few show it works).
ENGLISH_SHOTS = ("overview", "idle", "report")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    if os.environ.get("PARKATLAS_UPDATE_DOCS") == "1":
        shutil.rmtree(DOCS_SHOTS, ignore_errors=True)
        DOCS_SHOTS.mkdir(parents=True)
        return DOCS_SHOTS
    return tmp_path_factory.mktemp("first-hour")


@pytest.fixture(scope="module")
def server(demo_park, tmp_path_factory):
    """The app as ``make run`` starts it: the demo park, the loopback demo without sign-in, no basemap."""
    from app import create_app

    park = tmp_path_factory.mktemp("first-hour-park") / "demo_park.gpkg"
    shutil.copy(demo_park.path, park)
    app = create_app({"PARK_PATH": str(park), "SECRET_KEY": "first-hour", "AUTH_REQUIRED": False,
                      "BASEMAP": "none"})
    with serve(app) as url:
        yield SimpleNamespace(url=url, park=park)


@pytest.fixture(scope="module")
def tab(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        with loopback_page(browser, server.url, viewport=VIEWPORT) as opened:
            yield opened
        browser.close()


def open_page(tab, url: str) -> str:
    """Open ``url`` and wait until the page and its map data are loaded; the rendered text."""
    tab.page.goto(url, wait_until="networkidle")
    tab.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return shown_text(tab.page)


#: The rendered text without <code>/<pre> (ids, table names, commands, file names: as tests/test_zh_pages.py reads).
SHOWN_TEXT = """() => {
    const hidden = [...document.querySelectorAll('code, pre')].filter(e => e.style.display !== 'none');
    hidden.forEach(e => { e.dataset.paDisplay = e.style.display; e.style.display = 'none'; });
    const text = document.body.innerText;
    hidden.forEach(e => { e.style.display = e.dataset.paDisplay; delete e.dataset.paDisplay; });
    return text; }"""


def shown_text(page) -> str:
    return page.evaluate(SHOWN_TEXT)


def screenshot(tab, shots: Path, name: str) -> None:
    """A JPEG of the viewport (small enough to keep in docs/)."""
    tab.page.screenshot(path=str(shots / f"{name}.jpg"), type="jpeg", quality=60, full_page=False)


def submit(page, form: str) -> None:
    """Submit the form ``form`` (a selector) as its button would, and wait for the answer page."""
    with page.expect_navigation(wait_until="networkidle"):
        page.locator(form).evaluate("f => f.requestSubmit()")


def chinese_offences(text: str) -> list[str]:
    return offences(visible_text(text))


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_reads_chinese(tab, server, shots, name):
    url = PAGES[name]
    text = open_page(tab, f"{server.url}{url}{'&' if '?' in url else '?'}lang=zh")
    screenshot(tab, shots, f"zh-{name}")
    assert text.strip(), f"{url} rendered nothing"
    if url in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[url])
    assert chinese_offences(text) == []


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_reads_english(tab, server, shots, name):
    """The English UI is complete too: the navigation and the page's heading are English."""
    url = PAGES[name]
    text = open_page(tab, f"{server.url}{url}{'&' if '?' in url else '?'}lang=en")
    if name in ENGLISH_SHOTS:
        screenshot(tab, shots, f"en-{name}")
    assert "Overview" in text and "总览" not in text


def test_a_popup_and_a_layer_switched_off_and_on(tab, server, shots):
    page = tab.page
    open_page(tab, f"{server.url}/?lang=zh")
    # Click the middle of the first parcel drawn: its popup names the fields in Chinese.
    point = page.evaluate("""() => {
        const layer = parkatlas.layers.parcels; let found = null;
        layer.eachLayer(l => { if (!found) { found = l; } });
        const c = found.getBounds().getCenter(); parkatlas.map.setView(c, 18, {animate: false});
        const p = parkatlas.map.latLngToContainerPoint(c); const box = parkatlas.map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y]; }""")
    page.mouse.click(point[0], point[1])
    page.wait_for_selector(".leaflet-popup-content")
    # Wholly inside the map (it scrolls rather than grow past the map's top), once faded in and the map has panned
    # to it (Leaflet pans after the popup opens: on a busy machine the first look can fall before the pan ends).
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    page.wait_for_function("""() => { const p = document.querySelector('.leaflet-popup').getBoundingClientRect();
        const m = parkatlas.map.getContainer().getBoundingClientRect(); return p.top >= m.top && p.bottom <= m.bottom; }""",
                           timeout=10_000)
    popup = page.inner_text(".leaflet-popup-content")
    assert "地块" in popup and chinese_offences(popup) == []
    screenshot(tab, shots, "zh-job-popup")
    # The layer control's parcel checkbox: off removes the layer, on brings it back.
    label = page.locator(".leaflet-control-layers-overlays label", has_text="地块").first
    checkbox = label.locator("input")
    checkbox.uncheck()
    assert page.evaluate("() => parkatlas.map.hasLayer(parkatlas.layers.parcels)") is False
    checkbox.check()
    assert page.evaluate("() => parkatlas.map.hasLayer(parkatlas.layers.parcels)") is True


def test_search_a_parcel_then_share_the_view(tab, server, shots):
    """Search by name, zoom to the hit, and open the address bar's link again: the same view comes back."""
    page = tab.page
    open_page(tab, f"{server.url}/land?lang=zh")
    page.get_by_placeholder("搜索编号或名称").fill("DK0000001")
    hit = page.locator(".pa-search-hit").first
    hit.wait_for()
    assert "DK0000001" in hit.inner_text() and "地块" in hit.inner_text()
    before = page.evaluate("() => parkatlas.map.getZoom()")
    hit.click()
    # Zoomed in, and the address bar says so (the hash follows the view once it has settled).
    page.wait_for_function(f"() => parkatlas.map.getZoom() > {before} && "
                           "location.hash.includes('map=' + parkatlas.map.getZoom() + '/')")
    view = page.evaluate("() => [parkatlas.map.getZoom(), parkatlas.map.getCenter().lat, parkatlas.map.getCenter().lng]")
    screenshot(tab, shots, "zh-job-search")
    link = page.url
    open_page(tab, server.url + "/")  # elsewhere, then the shared link
    open_page(tab, link)
    again = page.evaluate("() => [parkatlas.map.getZoom(), parkatlas.map.getCenter().lat, parkatlas.map.getCenter().lng]")
    assert again[0] == view[0] and again[1] == pytest.approx(view[1], abs=1e-5)
    assert again[2] == pytest.approx(view[2], abs=1e-5)


def test_an_as_of_day_and_a_filter_on_idle_land(tab, server, shots):
    page = tab.page
    open_page(tab, f"{server.url}/idle?lang=zh")
    page.fill('form.asof-form input[name="as_of"]', "2020-12-31")
    submit(page, "form.asof-form")
    assert "as_of=2020-12-31" in page.url
    assert page.input_value('form.asof-form input[name="as_of"]') == "2020-12-31"
    # Filter to one status: every row of the main table then has it.
    page.check('#idle-filters input[name="status"][value="idle_fee"]')
    submit(page, "#idle-filters")
    assert "status=idle_fee" in page.url and "as_of=2020-12-31" in page.url
    text = shown_text(page)
    assert chinese_offences(text) == []
    screenshot(tab, shots, "zh-job-idle-filter")


def test_an_export_is_a_chinese_workbook(tab, server):
    page = tab.page
    open_page(tab, f"{server.url}/idle?lang=zh")
    link = page.locator('a[href*="format=xlsx"]').first
    with page.expect_download() as download_info:
        link.click()
    book = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()), read_only=True)
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(max_row=12, values_only=True))
        shown = [value for row in rows for value in row if isinstance(value, str)]
        assert [offences(value) for value in shown if offences(value)] == [], sheet.title


def test_the_expansion_answer(tab, server, shots):
    page = tab.page
    open_page(tab, f"{server.url}/expansion?lang=zh")
    page.wait_for_function("() => { const r = document.getElementById('expansion-result');"
                           " return r && r.dataset.state === 'done'; }")
    text = shown_text(page)
    assert "亩" in text and chinese_offences(text) == []
    screenshot(tab, shots, "zh-job-expansion")


def test_a_site_search(tab, server, shots):
    page = tab.page
    open_page(tab, f"{server.url}/sites?kind=land&lang=zh")
    page.fill('#site-form input[name="area_min_mu"]', "10")
    submit(page, "#site-form")
    assert "area_min_mu=10" in page.url
    text = shown_text(page)
    assert chinese_offences(text) == []
    screenshot(tab, shots, "zh-job-sites")


def test_an_import_preview_speaks_chinese(tab, server, shots, tmp_path):
    """A surveyor's GeoJSON of two parcels, one with an unreadable date: the preview and its notices in Chinese."""
    page = tab.page
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"地块编号": f"XZ-{i}", "名称": f"新增地块{i}", "签约日期": date},
         "geometry": {"type": "Polygon", "coordinates": [[[118.80 + i * 0.01, 32.00], [118.805 + i * 0.01, 32.00],
                                                           [118.805 + i * 0.01, 32.005], [118.80 + i * 0.01, 32.005],
                                                           [118.80 + i * 0.01, 32.00]]]}}
        for i, date in ((1, "2021-03-01"), (2, "去年春天"))]}
    upload = tmp_path / "新增地块.geojson"
    upload.write_text(json.dumps(geojson, ensure_ascii=False), encoding="utf-8")
    open_page(tab, f"{server.url}/import?lang=zh")
    page.select_option("#layer", "parcels")
    # The file picker is ours, in Chinese (the browser's own reads "Choose File" in its UI language).
    picker = page.locator(".pa-file", has=page.locator("#file"))
    assert picker.locator(".pa-file-button").inner_text() == "选择文件"
    assert picker.locator(".pa-file-name").inner_text() == "未选择文件"
    page.set_input_files("#file", str(upload))
    assert picker.locator(".pa-file-name").inner_text() == "新增地块.geojson"
    submit(page, "form.io-form")
    # A preview holding a problem answers 400 (nothing may be confirmed yet), which Chromium logs as a console error.
    rejected = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    tab.errors[:] = [error for error in tab.errors if error != rejected]
    text = shown_text(page)
    screenshot(tab, shots, "zh-job-import")
    assert "新增地块.geojson" in text
    assert chinese_offences(text) == []


def test_an_edit_then_its_history(tab, server, shots):
    page = tab.page
    open_page(tab, f"{server.url}/edit/parcels/DK0000001?lang=zh")
    page.fill('input[name="name"]', "一期1-1-1号地块（更名）")
    page.fill('input[name="reason"]', "首小时演练")
    submit(page, 'form.record-form')
    open_page(tab, f"{server.url}/history/?lang=zh")
    rows = page.locator("table.events tbody tr")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert "一期1-1-1号地块（更名）" in first and "首小时演练" in first
    # One event for the one field changed, and the undo button on that row.
    assert page.locator("table.events tbody tr", has_text="首小时演练").count() == 1
    assert rows.first.locator("button").count() == 1
    assert chinese_offences(shown_text(page)) == []
    screenshot(tab, shots, "zh-job-history")


def test_nothing_left_the_machine_and_no_console_errors(tab, server):
    """Run last in the module: every request of the whole hour stayed on 127.0.0.1, and no script failed."""
    assert tab.requests and all(url.startswith(server.url) or url.startswith("data:") or url.startswith("blob:")
                                for url in tab.requests)
    assert tab.errors == []
