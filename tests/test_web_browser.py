"""The overview page in a real headless Chromium, served by the real app on 127.0.0.1.

One page load is shared by the checks, in file order: the screenshot for the
README (written to docs/overview.png when PARKATLAS_UPDATE_DOCS=1, else to a
temporary folder, so a test run leaves the work tree clean), the parcel layer's feature count, switching it off
and on in the layer control, a popup, the English switch, and finally that no
console error was logged and no request left 127.0.0.1 on any page visited.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from browser_helpers import launch, loopback_page, serve
from playwright import sync_api

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
README_SCREENSHOT = ROOT / "docs" / "overview.png"
VIEWPORT = {"width": 1400, "height": 900}
KPI_LABELS_ZH = ["园区面积", "已供地", "地块", "标准厂房", "道路", "管线", "闲置土地", "低效用地", "厂房空置率", "七通一平"]
KPI_LABELS_EN = ["Park area", "Land supplied", "Parcels", "Standard factories", "Roads", "Pipelines", "Idle land",
                 "Inefficient land", "Factory vacancy", "Ready (七通一平)"]


@pytest.fixture(scope="module")
def server(demo_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(demo_park.path), "BASEMAP": "none", "SECRET_KEY": "test"})
    with serve(app) as url:
        yield SimpleNamespace(url=url, store=demo_park)


@pytest.fixture(scope="module")
def overview(server):
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        # Nothing may leave the machine: every request is recorded, any not for our server refused.
        with loopback_page(browser, server.url, viewport=VIEWPORT, device_scale_factor=1) as tab:
            page = tab.page
            page.goto(server.url + "/", wait_until="networkidle")
            page.wait_for_function(
                "() => window.parkatlas && window.parkatlas.layers && window.parkatlas.layers.parcels")
            yield SimpleNamespace(page=page, requests=tab.requests, console_errors=tab.errors, server=server)
        browser.close()


def js(overview, expression: str):
    return overview.page.evaluate(expression)


def test_screenshot_for_the_readme(overview, tmp_path):
    page = overview.page
    update_docs = os.environ.get("PARKATLAS_UPDATE_DOCS") == "1"
    screenshot = README_SCREENSHOT if update_docs else tmp_path / "overview.png"
    # Let the canvas finish drawing (two animation frames after load).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=False)
    header = screenshot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    # The IHDR chunk holds width and height as big-endian 32-bit integers.
    assert struct.unpack(">II", header[16:24]) == (VIEWPORT["width"], VIEWPORT["height"])


def test_parcel_layer_has_every_parcel_of_the_park(overview):
    expected = len(overview.server.store.load("parcels"))
    assert expected > 0
    assert js(overview, "() => parkatlas.layers.parcels.getLayers().length") == expected
    assert js(overview, "() => parkatlas.map.hasLayer(parkatlas.layers.parcels)") is True


def test_every_spatial_layer_is_on_the_map(overview):
    drawn = js(overview, "() => Object.keys(parkatlas.layers).filter(k => parkatlas.map.hasLayer(parkatlas.layers[k]))")
    stored = {name for name in ("zones", "parcels", "buildings", "roads", "pipelines", "facilities")
              if len(overview.server.store.load(name))}
    assert set(drawn) == stored


def test_switching_the_parcel_layer_off_and_on(overview):
    page = overview.page
    label = page.locator(".leaflet-control-layers-overlays label").filter(
        has=page.locator("span", has_text=re.compile(r"^\s*地块\s*$"))
    )
    checkbox = label.locator("input[type=checkbox]")
    assert checkbox.is_checked()
    checkbox.click()
    assert js(overview, "() => parkatlas.map.hasLayer(parkatlas.layers.parcels)") is False
    assert not checkbox.is_checked()
    checkbox.click()
    assert js(overview, "() => parkatlas.map.hasLayer(parkatlas.layers.parcels)") is True
    expected = len(overview.server.store.load("parcels"))
    assert js(overview, "() => parkatlas.layers.parcels.getLayers().length") == expected


def test_a_parcel_popup_shows_its_attributes_as_text(overview):
    first_id = overview.server.store.load("parcels")["parcel_id"].iloc[0]
    overview.page.evaluate("() => { parkatlas.layers.parcels.getLayers()[0].openPopup(); }")
    popup = overview.page.locator(".leaflet-popup-content .pa-popup")
    popup.wait_for()
    assert popup.locator(".pa-popup-title").inner_text() == f"地块 {first_id}"
    assert popup.locator("th").first.inner_text() == "地块编号"
    overview.page.evaluate("() => { parkatlas.map.closePopup(); }")


def test_the_history_slider_draws_a_years_changes_and_plays_to_the_end(overview):
    import json
    from urllib.request import urlopen

    page = overview.page
    first, last = (int(v) for v in page.eval_on_selector("#history-year", "e => [e.min, e.max]"))
    assert first <= 2019 < last
    with urlopen(overview.server.url + "/api/report/changes?year=2019&lang=zh") as answer:
        expected = json.load(answer)["features"]
    supplied = sum(1 for f in expected if f["properties"]["change"] == "supplied")
    assert supplied > 0  # the demo park supplies land in 2019: the check below can fail
    page.fill("#history-year", "2019")
    page.dispatch_event("#history-year", "change")
    page.wait_for_function("() => document.getElementById('history').dataset.shownYear === '2019'")
    assert page.eval_on_selector(".leaflet-history-pane", "e => e.querySelectorAll('path').length") == len(expected)
    assert f"新供地块 {supplied}" in page.locator("#history-status").inner_text()
    assert page.locator(".parkatlas-map.history-on, .history-on").count() == 1  # the park is dimmed beneath
    # Playing from the last-but-one year runs to the last and stops there.
    page.fill("#history-year", str(last - 1))
    page.locator("#history-play").click()
    page.wait_for_function(f"() => document.getElementById('history').dataset.shownYear === '{last}'",
                           timeout=30_000)
    page.wait_for_function("() => document.getElementById('history-play').textContent === '播放'", timeout=10_000)
    page.locator("#history-clear").click()
    assert page.eval_on_selector(".leaflet-history-pane", "e => e.querySelectorAll('path').length") == 0
    assert page.locator(".history-on").count() == 0


def test_the_english_switch_changes_the_kpi_labels(overview):
    page = overview.page
    assert page.locator(".kpi-label").all_inner_texts() == KPI_LABELS_ZH
    page.locator(".langswitch a").click()
    page.wait_for_url(re.compile(r"lang=en"))
    page.wait_for_function("() => window.parkatlas && window.parkatlas.layers.parcels")
    assert page.locator(".kpi-label").all_inner_texts() == KPI_LABELS_EN
    assert page.locator("html").get_attribute("lang") == "en"
    page.wait_for_load_state("networkidle")


def test_no_console_errors(overview):
    assert overview.console_errors == []


def test_no_request_leaves_the_machine(overview):
    assert overview.requests, "no request was recorded at all"
    outside = [url for url in overview.requests if urlsplit(url).hostname != "127.0.0.1"]
    assert outside == []
