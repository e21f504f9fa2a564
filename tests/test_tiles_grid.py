"""Tile-cache building blocks with hand-computed figures: which tiles a box reaches (the buffer on both sides of
each edge), feature fingerprints, the SQLite cache's carry-over, and the seed-tiles command's options."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.tiles import MERCATOR_HALF_WORLD_M, feature_digests, tile_bounds, tile_ranges, tiles_touched
from layers.tile_cache import LayerState, TileCacheFile, changed_bounds, known_bounds, tile_etag
from web.commands.seed_tiles import parse_zooms

Z = 16
SIZE = 2 * MERCATOR_HALF_WORLD_M / 2**16  # 611.496 m
PAD = SIZE * 64 / 4096  # 9.555 m
X, Y = 54866, 27320
MINX, MINY, MAXX, MAXY = tile_bounds(Z, X, Y)


def test_the_grid_figures_used_below():
    assert SIZE == pytest.approx(611.49622628141) and PAD == pytest.approx(9.554628535647)
    assert MAXX - MINX == pytest.approx(SIZE)


@pytest.mark.parametrize(("gap", "reaches"), [(PAD - 0.01, True), (PAD + 0.01, False)])
def test_a_box_west_of_a_tile_reaches_it_only_within_the_buffer(gap, reaches):
    box = np.array([[MINX - gap - 50, MINY + 100, MINX - gap, MINY + 150]])
    x0, y0, x1, y1 = tile_ranges(box, Z)
    assert (x0[0], x1[0]) == ((X - 1, X) if reaches else (X - 1, X - 1))
    assert (y0[0], y1[0]) == (Y, Y)


@pytest.mark.parametrize(("gap", "reaches"), [(PAD - 0.01, True), (PAD + 0.01, False)])
def test_a_box_east_of_a_tile_reaches_it_only_within_the_buffer(gap, reaches):
    box = np.array([[MAXX + gap, MINY + 100, MAXX + gap + 50, MINY + 150]])
    x0, _, x1, _ = tile_ranges(box, Z)
    assert (x0[0], x1[0]) == ((X, X + 1) if reaches else (X + 1, X + 1))


@pytest.mark.parametrize(("gap", "reaches"), [(PAD - 0.01, True), (PAD + 0.01, False)])
def test_a_box_north_or_south_of_a_tile_reaches_it_only_within_the_buffer(gap, reaches):
    north = np.array([[MINX + 100, MAXY + gap, MINX + 150, MAXY + gap + 50]])  # rows count down from the top
    south = np.array([[MINX + 100, MINY - gap - 50, MINX + 150, MINY - gap]])
    _, y0, _, y1 = tile_ranges(north, Z)
    assert (y0[0], y1[0]) == ((Y - 1, Y) if reaches else (Y - 1, Y - 1))
    _, y0, _, y1 = tile_ranges(south, Z)
    assert (y0[0], y1[0]) == ((Y, Y + 1) if reaches else (Y + 1, Y + 1))


def test_tiles_touched_lists_each_tile_once_at_every_zoom_and_skips_missing_boxes():
    corner = [MINX - 20, MAXY - 20, MINX + 20, MAXY + 20]  # on the corner of four zoom-16 tiles
    inside = [MINX + 100, MINY + 100, MINX + 200, MINY + 200]
    found = tiles_touched(np.array([corner, inside, [np.nan] * 4]), [15, 16])
    z16 = {(X - 1, Y - 1), (X, Y - 1), (X - 1, Y), (X, Y)}
    # At zoom 15 the corner (x 54866 = 2·27433, y 27320 = 2·13660) is that of four tiles too.
    z15 = {(27432, 13659), (27433, 13659), (27432, 13660), (27433, 13660)}
    assert found.dtype == np.int64 and len(found) == 8
    assert {tuple(row) for row in found.tolist()} == {(16, *t) for t in z16} | {(15, *t) for t in z15}


def test_tiles_touched_by_nothing_is_empty():
    assert tiles_touched(np.empty((0, 4)), [14, 15]).shape == (0, 3)


@pytest.fixture
def features():
    frame = gpd.GeoDataFrame({"id": pd.array(["a", "b", "c"], dtype="str"), "n": pd.array([1, None, 3], dtype="Int64")},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.box(0, 0, 1, 1)],
                             crs=4549)
    return frame


def test_digests_follow_geometry_and_attributes_not_position(features):
    digests = feature_digests(features, features[["id", "n"]])
    assert digests.dtype == np.uint64 and len(set(digests.tolist())) == 3
    again = feature_digests(features.iloc[::-1], features[["id", "n"]].iloc[::-1])
    assert again.tolist() == digests[::-1].tolist()
    moved = features.copy()
    moved.geometry = moved.geometry.translate(xoff=1e-6)
    assert not np.isin(feature_digests(moved, moved[["id", "n"]]), digests).any()
    renamed = features.copy()
    renamed.loc[1, "n"] = 2  # from missing to 2
    changed = feature_digests(renamed, renamed[["id", "n"]])
    assert (changed == digests).tolist() == [True, False, True]
    same_shape = feature_digests(features, features[["n"]].assign(id="a"))
    assert same_shape[0] != same_shape[2]  # a and c share the shape; n differs (1, 3)


def state(digests, bounds, settings="s"):
    return LayerState.make(settings, np.array(digests, dtype=np.uint64), np.array(bounds, dtype=float))


def test_known_and_changed_boxes_by_fingerprint():
    old = state([10, 20, 30], [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]])
    bounds, missing = known_bounds(old, np.array([30, 40, 10], dtype=np.uint64))
    assert missing.tolist() == [False, True, False]
    assert bounds[0].tolist() == [4, 4, 5, 5] and bounds[2].tolist() == [0, 0, 1, 1]
    new = state([30, 40, 10], [[4, 4, 5, 5], [6, 6, 7, 7], [0, 0, 1, 1]])
    assert changed_bounds(old, new).tolist() == [[2, 2, 3, 3], [6, 6, 7, 7]]  # 20 left, 40 came
    assert old.token != new.token and state([10, 20, 30], old.bounds).token == old.token
    assert state([10, 20, 30], old.bounds, settings="other").token != old.token


def box_in_tile(x: int, west: float = 100.0) -> list[float]:
    minx, miny, _, _ = tile_bounds(Z, x, Y)
    return [minx + west, miny + 100, minx + west + 50, miny + 150]


def test_sync_carries_over_the_tiles_no_changed_feature_reaches(tmp_path):
    cache = TileCacheFile(tmp_path / "t.sqlite")
    first = state([1, 2, 3], [box_in_tile(X), box_in_tile(X + 2), box_in_tile(X + 4, west=SIZE - PAD + 1 - 50)])
    assert cache.sync("parcels", "v1", lambda old: first) == (first.token, "s")
    cache.put_tiles("parcels", first.token, [(Z, X + i, Y, f"tile {i}".encode()) for i in range(6)])
    cache.mark_seeded("parcels", first.token, [Z])
    # Feature 3 (in tile X+4, its east side 1 m inside the buffer of tile X+5) changes its attributes.
    second = state([1, 2, 4], first.bounds)
    assert cache.sync("parcels", "v2", lambda old: second)[0] == second.token
    kept = {x - X: cache.tile("parcels", second.token, Z, x, Y) for x in range(X, X + 6)}
    assert kept[0] == (b"tile 0", tile_etag(b"tile 0")) and kept[2] == (b"tile 2", tile_etag(b"tile 2"))
    assert kept[1] == (b"tile 1", tile_etag(b"tile 1")) and kept[3] == (b"tile 3", tile_etag(b"tile 3"))
    assert kept[4] == (None, None) and kept[5] == (None, None)  # holes: the zoom was seeded
    assert cache.tile("parcels", first.token, Z, X, Y) is None  # nothing left under the old token
    assert cache.seeded_zooms("parcels", second.token) == {Z} and cache.seeded_zooms("parcels", first.token) == set()


def test_sync_asks_for_the_layer_once_per_park_version_across_processes(tmp_path):
    first = state([1], [box_in_tile(X)])
    TileCacheFile(tmp_path / "t.sqlite").sync("parcels", "v1", lambda old: first)
    other_process = TileCacheFile(tmp_path / "t.sqlite")
    assert other_process.sync("parcels", "v1", lambda old: pytest.fail("the layer was read")) == (first.token, "s")


def test_other_settings_or_a_first_sync_drop_every_tile_of_the_layer(tmp_path):
    cache = TileCacheFile(tmp_path / "t.sqlite")
    first = state([1], [box_in_tile(X)])
    cache.put_tiles("parcels", first.token, [(Z, X + 3, Y, b"left by someone")])
    cache.sync("parcels", "v1", lambda old: first)
    assert cache.tile("parcels", first.token, Z, X + 3, Y) is None  # no state: nothing is trusted
    cache.put_tiles("parcels", first.token, [(Z, X + 3, Y, b"far")])
    cache.put_tiles("roads", "r", [(Z, X, Y, b"road")])
    second = state([1], [box_in_tile(X)], settings="other")
    cache.sync("parcels", "v2", lambda old: second)
    assert cache.tile("parcels", second.token, Z, X + 3, Y) is None
    assert cache.tile("roads", "r", Z, X, Y) == (b"road", tile_etag(b"road"))  # other layers are left alone
    assert cache.stats()["tiles"] == 1


def test_tiles_written_under_a_superseded_token_are_dropped_at_the_next_sync(tmp_path):
    cache = TileCacheFile(tmp_path / "t.sqlite")
    a = state([1], [box_in_tile(X)])
    b = state([2], [box_in_tile(X)])
    cache.sync("parcels", "v1", lambda old: a)
    cache.sync("parcels", "v2", lambda old: b)
    cache.put_tiles("parcels", a.token, [(Z, X + 3, Y, b"made from newer data, filed under a")])
    cache.sync("parcels", "v3", lambda old: a)  # the edit is undone
    assert cache.tile("parcels", a.token, Z, X + 3, Y) is None


@pytest.mark.parametrize(("text", "zooms"), [("12-14", [12, 13, 14]), ("0", [0]), ("18", [18]), ("14,12", [12, 14]),
                                             ("12-13,13-14", [12, 13, 14])])
def test_zoom_options_that_are_accepted(text, zooms):
    assert parse_zooms(text) == zooms


@pytest.mark.parametrize(("text", "message"), [("19", "from 0 to 18"), ("14-12", "low-high"), ("-1", "zoom"),
                                               ("a", "not a zoom"), ("12-13-14", "low-high")])
def test_zoom_options_that_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_zooms(text)


def test_the_seed_tiles_command_seeds_the_park_and_refuses_bad_options(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-tiles", "--zooms", "16", "--layers", "parcels,roads"])
    assert result.exit_code == 0, result.output
    # The tiny park spans two zoom-16 tiles: parcels and roads reach both.
    assert "seeded 4 layer tiles" in result.output and "tiny.gpkg.tiles.sqlite" in result.output
    again = runner.invoke(args=["seed-tiles", "--zooms", "16", "--layers", "parcels,roads"])
    assert "seeded 0 layer tiles" in again.output and ": 4 tiles" in again.output
    for args, message in ((["--zooms", "19"], "from 0 to 18"), (["--layers", "units"], "units not tiled")):
        refused = runner.invoke(args=["seed-tiles", *args])
        assert refused.exit_code == 2 and message in refused.output


def test_seeding_a_park_that_is_not_there_fails_without_leaving_a_cache_file(tiny_park, tmp_path):
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
    missing = tmp_path / "elsewhere" / "none.gpkg"
    result = app.test_cli_runner().invoke(args=["seed-tiles", "--park", str(missing)])
    assert result.exit_code == 2 and "no park file here" in result.output
    assert not missing.parent.exists()
