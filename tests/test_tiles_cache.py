"""The persistent tile cache on both stores: seeded tiles equal on-demand ones, edits drop only the tiles they
reach (the tile buffer included) and keep the far tiles' bytes and ETags, imports invalidate a layer, restarts
keep the cache, and a cache of other data is never served.

The test park is the tiny park plus four 50 m parcels along one row of zoom-16 tiles (611.50 m wide, buffer
64/4096 of a tile = 9.555 m), placed in Web Mercator relative to the tile edges:

* FAR in tile x0+4 (its middle), FAR2 in tile x0+7 (its middle);
* Q in tile x0+6, its west side 5 m east of the tile's west edge: inside the buffer of tile x0+5;
* R in tile x0+9, its west side 15 m east of the tile's west edge: outside the buffer of tile x0+8 (5.4 m).

The edit moves Q and R 1 m east. Q's tile and tile x0+5 (Q's strip in the buffer shrinks from 5 m to 4 m)
change; R's tile changes; tile x0+8 (R beyond its buffer before and after), FAR's and FAR2's tiles and the tiny
park's tiles keep their bytes and ETags and are not encoded again.
"""

from __future__ import annotations

import datetime as dt
import shutil
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, WORKING_EPSG, tiny_frames

import web.tiles
from app import create_app
from geo.records import in_force
from geo.tiles import decode_tile, tile_bounds
from layers.store import GeoPackageStore
from service.tiles import TileService

Z = 16
X0, Y0 = 54866, 27320  # the tiny park's first zoom-16 tile (it spans X0 and X0+1)
LAYERS = ["parcels", "roads", "zones"]


def mercator_box(tile_x: int, west_m: float, width_m: float = 50.0) -> shapely.Polygon:
    """A width_m × 50 m box in tile (tile_x, Y0), its west side west_m east of the tile's west edge."""
    minx, miny, maxx, maxy = tile_bounds(Z, tile_x, Y0)
    middle = (miny + maxy) / 2
    return shapely.box(minx + west_m, middle - 25, minx + west_m + width_m, middle + 25)


EXTRA = {"FAR": mercator_box(X0 + 4, 280), "FAR2": mercator_box(X0 + 7, 280),
         "Q": mercator_box(X0 + 6, 5), "R": mercator_box(X0 + 9, 15)}


