"""The geometry editor in headless Chromium: drag a vertex and save; draw a line and split a parcel.

Signed in as an editor through the login form; the saves go through the page's
own script (CSRF header, version and fingerprint) and are checked in the park
and its audit trail.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import shapely
from auth_helpers import PASSWORD, auth_config, make_account
from browser_helpers import launch, serve
from playwright import sync_api

pytestmark = pytest.mark.browser


@pytest.fixture
def editor_page(tiny_park, tmp_path):
    from app import create_app

    app = create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))
    make_account(app, "mapper", "editor")
    errors: list[str] = []
    with serve(app) as url, sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "/login")
        page.fill('input[name="username"]', "mapper")
        page.fill('input[name="password"]', PASSWORD)
        page.click('form.form button[type="submit"]')
        page.wait_for_url(url + "/")
        yield page, url, tiny_park, errors
        browser.close()


def screen_point(page, lat: float, lng: float) -> tuple[float, float]:
    """Page coordinates of a lat/lng on the editor's map."""
    point = page.evaluate("([lat, lng]) => { const p = parkatlas.map.latLngToContainerPoint([lat, lng]);"
                          " const box = parkatlas.map.getContainer().getBoundingClientRect();"
                          " return [box.left + p.x, box.top + p.y]; }", [lat, lng])
    return point[0], point[1]


def test_drag_a_vertex_and_save(editor_page):
    page, url, park, errors = editor_page
    page.goto(url + "/edit/parcels/P1", wait_until="networkidle")
    page.wait_for_selector(".pa-vertex-corner")
    assert page.locator(".pa-vertex-corner").count() == 4 and page.locator(".pa-vertex-middle").count() == 4
    before = park.load("parcels").set_index("parcel_id").loc["P1"].geometry
    corner = page.locator(".pa-vertex-corner").first.bounding_box()
    x, y = corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 25, y - 25, steps=5)
    page.mouse.up()
    page.fill('form.record-form input[name="reason"]', "测绘更正")
    with page.expect_navigation():
        page.get_by_role("button", name="保存图形").click()
    after = park.load("parcels").set_index("parcel_id").loc["P1"].geometry
    old_xy = shapely.get_coordinates(before)[:-1]
    new_xy = shapely.get_coordinates(after)[:-1]
    assert len(new_xy) == len(old_xy) == 4
    shift_m = ((new_xy - old_xy) ** 2).sum(axis=1) ** 0.5
    assert (shift_m > 1.0).sum() == 1  # the dragged corner moved (25 px is metres at this zoom)
    assert shift_m[shift_m <= 1.0].max() < 0.01  # the others stayed put (no rounding on the way)
    log = park.load("audit_events")
    geometry_events = log[(log["field"] == "geometry") & (log["record_id"] == "P1")]
    assert list(geometry_events["user"]) == ["mapper"] and list(geometry_events["reason"]) == ["测绘更正"]
    assert errors == []


def test_draw_a_line_and_split_a_parcel(editor_page):
    page, url, park, errors = editor_page
    page.goto(url + "/edit/parcels/P2", wait_until="networkidle")
    page.wait_for_selector(".pa-vertex-corner")
    # P2 spans x 100–300 m, y 0–100 m from the park origin: a line at x = 200 from below to above it.
    import geopandas as gpd

    from tests.conftest import X0, Y0

    ends = gpd.GeoSeries([shapely.Point(X0 + 200, Y0 - 20), shapely.Point(X0 + 200, Y0 + 120)], crs=4549).to_crs(4326)
    page.get_by_role("button", name="画分割线").click()
    x0, y0 = screen_point(page, ends.iloc[0].y, ends.iloc[0].x)
    x1, y1 = screen_point(page, ends.iloc[1].y, ends.iloc[1].x)
    page.mouse.click(x0, y0)
    page.mouse.dblclick(x1, y1)
    with page.expect_navigation():
        page.get_by_role("button", name="沿此线分割").click()
    assert urlsplit(page.url).path == "/edit/parcels/P2-1"  # (the hash holds the map's view: the permalink)
    parcels = park.load("parcels").set_index("parcel_id")
    assert parcels.loc["P2-1", "previously_part_of"] == "P2" and parcels.loc["P2-2", "previously_part_of"] == "P2"
    areas = parcels.loc[["P2-1", "P2-2"]].geometry.area
    assert areas.sum() == pytest.approx(20_000.0)  # the pieces cover the parent exactly
    assert areas.min() == pytest.approx(10_000.0, rel=0.01)  # cut within a pixel of x = 200 m
    assert parcels.loc["P2", "retired_on"] is not None
    assert errors == []


def test_draw_a_new_parcel(editor_page):
    page, url, park, errors = editor_page
    page.goto(url + "/edit/parcels/new", wait_until="networkidle")
    import geopandas as gpd

    from tests.conftest import X0, Y0

    corners = [(320, 0), (420, 0), (420, 80), (320, 80)]  # east of P2: 100 m × 80 m
    points = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y) for x, y in corners], crs=4549).to_crs(4326)
    page.evaluate("() => parkatlas.map.setZoom(17)")
    page.wait_for_timeout(300)
    screen = [screen_point(page, p.y, p.x) for p in points]
    for x, y in screen[:-1]:
        page.mouse.click(x, y)
    page.mouse.dblclick(*screen[-1])
    page.fill('form.record-form input[name="parcel_id"]', "P9")
    page.fill('form.record-form input[name="name"]', "新绘地块")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    assert urlsplit(page.url).path == "/edit/parcels/P9"
    drawn = park.load("parcels").set_index("parcel_id").loc["P9"]
    assert drawn["name"] == "新绘地块"
    assert drawn.geometry.area == pytest.approx(8_000.0, rel=0.03)  # within a few pixels at zoom 17
    assert errors == []
