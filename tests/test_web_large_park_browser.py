"""A large park in a real browser (issue 18): above the tile threshold /idle draws its parcels from the
parcel_analysis tiles (coloured by idle status; a click opens the parcel's popup, its name fetched from the API, its
status from the tile); above the background threshold the overview refreshes itself until its figures are there."""

from __future__ import annotations

import pytest
from browser_helpers import click_on_map, in_p1_lonlat, launch, loopback_page, serve

from app import create_app
from geo.maps_land import IDLE_PALETTE

VIEWPORT = {"width": 900, "height": 700}


@pytest.fixture
def idle_server(tiny_park):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None,
                      "TILE_FEATURE_THRESHOLD": 2, "BASEMAP": "none"})
    status = {row["parcel_id"]: row["idle_status"]
              for row in app.test_client().get("/api/idle").get_json()["parcels"]}
    with serve(app) as url:
        yield url, status


def p1_popup_on_tiles(base: str, path: str, layer: str) -> tuple[list[tuple[str, int]], str, list]:
    """Open ``path`` in Chromium, click P1 on the tiled ``layer`` once its tiles are drawn: every (URL, status)
    answered, the popup's text and the page's errors."""
    from playwright import sync_api

    answers = []
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        with loopback_page(browser, base, viewport=VIEWPORT) as opened:
            page = opened.page
            page.on("response", lambda r: answers.append((r.url, r.status)))
            page.goto(base + path, wait_until="networkidle")
            page.wait_for_function(f"() => window.parkatlas && window.parkatlas.layers.{layer}")
            click_on_map(page, in_p1_lonlat(),
                         ready=f"() => Object.keys(parkatlas.layers.{layer}.grid._vectorTiles).length > 0")
            page.wait_for_selector(".pa-popup", timeout=5000)
            popup = page.inner_text(".pa-popup")
            errors = opened.errors
        browser.close()
    return answers, popup, errors


@pytest.mark.browser
def test_idle_parcels_come_from_analysis_tiles_and_open_their_popup(idle_server):
    base, status = idle_server
    answers, popup, errors = p1_popup_on_tiles(base, "/idle?lang=zh", "parcel_analysis")
    tile_answers = [(url, code) for url, code in answers if "/tiles/" in url]
    assert tile_answers and all("/tiles/parcel_analysis/" in url and "as_of=2026-06-30" in url and code == 200
                                for url, code in tile_answers)
    assert "一号地块" in popup  # the name, fetched from the API by id
    assert IDLE_PALETTE[status["P1"]][1] in popup  # the idle status from the tile, as its label
    assert errors == []


@pytest.mark.browser
def test_a_large_parks_overview_refreshes_itself_until_its_figures_are_there(tiny_park):
    """Above the threshold the first overview says it is computing; the page reloads itself (a meta refresh,
    which the strict CSP allows) and then shows the KPI strip, without a script of its own."""
    from playwright import sync_api

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None,
                      "BASEMAP": "none", "BACKGROUND_PARCELS": 2, "BACKGROUND_REFRESH_S": 1})
    loads = []
    with serve(app) as base, sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        with loopback_page(browser, base, viewport=VIEWPORT) as opened:
            page = opened.page
            page.on("load", lambda: loads.append(page.url))
            # The first page as served (read from the response: the page may reload itself while it is read).
            first = page.goto(base + "/?lang=zh").text()
            page.wait_for_selector('[data-kpi="idle_land"]', timeout=20_000)
            errors = opened.errors
        browser.close()
    assert "正在计算园区指标…" in first
    assert len(loads) >= 2  # the page loaded again by itself
    assert errors == []


@pytest.mark.browser
def test_a_large_parks_public_map_comes_from_tiles_and_opens_popups_for_a_visitor(tiny_park, tmp_path):
    """/public of a park above the tile threshold, seen by an anonymous visitor: its parcels come from tiles (200),
    a click opens the parcel's popup with its public fields from the API, and nothing on the way is refused."""
    from auth_helpers import auth_config

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite", PUBLIC_LAYERS=("parcels", "roads"),
                                 TILE_FEATURE_THRESHOLD=2, BASEMAP="none"))
    with serve(app) as base:
        answers, popup, errors = p1_popup_on_tiles(base, "/public?lang=zh", "parcels")
    tiles = [(url, code) for url, code in answers if "/tiles/" in url]
    assert tiles and all("/tiles/parcels,roads/" in url and code == 200 for url, code in tiles)
    assert all(code < 400 for _, code in answers), answers
    assert "一号地块" in popup and "P1" in popup  # name and id: public fields, fetched from the API by id
    assert errors == []