def park_frames(shift: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """The tiny park with the four extra parcels (``shift``: metres east per parcel)."""
    frames = tiny_frames()
    shift = shift or {}
    shapes = [shapely.transform(g, lambda c, d=shift.get(k, 0.0): c + [d, 0]) for k, g in EXTRA.items()]
    extra = gpd.GeoDataFrame({"parcel_id": list(EXTRA), "land_use": "100101", "land_use_std": "用地用海2023",
                              "status": "planned"}, geometry=shapes, crs=3857).to_crs(WORKING_EPSG)
    frames["parcels"] = pd.concat([frames["parcels"], extra], ignore_index=True)
    return frames


def moved_parcels(store, **shift: float) -> gpd.GeoDataFrame:
    """The stored parcels with the named ones moved east by the given metres (in Web Mercator; the others untouched)."""
    parcels = store.load("parcels")
    for parcel_id, metres in shift.items():
        rows = parcels["parcel_id"] == parcel_id
        mercator = parcels.geometry[rows].to_crs(3857)
        moved = shapely.transform(mercator.to_numpy(), lambda c, d=metres: c + [d, 0])
        parcels.loc[rows, "geometry"] = gpd.GeoSeries(moved, index=mercator.index, crs=3857).to_crs(WORKING_EPSG)
    return parcels


ALL_TILES = [(X0 + i, Y0) for i in range(10)]


@pytest.fixture(params=["gpkg", "postgis"])
def park(request, tmp_path):
    """The test park in each store, and a function making apps over it with the cache in tmp_path."""
    if request.param == "gpkg":
        store = GeoPackageStore(tmp_path / "park.gpkg")
        location = {"PARK_PATH": str(store.path), "DATABASE_URL": None}
    else:
        store = request.getfixturevalue("postgis_store")
        location = {"PARK_PATH": str(tmp_path / "unused.gpkg"), "DATABASE_URL": f"{store.url}?schema={store.schema}"}
    store.save_park(park_frames(), TINY_META)
    apps = []

    def make_app(cache: str | None = None):
        config = {"TESTING": True, "SECRET_KEY": "test", **location,
                  "TILE_CACHE_PATH": cache or str(tmp_path / "tiles.sqlite")}
        app = create_app(config)
        apps.append(app)
        return app

    yield SimpleNamespace(store=store, make_app=make_app, backend=request.param, tmp=tmp_path)
    if request.param == "postgis":
        for app in apps:
            app.extensions["parkatlas_park"].store.close()


def seed(app, zooms=(Z,)):
    with app.app_context():
        return web.tiles.seed(LAYERS, list(zooms))


def fetch(client, z, x, y, layers="parcels", **headers):
    response = client.get(f"/tiles/{layers}/{z}/{x}/{y}.pbf", headers=headers)
    assert response.status_code in (200, 304), response.data
    return response


def ids(data: bytes, x: int, y: int = Y0) -> list[str]:
    decoded = decode_tile(data, Z, x, y)
    return sorted(decoded["parcels"]["parcel_id"]) if "parcels" in decoded else []


@pytest.fixture
def renders(monkeypatch):
    """Every (layer, z, x, y) encoded on demand from now on."""
    made = []
    original = TileService.render

    def recording(self, names, z, x, y, **kwargs):
        made.extend((name, z, x, y) for name in names)
        return original(self, names, z, x, y, **kwargs)

    monkeypatch.setattr(TileService, "render", recording)
    return made


def served(client, tiles=ALL_TILES, layers="parcels") -> dict[tuple[int, int], tuple[bytes, str]]:
    out = {}
    for x, y in tiles:
        response = fetch(client, Z, x, y, layers)
        out[(x, y)] = (response.data, response.headers["ETag"])
    return out


def test_the_park_lies_where_the_docstring_says(park):
    tiles = served(park.make_app("none").test_client())  # on demand only
    found = {x - X0: ids(data, x) for (x, _), (data, _) in tiles.items()}
    assert found == {0: ["P1", "P2", "P3"], 1: ["P2"], 2: [], 3: [], 4: ["FAR"], 5: ["Q"], 6: ["Q"], 7: ["FAR2"],
                     8: [], 9: ["R"]}


def test_seeded_tiles_are_served_byte_identical_to_tiles_made_on_demand(park, renders):
    app = park.make_app()
    result = seed(app)
    # Layer tiles reached: parcels X0, X0+1 (P2 crosses the edge), X0+4..X0+7 (X0+5 by Q's buffer strip) and X0+9;
    # roads and zones X0 and X0+1 (R1 and the zone box run along P1 and P2): 7 + 2 + 2.
    assert result["tiles"] == 11
    assert sorted({(name, x - X0) for name, _, x, _ in renders}) == sorted(
        [*(("parcels", i) for i in (0, 1, 4, 5, 6, 7, 9)), ("roads", 0), ("roads", 1), ("zones", 0), ("zones", 1)])
    renders.clear()
    urls = [*ALL_TILES, (X0 + 20, Y0)]
    seeded = {layers: served(app.test_client(), urls, layers) for layers in ("parcels", "zones,parcels,roads")}
    assert renders == []  # all from the cache; the empty ones because zoom 16 is seeded
    fresh = park.make_app("none").test_client()
    for layers, tiles in seeded.items():
        assert tiles == served(fresh, urls, layers), layers  # same bytes, same ETags


def test_an_edit_changes_the_tiles_it_reaches_and_keeps_the_others(park, renders):
    app = park.make_app()
    seed(app)
    client = app.test_client()
    before = served(client)
    combined = served(client, layers="zones,parcels,roads")
    park.store.save("parcels", moved_parcels(park.store, Q=1.0, R=1.0))
    renders.clear()
    after = served(client)
    changed = sorted(x - X0 for x, _ in ALL_TILES if after[(x, Y0)] != before[(x, Y0)])
    assert changed == [5, 6, 9]  # Q's tile, Q's buffer neighbour, R's tile
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6, 9]  # only those were encoded again
    for x in (X0 + 5, X0 + 6, X0 + 9):  # ETags follow the bytes
        assert after[(x, Y0)][1] != before[(x, Y0)][1]
    fresh = served(park.make_app("none").test_client())
    assert after == fresh  # what the cache kept and what it made again are today's tiles
    # The browser's copies of the far tiles stay good: 304; the changed ones come anew.
    for (x, y), (_, etag) in before.items():
        response = fetch(client, Z, x, y, **{"If-None-Match": etag})
        assert response.status_code == (200 if x - X0 in (5, 6, 9) else 304), x
    assert served(client, layers="zones,parcels,roads")[(X0, Y0)] == combined[(X0, Y0)]


