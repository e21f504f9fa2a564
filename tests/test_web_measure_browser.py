"""The measure and print tools in a real headless Chromium on the tiny park, zh and en.

The tiny park's P1 is 100 m × 100 m (15 亩) and road R1 300 m: the user draws them by clicking
their corners on the map (double-click finishes); the tool shows the server's figures. The print
button's URL carries the view, the layers shown and the page's day, and answers a PDF. Nothing
may leave 127.0.0.1 and no console error may be logged.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from browser_helpers import loopback_page
from map_tools_helpers import click_drawing, latlngs, tiny_browser
from playwright import sync_api

from geo.measure import Measurement, length_text, measurement_text

pytestmark = pytest.mark.browser


def draw(page, kind: str, points) -> str:
    """Draw ``points`` with the measure tool ``kind``; the result shown."""
    click_drawing(page, kind, points)
    try:
        page.wait_for_function("() => parkatlas.lastMeasurement && !document.querySelector('.pa-tool-result')"
                               ".textContent.endsWith('…')", timeout=5000)
    except sync_api.TimeoutError:
        raise AssertionError(page.locator(".pa-tool-result").text_content()) from None
    return page.locator(".pa-tool-result").text_content()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with tiny_browser(tmp_path_factory.mktemp("tools"), BASEMAP="none") as found:
        yield found


@pytest.mark.parametrize(("lang", "labels"), [
    ("zh", ["测距", "测面积", "清除", "打印 PDF"]),
    ("en", ["Measure distance", "Measure area", "Clear", "Print to PDF"]),
])
def test_measure_by_drawing_and_print_the_view(site, lang, labels):
    browser, url = site
    with loopback_page(browser, url, viewport={"width": 1200, "height": 800}) as tab:
        page = tab.page
        page.goto(f"{url}/?lang={lang}&as_of=2026-05-01", wait_until="networkidle")
        page.wait_for_function("() => window.parkatlas && parkatlas.map && parkatlas.measure")
        assert page.locator(".pa-tools a.pa-tool").all_text_contents() == labels
        # Centred on P1: its corners stay clear of the map's controls (search box, tool bars) in either language.
        page.evaluate("(centre) => parkatlas.map.setView(centre, 18)", latlngs([(100, 50)])[0])
        # Clicked on pixels (0.5 m at zoom 18): the figures are P1's within half a pixel along each edge.
        shown = draw(page, "polygon", [(0, 0), (100, 0), (100, 100), (0, 100)])
        got = page.evaluate("() => parkatlas.lastMeasurement")
        assert got["area_m2"] == pytest.approx(10_000, rel=0.01) and got["length_m"] == pytest.approx(400, rel=0.01)
        assert shown == measurement_text(Measurement("polygon", 4549, got["length_m"], got["area_m2"]), lang)
        page.evaluate("() => { parkatlas.lastMeasurement = null; }")
        shown = draw(page, "line", [(0, -10), (300, -10)])
        got = page.evaluate("() => parkatlas.lastMeasurement")
        assert got["length_m"] == pytest.approx(300, abs=1.0) and shown == length_text(got["length_m"], lang)
        printed = page.evaluate("() => parkatlas.printUrl()")
        query = parse_qs(urlsplit(printed).query)
        assert query["as_of"] == ["2026-05-01"] and query["lang"] == [lang] and len(query["bbox"][0].split(",")) == 4
        assert set(query["layers"][0].split(",")) == {"zones", "parcels", "buildings", "roads", "pipelines",
                                                      "facilities"}
        with urlopen(url + printed) as answer:
            assert answer.headers["Content-Type"] == "application/pdf" and answer.read(5) == b"%PDF-"
        assert tab.errors == []
        assert all(urlsplit(seen).hostname == "127.0.0.1" for seen in tab.requests)
