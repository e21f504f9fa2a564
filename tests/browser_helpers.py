"""Shared by the browser tests: the real app on a loopback port, and Debian's chromium kept on the machine.

Chromium is the Debian binary driven by Playwright (never a downloaded browser),
started with the flags that stop its own background traffic on this closed network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlsplit

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` from a thread on a free port of 127.0.0.1; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def launch(playwright):
    """Debian's chromium, headless, with the offline flags."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def loopback_page(browser, base_url: str, *, viewport: dict, locale: str = "zh-CN",
                  device_scale_factor: float | None = None) -> Iterator[SimpleNamespace]:
    """A page that may reach only ``base_url``'s host: every other request is aborted.

    Yields ``page``, ``requests`` (every URL asked for) and ``errors`` (console
    errors and uncaught page errors), for the tests to assert on.
    """
    options = {"viewport": viewport, "locale": locale}
    if device_scale_factor is not None:
        options["device_scale_factor"] = device_scale_factor
    context = browser.new_context(**options)
    own_host = urlsplit(base_url).hostname

    def guard(route):
        if urlsplit(route.request.url).hostname == own_host:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    requests: list[str] = []
    errors: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    try:
        yield SimpleNamespace(page=page, requests=requests, errors=errors)
    finally:
        context.close()


def in_p1_lonlat() -> list[float]:
    """[lon, lat] of a point of the tiny park's parcel P1 outside its factory."""
    import geopandas as gpd
    import shapely
    from conftest import WORKING_EPSG, X0, Y0

    point = gpd.GeoSeries([shapely.Point(X0 + 10, Y0 + 85)], crs=WORKING_EPSG).to_crs(4326).iloc[0]
    return [point.x, point.y]


def click_on_map(page, lonlat: list[float], zoom: int = 17, *, ready: str | None = None) -> None:
    """Centre the page's map on ``lonlat`` at ``zoom``, let its tiles load (and ``ready``, an arrow function,
    hold), and click there."""
    centre = page.evaluate("""([lon, lat, zoom]) => {
        const map = parkatlas.map, point = L.latLng(lat, lon);
        map.setView(point, zoom, {animate: false});
        return map.latLngToContainerPoint(point);
    }""", [*lonlat, zoom])
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_function(ready)
    box = page.locator(".parkatlas-map").bounding_box()
    page.mouse.click(box["x"] + centre["x"], box["y"] + centre["y"])