def test_a_tile_where_the_edited_feature_lies_only_in_the_buffer_changes(park):
    app = park.make_app()
    seed(app)
    client = app.test_client()
    strip = decode_tile(fetch(client, Z, X0 + 5, Y0).data, Z, X0 + 5, Y0)["parcels"]
    park.store.save("parcels", moved_parcels(park.store, Q=1.0))
    after = decode_tile(fetch(client, Z, X0 + 5, Y0).data, Z, X0 + 5, Y0)["parcels"]
    east = tile_bounds(Z, X0 + 5, Y0)[2]
    unit = 611.49622628141 / 4096
    # The strip beyond the tile's east edge: 5 m, then 4 m (to the grid's 0.15 m unit).
    assert strip.total_bounds[0] - east == pytest.approx(5.0, abs=unit)
    assert after.total_bounds[0] - east == pytest.approx(6.0, abs=unit)


def test_a_feature_just_beyond_the_buffer_leaves_the_tile_alone(park, renders):
    app = park.make_app()
    seed(app)
    client = app.test_client()
    before = fetch(client, Z, X0 + 8, Y0)
    park.store.save("parcels", moved_parcels(park.store, R=-5.0))  # 10 m from the edge: still 0.4 m beyond
    renders.clear()
    assert fetch(client, Z, X0 + 8, Y0, **{"If-None-Match": before.headers["ETag"]}).status_code == 304
    assert renders == []
    park.store.save("parcels", moved_parcels(park.store, R=-1.0))  # 9 m: inside the 9.555 m buffer
    after = fetch(client, Z, X0 + 8, Y0)
    assert renders == [("parcels", Z, X0 + 8, Y0)] and ids(after.data, X0 + 8) == ["R"]


def test_replacing_a_layer_invalidates_its_tiles_and_keeps_the_other_layers(park, renders):
    app = park.make_app()
    seed(app)
    client = app.test_client()
    roads_before = served(client, [(X0, Y0)], "roads")
    replacement = park_frames()["parcels"].iloc[[0]]  # the import keeps P1 alone
    park.store.save("parcels", replacement)
    renders.clear()
    tiles = served(client, ALL_TILES)
    assert {x - X0: ids(data, x) for (x, _), (data, _) in tiles.items() if data} == {0: ["P1"]}
    assert served(client, [(X0, Y0)], "roads") == roads_before
    assert {name for name, *_ in renders} == {"parcels"}


def test_a_restart_serves_the_seeded_tiles_without_reading_a_layer(park, renders, monkeypatch):
    first = park.make_app()
    seed(first)
    tiles = served(first.test_client(), ALL_TILES, "zones,parcels,roads")
    monkeypatch.setattr(TileService, "layer_state", lambda *a, **k: pytest.fail("a layer was read"))
    renders.clear()
    assert served(park.make_app().test_client(), ALL_TILES, "zones,parcels,roads") == tiles
    assert renders == []


def test_a_restart_after_an_edit_by_another_process_serves_the_new_data(park, renders):
    first = park.make_app()
    seed(first)
    before = served(first.test_client())
    park.store.save("parcels", moved_parcels(park.store, Q=1.0))
    renders.clear()
    after = served(park.make_app().test_client())
    assert sorted(x - X0 for (x, _), tile in after.items() if tile != before[(x, Y0)]) == [5, 6]
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]


