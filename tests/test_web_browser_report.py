"""The annual report page in a real headless Chromium on the demo park: the change map, the charts, the links.

The demo park's 2025 changes are read from the report's own GeoJSON (/api/report/changes) and the map must
draw that many features (one per record and change) besides the grey year-end parcels; every chart image
must load and decode; nothing may leave 127.0.0.1 and no console error may be logged.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from browser_helpers import launch, loopback_page, serve
from playwright import sync_api

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report_page(demo_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(demo_park.path), "BASEMAP": "none", "SECRET_KEY": "test"})
    with serve(app) as url, sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        with loopback_page(browser, url, viewport={"width": 1400, "height": 900}) as tab:
            tab.page.goto(url + "/report?year=2025&lang=zh", wait_until="networkidle")
            tab.page.wait_for_function("() => window.parkatlas && window.parkatlas.layers && "
                                       "window.parkatlas.layers.park")
            yield tab, url
        browser.close()


def test_the_change_map_draws_every_change_of_the_year(report_page):
    tab, url = report_page
    with urlopen(url + "/api/report/changes?year=2025&lang=zh") as answer:
        features = json.load(answer)["features"]
    assert features  # the demo park changes in 2025: the count below can fail
    drawn = tab.page.evaluate("""() => Object.entries(parkatlas.layers)
        .filter(([key]) => key.startsWith('change_'))
        .reduce((sum, [, layer]) => sum + layer.getLayers().length, 0)""")
    assert drawn == len(features)
    assert tab.page.evaluate("() => parkatlas.layers.park.getLayers().length") > 0


def test_every_chart_loads_and_decodes(report_page):
    tab, _ = report_page
    images = tab.page.locator("figure.report-chart img")
    assert images.count() == 4
    for index in range(4):  # lazy images load once scrolled to
        images.nth(index).scroll_into_view_if_needed()
    tab.page.wait_for_function("""() => Array.from(document.querySelectorAll('figure.report-chart img'))
        .every(img => img.complete)""", timeout=30_000)
    sizes = tab.page.evaluate("""() => Array.from(document.querySelectorAll('figure.report-chart img'))
        .map(img => [img.complete, img.naturalWidth, img.naturalHeight, img.alt])""")
    assert all(complete and width == 945 and height == 540 and alt for complete, width, height, alt in sizes)


def test_the_downloads_are_linked_and_nothing_leaves_the_machine(report_page):
    tab, url = report_page
    links = tab.page.locator("form.report-year a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {"/report.docx?year=2025", "/report.xlsx?year=2025", "/report.pdf?year=2025"} <= set(links)
    own = urlsplit(url).netloc
    assert all(urlsplit(asked).netloc == own for asked in tab.requests if asked.startswith("http"))
    assert tab.errors == []
