"""Tiles after a change written row by row (issue 18): the layer's token comes from the previous one and the
changed records, the cache drops only the tiles they reach, the tile source is patched, nothing is read or
fingerprinted whole; a change whose way is not known (``row_changes`` None) is worked out whole as before.

The row-level write itself is simulated: the changed records are written with a whole-layer save and the
change is noted on the park service (``note_rows``) with the versions before and after, as the application
does after a row write. The park is the one of tests/test_tiles_cache.py (its docstring places the parcels):
moving Q 1 m east changes tiles X0+5 (Q in its buffer) and X0+6 (Q's tile); every other tile stays.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import test_tiles_cache
from test_tiles_cache import ALL_TILES, X0, Y0, Z, fetch, ids, ids_at, mercator_box, moved_parcels, served

import geo.tiles
import web.tiles
from geo.tiles import (
    PatchedSource,
    TileSource,
    decode_tile,
    encode_tile,
    merged,
    patch_source,
    tile_bounds,
    tile_source,
)
from layers.tile_cache import LayerState, TileCacheFile, tile_etag
from service.park import RowChange
from service.tiles import TileService

park = test_tiles_cache.park  # the fixtures of the same park
renders = test_tiles_cache.renders


def services(app):
    return app.extensions["parkatlas_park"], app.extensions["parkatlas_tiles"]


def write_rows(app, store, parcels: gpd.GeoDataFrame, changed: list[str], *, note: bool = True) -> None:
    """Write ``parcels`` whole and, with ``note``, tell the park service it was a row change of ``changed``."""
    service, _ = services(app)
    before = service.version()
    old_rows = service.layer("parcels")
    old_rows = old_rows[old_rows["parcel_id"].isin(changed)]
    store.save("parcels", parcels)
    after = service.version()
    assert after != before
    if note:
        new_rows = service.store.load("parcels")
        new_rows = new_rows[new_rows["parcel_id"].isin(changed)]
        service.note_rows(RowChange(before, after, {"parcels": (old_rows, new_rows)}))


@pytest.fixture
def nothing_whole(monkeypatch):
    """``arm(app)``: from now on, fail when the app's tile service fingerprints a layer or builds its source whole."""
    def refuse(*args, **kwargs):
        pytest.fail("a layer was read whole")

    def arm(app):
        monkeypatch.setattr(services(app)[1], "layer_state", refuse)
        monkeypatch.setattr(services(app)[1], "registry_frame", refuse)

    return arm


def test_a_row_change_drops_only_the_tiles_it_reaches_and_patches_the_source(park, renders, nothing_whole):
    app = park.make_app()
    client = app.test_client()
    before = served(client)  # on demand: every tile made once, the source built whole
    nothing_whole(app)
    write_rows(app, park.store, moved_parcels(park.store, Q=1.0), ["Q"])
    renders.clear()
    after = served(client)
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]  # only Q's tile and its buffer neighbour encoded
    assert sorted(x - X0 for (x, _), tile in after.items() if tile != before[(x, Y0)]) == [5, 6]
    fresh = served(park.make_app("none").test_client())
    assert after == fresh  # bytes and ETags of a service built from scratch on the new park


def test_an_attribute_the_tiles_carry_is_patched_in_and_one_they_do_not_changes_nothing(park, renders,
                                                                                          nothing_whole):
    app = park.make_app()
    client = app.test_client()
    before = served(client)
    _, tiles = services(app)
    token = tiles.layer_token("parcels", services(app)[0].version())[0]
    nothing_whole(app)
    parcels = park.store.load("parcels")
    parcels.loc[parcels["parcel_id"] == "FAR", "status"] = "supplied"  # popups fetch it; not in the tiles
    write_rows(app, park.store, parcels, ["FAR"])
    renders.clear()
    assert served(client) == before and renders == []
    assert tiles.layer_token("parcels", services(app)[0].version())[0] == token  # nothing a tile shows changed
    parcels.loc[parcels["parcel_id"] == "FAR", "land_use"] = "1101"  # the tiles' colour field
    write_rows(app, park.store, parcels, ["FAR"])
    after = served(client)
    assert renders == [("parcels", Z, X0 + 4, Y0)]
    assert list(decode_tile(after[(X0 + 4, Y0)][0], Z, X0 + 4, Y0)["parcels"]["land_use"]) == ["1101"]
    assert after == served(park.make_app("none").test_client())


