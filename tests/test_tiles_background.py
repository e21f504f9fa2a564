"""A large layer's first tiles do not wait for the whole layer (issue 18): above TILE_BACKGROUND_FEATURES records its
token (a digest of every feature) and, tiled in Python, its tile source are made in a background thread, and its
tiles are read from the store tile by tile meanwhile — the same bytes, not kept — on both stores.

The park is the tile-cache tests' park (the tiny park and four parcels along one row of zoom-16 tiles). The
background work is held on an event, so a tile served while it is held cannot have waited for it.
"""

from __future__ import annotations

import threading
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import test_tiles_cache as cache_tests
from conftest import TINY_META, WORKING_EPSG, tiny_frames
from test_tiles_cache import ALL_TILES, LAYERS, Z

from geo.tiles import buffered_tile_box, tile_box_in, web_mercator
from layers.store import GeoPackageStore
from service.tiles import TileService

park = cache_tests.park  # the fixtures of the tile-cache tests
renders = cache_tests.renders
TILE_SET = ",".join(LAYERS)
#: How long a test waits for the background work once it is let go.
BACKGROUND_WAIT_S = 30


@pytest.fixture
def held(monkeypatch):
    """Working a layer out whole (``TileService.layer_state``) waits until the event is set; the layers that did."""
    gate, started = threading.Event(), []
    original = TileService.layer_state

    def waiting(self, name, *args, **kwargs):
        started.append(name)
        assert gate.wait(BACKGROUND_WAIT_S), "the test never let the background work go"
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(TileService, "layer_state", waiting)
    yield gate, started
    gate.set()


def wait_for_background(app) -> None:
    service = app.extensions["parkatlas_tiles"]
    deadline = time.monotonic() + BACKGROUND_WAIT_S
    while service._working and time.monotonic() < deadline:  # noqa: SLF001 — the test watches the threads
        time.sleep(0.05)
    assert not service._working  # noqa: SLF001


def all_tiles(client, zooms=(Z, Z - 4)) -> dict[tuple, bytes]:
    found = {}
    for z in zooms:
        for x, y in ALL_TILES if z == Z else {(x >> (Z - z), y >> (Z - z)) for x, y in ALL_TILES}:
            answer = client.get(f"/tiles/{TILE_SET}/{z}/{x}/{y}.pbf")
            assert answer.status_code == 200, answer.data
            found[(z, x, y)] = answer.data
    return found


def test_tiles_of_a_layer_being_worked_out_are_read_tile_by_tile_and_equal(park, held, renders):
    gate, started = held
    gate.set()
    expected = all_tiles(park.make_app(str(park.tmp / "plain.sqlite")).test_client())  # worked out in the request
    gate_free = list(started)
    started.clear()
    gate.clear()
    app = park.make_app()
    app.config["TILE_BACKGROUND_FEATURES"] = 0  # every layer with a record is "large"
    renders.clear()
    client = app.test_client()
    assert all_tiles(client) == expected  # served while the background work waits: read tile by tile
    assert sorted(gate_free) == sorted(LAYERS)
    # One layer worked out at a time (the others wait their turn), so tile requests share the interpreter with one.
    assert len(started) == 1 and app.extensions["parkatlas_tiles"]._working == set(LAYERS)  # noqa: SLF001
    assert renders == []  # nothing rendered from a whole layer, nothing kept under a token
    gate.set()
    wait_for_background(app)
    assert all_tiles(client) == expected  # now from the worked-out layers, as before
    assert renders  # rendered (and kept) the usual way
    renders.clear()
    assert all_tiles(client) == expected and renders == []  # and found in the cache


def test_small_layers_are_worked_out_in_the_request(park, held, renders):
    gate, started = held
    gate.set()
    app = park.make_app()  # TILE_BACKGROUND_FEATURES as configured: the park is far below it
    all_tiles(app.test_client())
    assert sorted(set(started)) == sorted(LAYERS) and renders
    assert not app.extensions["parkatlas_tiles"]._working  # noqa: SLF001 — no thread was started


