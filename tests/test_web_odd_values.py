"""Odd values that answered 500 and now get a clear 400, or the right figures.

* ``offset`` beyond 2⁶³ on the items API (numpy's int64 overflowed);
* ``as_of`` days the analyses cannot count in (``0001-01-01`` overflowed pandas'
  nanosecond timestamps) on every page that judges a day, tiles included;
* ``/cases?as_of=`` a day before a parcel was added (the year's figures mixed the
  parcels of that day with today's);
* exporting and comparing a saved scenario that lays no new road (the roads layer
  was never written, and reading it back failed).
"""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from conftest import TINY_META, tiny_frames
from expansion_helpers import expansion_app, expansion_client  # noqa: F401 (fixtures)

from geo.tiles import tiles_covering
from layers.store import GeoPackageStore

RANGE_WORDS = ("as_of", "1900-01-01", "2199-12-31")


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()["error"]["message"]


# -- offset -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/collections/parcels/items", "/api/collections/parcels/items?bbox=121,28,122,29",
                                  "/api/land"])
def test_the_largest_offset_allowed_answers_an_empty_page_and_one_more_is_400(tiny_client, path):
    joiner = "&" if "?" in path else "?"
    ok = tiny_client.get(f"{path}{joiner}offset=1000000000")
    assert ok.status_code == 200
    body = ok.get_json()
    assert body.get("numberReturned", len(body.get("parcels", []))) == 0
    for offset in ("1000000001", "9223372036854775808", "1" + "0" * 40):
        message = error_of(tiny_client.get(f"{path}{joiner}offset={offset}"), 400)
        assert "offset 必须在 0 至 1000000000 之间" in message and offset in message


# -- as_of --------------------------------------------------------------------------------------------------

AS_OF_PAGES = ["/api/summary", "/land", "/idle", "/vacancy", "/cases", "/api/land", "/api/idle", "/api/vacancy",
               "/api/cases", "/api/infrastructure", "/infrastructure", "/land?format=xlsx"]


def tile_path(park: GeoPackageStore) -> str:
    x, y = tiles_covering(park.load("parcels").to_crs(3857).total_bounds, 16)[0]
    return f"/tiles/parcel_analysis/16/{x}/{y}.pbf"


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_days_outside_the_range_are_400_naming_it_on_every_page(tiny_client, tiny_park, day):
    for path in [*AS_OF_PAGES, tile_path(tiny_park)]:
        joiner = "&" if "?" in path else "?"
        response = tiny_client.get(f"{path}{joiner}as_of={day}", headers={"Accept": "application/json"})
        message = error_of(response, 400)
        assert all(word in message for word in RANGE_WORDS) and day in message, (path, message)


@pytest.mark.parametrize("day", ["1900-01-01", "2199-12-31"])
def test_the_first_and_last_days_of_the_range_are_computed(tiny_client, tiny_park, day):
    for path in ["/api/summary", "/api/land", "/api/idle", "/api/vacancy", "/api/cases", tile_path(tiny_park)]:
        response = tiny_client.get(f"{path}?as_of={day}")
        assert response.status_code in (200, 204), (path, response.get_data(as_text=True)[:300])
        if response.is_json:
            assert response.get_json().get("as_of", day) == day


def test_the_range_is_configuration(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "t",
                      "AS_OF_EARLIEST": "2000-01-01", "AS_OF_LATEST": "2030-12-31"})
    client = app.test_client()
    assert client.get("/api/summary?as_of=2000-01-01").status_code == 200
    message = error_of(client.get("/api/summary?as_of=1999-12-31&lang=en"), 400)
    assert "between 2000-01-01 and 2030-12-31, got 1999-12-31" in message
    assert "as_of 必须在 2000-01-01 至 2030-12-31 之间" in error_of(client.get("/api/summary?as_of=2031-01-01&lang=zh"), 400)


# -- /cases on a day before a parcel was added -------------------------------------------------------------