def test_a_created_and_a_retired_record_are_patched_in_and_out(park, renders, nothing_whole):
    app = park.make_app()
    client = app.test_client()
    before = served(client)
    nothing_whole(app)
    parcels = park.store.load("parcels")
    new = gpd.GeoDataFrame({"parcel_id": ["NEW"], "land_use": ["100101"], "land_use_std": ["用地用海2023"],
                            "status": ["planned"]},
                           geometry=[mercator_box(X0 + 8, 200)], crs=3857).to_crs(parcels.crs)
    parcels = pd.concat([parcels, new], ignore_index=True)
    parcels.loc[parcels["parcel_id"] == "FAR2", "retired_on"] = pd.Timestamp(dt.date.today())
    write_rows(app, park.store, parcels, ["NEW", "FAR2"])
    renders.clear()
    after = served(client)
    assert sorted(x - X0 for _, _, x, _ in renders) == [7, 8]  # FAR2's tile, NEW's tile
    assert ids(after[(X0 + 8, Y0)][0], X0 + 8) == ["NEW"] and ids(after[(X0 + 7, Y0)][0], X0 + 7) == []
    assert {k: v for k, v in after.items() if k[0] - X0 not in (7, 8)} == \
        {k: v for k, v in before.items() if k[0] - X0 not in (7, 8)}
    assert after == served(park.make_app("none").test_client())


def test_seeded_tiles_far_from_a_row_change_stay_and_its_tiles_become_holes(park, renders, nothing_whole):
    app = park.make_app()
    with app.app_context():
        web.tiles.seed(["parcels"], [Z])
    client = app.test_client()
    before = served(client)
    nothing_whole(app)
    write_rows(app, park.store, moved_parcels(park.store, R=1.0), ["R"])
    renders.clear()
    after = served(client)
    assert renders == [("parcels", Z, X0 + 9, Y0)]  # R's tile was a hole; the empty ones stay known empty
    assert sorted(x - X0 for (x, _), tile in after.items() if tile != before[(x, Y0)]) == [9]
    assert after == served(park.make_app("none").test_client())
    with app.app_context():
        assert web.tiles.seed(["parcels"], [Z])["tiles"] == 0  # the hole was filled on demand


def test_a_change_whose_way_is_not_known_is_worked_out_whole(park, renders):
    app = park.make_app()
    client = app.test_client()
    served(client)
    calls = []
    original = TileService.layer_state

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    TileService.layer_state = counting
    try:
        write_rows(app, park.store, moved_parcels(park.store, Q=1.0), ["Q"], note=False)
        assert services(app)[0].row_changes(services(app)[0].version()) == []
        renders.clear()
        after = served(client)
    finally:
        TileService.layer_state = original
    assert calls == ["parcels"]  # fingerprinted whole once
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]
    assert after == served(park.make_app("none").test_client())


def test_a_whole_sync_after_row_changes_drops_what_they_reached(park, renders):
    # Q moves by a row change (the recorded fingerprints stay those of the first sync), then another process
    # moves it back: compared with those fingerprints nothing changed, yet the cached tiles show Q moved.
    app = park.make_app()
    client = app.test_client()
    before = served(client)
    original = park.store.load("parcels")
    write_rows(app, park.store, moved_parcels(park.store, Q=1.0), ["Q"])
    moved = served(client)
    assert moved != before
    write_rows(app, park.store, original, ["Q"], note=False)  # exactly the first sync's records again
    renders.clear()
    back = served(client)
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]
    assert back == served(park.make_app("none").test_client())
    assert back[(X0 + 6, Y0)][0] == before[(X0 + 6, Y0)][0]