def test_a_cache_file_of_another_park_is_never_served(park, tmp_path):
    other = GeoPackageStore(tmp_path / "other.gpkg")
    frames = park_frames()
    frames["parcels"]["land_use"] = "1101"  # the same shapes with another use
    other.save_park(frames, TINY_META)
    other_app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(other.path),
                            "DATABASE_URL": None, "TILE_CACHE_PATH": str(tmp_path / "other.tiles.sqlite")})
    seed(other_app)
    shutil.copy(tmp_path / "other.tiles.sqlite", tmp_path / "copied.tiles.sqlite")
    app = park.make_app(str(tmp_path / "copied.tiles.sqlite"))
    tiles = served(app.test_client())
    assert tiles == served(park.make_app("none").test_client())
    uses = decode_tile(tiles[(X0 + 4, Y0)][0], Z, X0 + 4, Y0)["parcels"]["land_use"]
    assert list(uses) == ["100101"]


def test_seeding_again_renders_only_what_is_missing(park):
    app = park.make_app()
    assert seed(app)["tiles"] == 11
    assert seed(app)["tiles"] == 0
    park.store.save("parcels", moved_parcels(park.store, R=1.0))
    assert seed(app)["tiles"] == 1  # R's tile (a hole after the edit)


def test_a_cache_file_that_cannot_be_written_leaves_tiles_served_and_kept_in_memory(park, renders, monkeypatch):
    import sqlite3

    from layers.tile_cache import TileCacheFile

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    app = park.make_app()
    monkeypatch.setattr(TileCacheFile, "put_tiles", refuse)
    client = app.test_client()
    first = fetch(client, Z, X0 + 4, Y0)
    assert ids(first.data, X0 + 4) == ["FAR"]
    assert fetch(client, Z, X0 + 4, Y0).data == first.data
    assert renders == [("parcels", Z, X0 + 4, Y0)]  # the second answer came from memory


def test_an_attribute_edit_changes_the_tiles_only_when_the_tiles_carry_that_attribute(park, renders):
    app = park.make_app()
    seed(app)
    client = app.test_client()
    before = served(client)
    parcels = park.store.load("parcels")
    parcels.loc[parcels["parcel_id"] == "FAR", "status"] = "supplied"  # not in the tiles (popups fetch it)
    park.store.save("parcels", parcels)
    renders.clear()
    assert served(client) == before and renders == []
    parcels.loc[parcels["parcel_id"] == "FAR", "land_use"] = "1101"  # the tiles' colour field
    park.store.save("parcels", parcels)
    after = served(client)
    assert sorted(x - X0 for (x, _), tile in after.items() if tile != before[(x, Y0)]) == [4]
    assert renders == [("parcels", Z, X0 + 4, Y0)]
    assert list(decode_tile(after[(X0 + 4, Y0)][0], Z, X0 + 4, Y0)["parcels"]["land_use"]) == ["1101"]


def test_a_cache_file_that_cannot_be_opened_leaves_tiles_served_from_memory(park, renders):
    (park.tmp / "not-a-folder").write_text("a file where the cache's folder should be")
    app = park.make_app(str(park.tmp / "not-a-folder" / "tiles.sqlite"))
    client = app.test_client()
    first = fetch(client, Z, X0 + 4, Y0)
    assert ids(first.data, X0 + 4) == ["FAR"] and fetch(client, Z, X0 + 4, Y0).data == first.data
    assert renders == [("parcels", Z, X0 + 4, Y0)]


# -- records in force only (what the GeoJSON pages draw) ------------------------------------------------------


def retired(store, **days) -> gpd.GeoDataFrame:
    """The stored parcels with ``retired_on`` set per parcel id (None: in force again)."""
    parcels = store.load("parcels")
    for parcel_id, day in days.items():
        parcels.loc[parcels["parcel_id"] == parcel_id, "retired_on"] = pd.NaT if day is None else pd.Timestamp(day)
    return parcels


def drawn(tiles) -> set[str]:
    return {i for (x, y), (data, _) in tiles.items() for i in ids(data, x, y)}