@pytest.fixture
def growing_client(tmp_path):
    """The tiny park where P3 is true from 2026-01-01 and P2 (contract 2024-03-01, 30 亩) from 2024-02-01
    (valid time: what as-of days judge)."""
    from app import create_app

    frames = tiny_frames()
    frames["parcels"]["valid_from"] = pd.to_datetime(["2019-01-01", "2024-02-01", "2026-01-01"])
    store = GeoPackageStore(tmp_path / "growing.gpkg")
    store.save_park(frames, TINY_META)
    return create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "t"}).test_client()


@pytest.mark.parametrize(("as_of", "year", "supplied_mu"), [
    ("2025-12-31", 2024, 30.0),   # P3 not yet in the park: this was a 500
    ("2024-01-31", 2024, 0.0),    # before P2 was added either
    ("2026-06-30", 2024, 30.0),   # every parcel in force
    ("2026-06-30", 2019, 15.0),   # P1: 10 000 m² = 15 亩, contract 2019-05-01
])
def test_cases_on_a_day_before_the_last_parcel_was_added(growing_client, as_of, year, supplied_mu):
    response = growing_client.get(f"/api/cases?as_of={as_of}&year={year}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    figures = response.get_json()["year_figures"]
    assert figures["year"] == year and figures["supplied_mu"] == pytest.approx(supplied_mu)
    assert growing_client.get(f"/cases?as_of={as_of}").status_code == 200
    assert growing_client.get(f"/cases?as_of={as_of}&format=xlsx").status_code == 200


# -- saved scenarios without new roads ---------------------------------------------------------------------


def test_a_saved_scenario_without_new_roads_exports_and_compares(expansion_client):  # noqa: F811
    saved = expansion_client.post("/api/expansion/scenarios",
                                  json={"name": "沿现有道路", "zone": "EXP1", "options": {"layout": "planned_roads"}})
    assert saved.status_code == 201
    figures = saved.get_json()["figures"]
    assert figures["net_mu"] == pytest.approx(930.0)
    xlsx = expansion_client.get("/expansion/scenarios/沿现有道路.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    # No road inside EXP1 to lay plots along: neither plots nor roads, each sheet a bare header.
    assert figures["plots"] == 0 and figures["road_km"] == 0
    assert book["roads"].max_row == 1 and book["plots"].max_row == 1
    assert expansion_client.get("/expansion/scenarios/沿现有道路.gpkg").status_code == 200
    compared = expansion_client.get("/api/expansion/compare", query_string={"a": "沿现有道路", "b": "沿现有道路"})
    assert compared.status_code == 200
    rows = {row["figure"]: row for row in compared.get_json()["figures"]}
    assert rows["net_mu"]["differences"] == [None, 0]
    assert expansion_client.get("/expansion/compare", query_string={"a": "沿现有道路", "b": "沿现有道路"}).status_code == 200


def test_a_saved_scenario_of_the_demo_park_exports_and_compares(demo_park, tmp_path):
    """The report: every scenario saved on the demo park (its plan lays plots along planned roads, no new road)."""
    import shutil

    from app import create_app

    park = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_park.path, park)
    client = create_app({"TESTING": True, "PARK_PATH": str(park), "SECRET_KEY": "t"}).test_client()
    for name in ("A", "B"):
        assert client.post("/api/expansion/scenarios", json={"name": name}).status_code == 201
    figures = client.get("/api/expansion/scenarios").get_json()["scenarios"][0]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/expansion/scenarios/A.xlsx").data))
    assert figures["plots"] > 0 and book["plots"].max_row == figures["plots"] + 1 and book["roads"].max_row == 1
    assert client.get("/expansion/scenarios/A.gpkg").status_code == 200
    assert client.get("/api/expansion/compare?a=A&b=B").status_code == 200
    assert client.get("/expansion/compare?a=A&b=B").status_code == 200