def test_another_server_on_the_same_cache_finds_the_row_change_worked_out(park, renders, monkeypatch):
    app = park.make_app()
    served(app.test_client())
    write_rows(app, park.store, moved_parcels(park.store, Q=1.0), ["Q"])
    after = served(app.test_client())
    monkeypatch.setattr(TileService, "layer_state", lambda *a, **k: pytest.fail("a layer was read"))
    renders.clear()
    assert served(park.make_app().test_client()) == after  # its version → token recorded in the file
    assert renders == []


def test_row_changes_in_memory_only_keep_the_far_tiles_and_serve_the_new_data(park, renders, nothing_whole):
    app = park.make_app("none")  # no tile cache file: tiles are kept in memory
    client = app.test_client()
    before = served(client)
    nothing_whole(app)
    write_rows(app, park.store, moved_parcels(park.store, Q=1.0, R=1.0), ["Q", "R"])
    renders.clear()
    first = served(client)
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6, 9]  # the others came from memory
    assert sorted(x - X0 for (x, _), tile in first.items() if tile != before[(x, Y0)]) == [5, 6, 9]
    write_rows(app, park.store, moved_parcels(park.store, Q=1.0), ["Q"])  # a second step on the patched source
    renders.clear()
    second = served(client)
    assert sorted(x - X0 for _, _, x, _ in renders) == [5, 6]
    assert second == served(park.make_app("none").test_client())


def test_crossing_the_feature_threshold_is_worked_out_whole(park):
    x, y = X0 >> 5, Y0 >> 5
    app = park.make_app()
    app.config["TILE_FEATURE_THRESHOLD"] = 6  # 7 parcels: large, left out at zoom 11
    assert ids_at(fetch(app.test_client(), 11, x, y).data, 11, x, y) == []
    parcels = park.store.load("parcels")
    parcels.loc[parcels["parcel_id"] == "FAR", "retired_on"] = pd.Timestamp(dt.date.today())
    write_rows(app, park.store, parcels, ["FAR"])  # 6 in force: small, drawn
    assert ids_at(fetch(app.test_client(), 11, x, y).data, 11, x, y) == ["FAR2", "P1", "P2", "P3", "Q", "R"]


# -- the patched source itself ----------------------------------------------------------------------------------


def grid(n: int = 5) -> gpd.GeoDataFrame:
    """n × n 10 m squares 20 m apart, ids c0…, in Web Mercator near the tiny park."""
    x0, y0 = 13_000_000.0, 3_700_000.0
    shapes = [shapely.box(x0 + 20 * i, y0 + 20 * j, x0 + 20 * i + 10, y0 + 20 * j + 10)
              for j in range(n) for i in range(n)]
    return gpd.GeoDataFrame({"id": [f"c{i}" for i in range(n * n)], "v": range(n * n)}, geometry=shapes, crs=3857)


def all_tiles(source, z: int = 17) -> list[bytes]:
    x0, y0 = 13_000_000.0, 3_700_000.0
    from geo.tiles import tiles_covering

    return [encode_tile(source, z, x, y) for x, y in tiles_covering((x0 - 50, y0 - 50, x0 + 150, y0 + 150), z)]