# -- the parts ----------------------------------------------------------------------------------------------


def test_a_box_read_gives_the_records_in_stored_order(tmp_path):
    rng = np.random.default_rng(7)
    frames = tiny_frames()
    x, y = frames["parcels"].geometry.iloc[0].centroid.coords[0]
    corners = rng.uniform(0, 2000, size=(400, 2))
    extra = gpd.GeoDataFrame({"parcel_id": [f"R{i}" for i in range(400)], "land_use": "100101",
                              "land_use_std": "用地用海2023", "status": "planned"},
                             geometry=[shapely.box(x + a, y + b, x + a + 20, y + b + 20) for a, b in corners],
                             crs=WORKING_EPSG)
    frames["parcels"] = pd.concat([frames["parcels"], extra], ignore_index=True)
    store = GeoPackageStore(tmp_path / "park.gpkg")
    store.save_park(frames, TINY_META)
    box = (x + 500, y + 500, x + 1500, y + 1500)
    # The spatial index gives these records in an order of its own (else this test could not fail):
    raw = pyogrio.read_dataframe(store.path, layer="parcels", bbox=box, columns=["parcel_id"])["parcel_id"]
    whole = store.load("parcels")["parcel_id"]
    in_stored_order = whole[whole.isin(set(raw))].tolist()
    assert raw.tolist() != in_stored_order and len(raw) > 50
    assert store.load("parcels", bbox=box)["parcel_id"].tolist() == in_stored_order


def test_web_mercator_gives_what_to_crs_gives():
    shapes = [shapely.box(0, 0, 10, 10), shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)]),
              shapely.LineString([(0, 0), (3, 4)]), shapely.Point(1, 2), shapely.Point(1, 2, 3),
              shapely.Polygon(), None]
    placed = shapely.transform(np.array(shapes, dtype=object), lambda c: c + [500_000, 3_400_000, 0], include_z=True)
    series = gpd.GeoSeries(placed, crs=WORKING_EPSG)
    mine, theirs = web_mercator(series), series.to_crs(3857).to_numpy()
    assert all(shapely.equals_exact(a, b, tolerance=0) or (a is None and b is None) or (a.is_empty and b.is_empty)
               for a, b in zip(mine, theirs))
    assert np.array_equal(shapely.get_coordinates(mine, include_z=True),
                          shapely.get_coordinates(theirs, include_z=True), equal_nan=True)
    assert shapely.has_z(mine[4]) and mine[6] is None


def test_a_tiles_box_in_the_working_crs_holds_the_buffered_tile():
    for z, x, y in ((16, 54866, 27320), (12, 3429, 1707), (18, 219464, 109280)):
        held = shapely.box(*tile_box_in(WORKING_EPSG, z, x, y))
        back = gpd.GeoSeries([held], crs=WORKING_EPSG).to_crs(3857).iloc[0]
        tile = shapely.box(*buffered_tile_box(z, x, y))
        assert back.contains(tile)
        assert back.area < tile.area * 1.05 + 4 * tile.length  # a box around it, not a much larger one


def test_prepare_starts_only_large_layers_not_worked_out(park, held):
    gate, started = held
    app = park.make_app()
    service = app.extensions["parkatlas_tiles"]
    with app.app_context():
        version = service.park.version()
        assert service.prepare(LAYERS, version) == []  # far below TILE_BACKGROUND_FEATURES: left to the requests
        app.config["TILE_BACKGROUND_FEATURES"] = 3
        counts = {name: len(service.park.fields(name, ["retired_on"])) for name in LAYERS}
        large = [name for name in LAYERS if counts[name] > 3]
        assert large == ["parcels"]  # 7 parcels; 2 roads and 1 zone stay below
        assert service.prepare(LAYERS, version) == ["parcels"]
        assert service._working == {"parcels"}  # noqa: SLF001
        gate.set()
        wait_for_background(app)
        assert started == ["parcels"]
        assert service.prepare(LAYERS, version) == []  # worked out now
