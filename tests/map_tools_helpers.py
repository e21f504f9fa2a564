"""Shared by the map-tool tests: points of the tiny park's working CRS (EPSG:4549) as the browser sends them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from conftest import WORKING_EPSG, X0, Y0
from pyproj import Transformer

TO_LONLAT = Transformer.from_crs(WORKING_EPSG, 4326, always_xy=True)


def lonlat(points) -> list[list[float]]:
    """GK points (metres from the tiny park's origin X0, Y0) as ``[lon, lat]`` pairs."""
    xy = np.array(points, dtype=float)
    lon, lat = TO_LONLAT.transform(X0 + xy[:, 0], Y0 + xy[:, 1])
    return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]


def latlngs(points) -> list[list[float]]:
    """The same as Leaflet's ``[lat, lng]``."""
    return [[lat, lon] for lon, lat in lonlat(points)]


@contextmanager
def tiny_browser(folder, **config) -> Iterator[tuple[object, str]]:
    """The tiny park written in ``folder``, served with ``config`` on 127.0.0.1, and Chromium: (browser, URL)."""
    from browser_helpers import launch, serve
    from conftest import TINY_META, tiny_frames
    from playwright import sync_api

    from app import create_app
    from layers.store import GeoPackageStore

    store = GeoPackageStore(folder / "tiny.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    app = create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test", **config})
    with serve(app) as url, sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser, url
        finally:
            browser.close()


def click_drawing(page, kind: str, points) -> None:
    """Choose the measure tool ``kind`` and click the vertices ``points`` (tiny-park metres) on the map, the
    last one twice (a double-click finishes the drawing)."""
    page.locator(".parkatlas-map").scroll_into_view_if_needed()
    page.click(f".pa-tool-{kind}")
    pixels = page.evaluate("(points) => points.map(p => parkatlas.map.latLngToContainerPoint(p))", latlngs(points))
    box = page.locator(".parkatlas-map").bounding_box()
    for pixel in pixels[:-1]:
        page.mouse.click(box["x"] + pixel["x"], box["y"] + pixel["y"])
    page.mouse.dblclick(box["x"] + pixels[-1]["x"], box["y"] + pixels[-1]["y"])