def test_a_patched_source_cuts_the_tiles_a_source_built_afresh_cuts():
    frame = grid()
    source = tile_source(frame, layer="t", properties=frame[["id", "v"]], ids=False, keys=frame["id"])
    # Edit c3 (moved, v changed), remove c7, add n1 at the end: what the store holds after, in its order.
    edited = frame.copy()
    edited.loc[3, "geometry"] = shapely.box(13_000_061.0, 3_700_001.0, 13_000_075.0, 3_700_009.0)
    edited.loc[3, "v"] = 99
    added = gpd.GeoDataFrame({"id": ["n1"], "v": [100]}, geometry=[shapely.box(13_000_005.0, 3_700_005.0,
                                                                                 13_000_030.0, 3_700_030.0)],
                             crs=3857)
    after = pd.concat([edited.drop(index=7), added], ignore_index=True)
    changed = after[after["id"].isin(["c3", "n1"])]
    patched = patch_source(source, pd.Index(["c3", "c7"]), changed, properties=changed[["id", "v"]],
                           keys=changed["id"])
    fresh = tile_source(after, layer="t", properties=after[["id", "v"]], ids=False, keys=after["id"])
    assert len(patched) == len(fresh) == 25
    assert all_tiles(patched) == all_tiles(fresh)  # the same bytes: the same features in the same order
    tile = decode_tile(max(all_tiles(patched), key=len), 17, 0, 0)["t"]
    assert 99 in set(tile["v"]) and 7 not in set(tile["v"]) and 100 in set(tile["v"])
    # A second patch on the patched source: n1 edited again, c3 removed, c7 back in its old place.
    again = after.copy()
    again.loc[again["id"] == "n1", "v"] = 101
    again = pd.concat([again[again["id"] != "c3"], frame.loc[[7]]])
    changed = again[again["id"].isin(["n1", "c7"])]
    twice = patch_source(patched, pd.Index(["n1", "c3"]), changed, properties=changed[["id", "v"]],
                         keys=changed["id"])
    order = pd.concat([frame.drop(index=3), again[again["id"] == "n1"]])  # c7 at its place, n1 last
    order.loc[order["id"] == "c7", "v"] = 7
    rebuilt = tile_source(order, layer="t", properties=order[["id", "v"]], ids=False, keys=order["id"])
    assert all_tiles(twice) == all_tiles(rebuilt)
    assert all_tiles(merged(twice)) == all_tiles(rebuilt) and list(merged(twice).keys) == list(order["id"])


def test_a_source_whose_added_features_pass_the_share_is_merged_into_one(monkeypatch):
    frame = grid(4)  # 16 features: one added feature is 1/16 of the base
    source = tile_source(frame, layer="t", properties=frame[["id", "v"]], ids=False, keys=frame["id"])
    monkeypatch.setattr(geo.tiles, "MERGE_EXTRA_MIN", 0)
    changed = frame.iloc[[2]].assign(v=50)
    for share, kind in ((16, PatchedSource), (32, TileSource)):  # 1 added > 16 // 16 = 1 is false; > 16 // 32 true
        monkeypatch.setattr(geo.tiles, "MERGE_EXTRA_SHARE", share)
        patched = patch_source(source, pd.Index(["c2"]), changed, properties=changed[["id", "v"]],
                               keys=changed["id"])
        assert isinstance(patched, kind), share


def test_a_source_without_keys_or_with_feature_ids_is_not_patched():
    frame = grid(2)
    empty = frame.iloc[:0]
    for source in (tile_source(frame, layer="t", properties=frame[["id"]], ids=False),
                   tile_source(frame, layer="t", properties=frame[["id"]], ids=True, keys=frame["id"])):
        assert patch_source(source, pd.Index(["c0"]), empty, properties=empty[["id"]], keys=empty["id"]) is None


def test_a_cache_file_of_the_layout_before_row_changes_is_emptied_and_used(tmp_path):
    path = tmp_path / "old.tiles.sqlite"
    with sqlite3.connect(path) as conn:  # layout 1: tiles filed under the token itself
        conn.executescript("""
            CREATE TABLE cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO cache_meta VALUES ('layout', '1');
            CREATE TABLE tiles (layer TEXT NOT NULL, token TEXT NOT NULL, z INTEGER NOT NULL, x INTEGER NOT NULL,
                y INTEGER NOT NULL, data BLOB, etag TEXT, PRIMARY KEY (layer, token, z, x, y));
            INSERT INTO tiles VALUES ('parcels', 't', 16, 1, 2, x'00', 'e');
            CREATE TABLE versions (park_version TEXT NOT NULL, layer TEXT NOT NULL, token TEXT NOT NULL,
                settings TEXT NOT NULL, PRIMARY KEY (park_version, layer));
            INSERT INTO versions VALUES ('v1', 'parcels', 't', 's');""")
    cache = TileCacheFile(path)
    assert cache.stats()["tiles"] == 0 and cache.token_for("v1", "parcels") is None
    state = LayerState.make("s", np.array([1], dtype=np.uint64), np.array([[0.0, 0.0, 1.0, 1.0]]))
    assert cache.sync("parcels", "v1", lambda old: state) == (state.token, "s")
    assert cache.put_tiles("parcels", state.token, [(16, 1, 2, b"tile")]) == 1
    assert cache.tile("parcels", state.token, 16, 1, 2) == (b"tile", tile_etag(b"tile"))