def test_tiles_draw_the_records_in_force_as_the_overview_does(park):
    today = dt.date.today()
    # FAR retired today, FAR2 retired from next year on: in_force (no day) leaves both out, as the page does.
    park.store.save("parcels", retired(park.store, FAR=today, FAR2=today + dt.timedelta(days=365)))
    assert sorted(in_force(park.store.load("parcels"))["parcel_id"]) == ["P1", "P2", "P3", "Q", "R"]
    tiles = served(park.make_app("none").test_client())
    assert drawn(tiles) == {"P1", "P2", "P3", "Q", "R"}
    assert ids(tiles[(X0 + 4, Y0)][0], X0 + 4) == [] and ids(tiles[(X0 + 7, Y0)][0], X0 + 7) == []
    app = park.make_app()
    # Seeding skips the tiles only retired records reach: parcels X0, X0+1, X0+5, X0+6, X0+9, roads and zones 2 each.
    assert seed(app)["tiles"] == 9
    assert served(app.test_client()) == tiles


def test_retiring_a_record_drops_the_tiles_it_reached_and_bringing_it_back_restores_them(park, renders):
    app = park.make_app()
    seed(app)
    client = app.test_client()
    before = served(client)
    park.store.save("parcels", retired(park.store, Q=dt.date.today()))
    renders.clear()
    gone = served(client)
    assert sorted(x - X0 for (x, _), tile in gone.items() if tile != before[(x, Y0)]) == [5, 6]  # Q and its buffer
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]
    assert "Q" not in drawn(gone) and drawn(gone) == drawn(before) - {"Q"}
    assert gone == served(park.make_app("none").test_client())
    park.store.save("parcels", retired(park.store, Q=None))
    renders.clear()
    assert served(client) == before  # the same bytes and ETags as before it was retired
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]


def test_a_change_of_settings_is_worked_out_again_not_looked_up_by_park_version(park):
    # Parcels above a threshold of 2 are not drawn below zoom 12: the seeded zoom-11 tile has no parcels.
    x, y = X0 >> 5, Y0 >> 5
    first = park.make_app()
    first.config["TILE_FEATURE_THRESHOLD"] = 2
    with first.app_context():
        web.tiles.seed(["parcels"], [11])
    assert ids_at(fetch(first.test_client(), 11, x, y).data, 11, x, y) == []
    # Another server, default threshold, the same cache and park version: parcels are drawn there.
    assert ids_at(fetch(park.make_app().test_client(), 11, x, y).data, 11, x, y) == sorted(["P1", "P2", "P3", *EXTRA])


def test_the_threshold_counts_the_records_in_force(park):
    x, y = X0 >> 5, Y0 >> 5
    app = park.make_app("none")
    app.config["TILE_FEATURE_THRESHOLD"] = 6  # 7 parcels: large, left out at zoom 11
    assert ids_at(fetch(app.test_client(), 11, x, y).data, 11, x, y) == []
    park.store.save("parcels", retired(park.store, FAR=dt.date.today()))  # 6 in force: small, drawn
    assert ids_at(fetch(app.test_client(), 11, x, y).data, 11, x, y) == ["FAR2", "P1", "P2", "P3", "Q", "R"]


def ids_at(data: bytes, z: int, x: int, y: int) -> list[str]:
    decoded = decode_tile(data, z, x, y)
    return sorted(decoded["parcels"]["parcel_id"]) if "parcels" in decoded else []


def test_concurrent_requests_for_a_tile_nobody_made_encode_it_once(park, renders, monkeypatch):
    import threading
    import time

    app = park.make_app()
    recording = TileService.render

    def slow(self, names, z, x, y, **kwargs):
        time.sleep(0.3)  # long enough for every request to arrive while the first one encodes
        return recording(self, names, z, x, y, **kwargs)

    monkeypatch.setattr(TileService, "render", slow)
    answers = {}

    def ask(i):
        answers[i] = fetch(app.test_client(), Z, X0 + 4, Y0, layers="zones,parcels")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert renders == [("zones", Z, X0 + 4, Y0), ("parcels", Z, X0 + 4, Y0)]
    assert len(answers) == 4 and len({(a.data, a.headers["ETag"]) for a in answers.values()}) == 1
    assert ids(answers[0].data, X0 + 4) == ["FAR"]
    assert not app.extensions["parkatlas_tiles"].flights._locks  # none left over