def test_advance_moves_the_token_drops_what_the_boxes_reach_and_refuses_another_starting_point(tmp_path):
    cache = TileCacheFile(tmp_path / "t.sqlite")
    state = LayerState.make("s", np.array([1], dtype=np.uint64), np.array([[0.0, 0.0, 1.0, 1.0]]))
    cache.sync("parcels", "v1", lambda old: state)
    cache.put_tiles("parcels", state.token, [(Z, X0 + i, Y0, f"tile {i}".encode()) for i in range(3)])
    minx, miny, maxx, maxy = tile_bounds(Z, X0 + 1, Y0)
    inside = np.array([[minx + 100, miny + 100, minx + 150, miny + 150]])  # in the middle of tile X0+1
    assert cache.advance("parcels", "v2", previous="other", token="t2", settings="s", count=1, bounds=inside) is None
    assert cache.advance("parcels", "v2", previous=state.token, token="t2", settings="x", count=1,
                         bounds=inside) is None  # other settings: worked out whole
    assert cache.advance("parcels", "v2", previous=state.token, token="t2", settings="s", count=2,
                         bounds=inside) == ("t2", "s", 2)
    assert [cache.tile("parcels", "t2", Z, X0 + i, Y0) for i in range(3)] == \
        [(b"tile 0", tile_etag(b"tile 0")), None, (b"tile 2", tile_etag(b"tile 2"))]
    assert cache.tile("parcels", state.token, Z, X0, Y0) is None  # the superseded token finds nothing
    assert cache.put_tiles("parcels", state.token, [(Z, X0 + 1, Y0, b"old data")]) == 0  # and keeps nothing
    assert cache.version_state("v2", "parcels") == ("t2", "s", 2)
    assert cache.reach("parcels").tolist() == [[0.0, 0.0, 1.0, 1.0], *inside.tolist()]  # pending for seeding


def test_tiles_asked_from_many_threads_while_rows_change_end_as_a_fresh_service_draws_them(park):
    import threading
    import time
    import urllib.request

    from browser_helpers import serve

    app = park.make_app()
    failures: list[str] = []
    stop = threading.Event()

    def ask(base: str) -> None:
        while not stop.is_set():
            for x, y in ALL_TILES:
                try:
                    with urllib.request.urlopen(f"{base}/tiles/parcels/{Z}/{x}/{y}.pbf", timeout=30) as response:
                        response.read()
                except Exception as exc:  # noqa: BLE001 (every failure is reported by the assertion below)
                    failures.append(repr(exc))

    with serve(app) as base:
        threads = [threading.Thread(target=ask, args=(base,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for step in range(6):  # Q east by 1 m each time, R back and forth
            write_rows(app, park.store, moved_parcels(park.store, Q=1.0, R=1.0 if step % 2 == 0 else -1.0),
                       ["Q", "R"])
            time.sleep(0.1)
        stop.set()
        for thread in threads:
            thread.join()
        final = {}
        for x, y in ALL_TILES:
            with urllib.request.urlopen(f"{base}/tiles/parcels/{Z}/{x}/{y}.pbf", timeout=30) as response:
                final[(x, y)] = response.read()
    assert failures == []
    fresh = served(park.make_app("none").test_client())
    assert final == {tile: data for tile, (data, _) in fresh.items()}
