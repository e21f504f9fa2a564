"""Tile math and MVT encoding: features at tile edges appear in every tile they touch, once, clipped to the buffer.

Fixtures are built directly in Web Mercator around the corner shared by four
zoom-16 tiles, so the distance of each feature to the tile edges is known in
tile units (1 unit = tile width / 4096).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.tiles import (
    DEFAULT_BUFFER,
    DEFAULT_EXTENT,
    MERCATOR_HALF_WORLD_M,
    check_tile,
    decode_tile,
    encode_tile,
    tile_bounds,
    tile_features,
    tile_source,
    tiles_covering,
)

Z = 16
#: The four tiles around one tile corner: (x, y) → position.
X0, Y0 = 54866, 27320
TILES = [(X0, Y0), (X0 + 1, Y0), (X0, Y0 + 1), (X0 + 1, Y0 + 1)]
CORNER_X, CORNER_Y = tile_bounds(Z, X0 + 1, Y0 + 1)[0], tile_bounds(Z, X0 + 1, Y0 + 1)[3]
UNIT = (tile_bounds(Z, X0, Y0)[2] - tile_bounds(Z, X0, Y0)[0]) / DEFAULT_EXTENT


def units_box(x0, y0, x1, y1):
    """A box given in tile units from the shared corner (x right, y up)."""
    return shapely.box(CORNER_X + x0 * UNIT, CORNER_Y + y0 * UNIT, CORNER_X + x1 * UNIT, CORNER_Y + y1 * UNIT)


@pytest.fixture
def features() -> gpd.GeoDataFrame:
    """A: straddles the corner (all four tiles). B: 10 units left of the vertical edge (in the buffer of the right
    tiles). C: 100 units left of it (beyond the 64-unit buffer). D: a line crossing the vertical edge. E: smaller
    than a tile unit. F: a point exactly on the vertical edge."""
    return gpd.GeoDataFrame(
        {
            "fid_expected": [1, 2, 3, 4, 5, 6],
            "name": ["甲 <b>", "乙", "丙", "丁", "戊", None],
            "status": ["operating", "planned", "planned", "completed", "planned", "planned"],
        },
        geometry=[
            units_box(-300, -200, 500, 400),
            units_box(-50, 500, -10, 900),
            units_box(-200, 500, -100, 900),
            shapely.LineString([(CORNER_X - 800 * UNIT, CORNER_Y + 1000 * UNIT),
                                (CORNER_X + 900 * UNIT, CORNER_Y + 1200 * UNIT)]),
            units_box(-2000, 1500, -1999.6, 1500.3),
            shapely.Point(CORNER_X, CORNER_Y + 2000 * UNIT),
        ],
        crs=3857,
    )


def decoded(source, x, y) -> gpd.GeoDataFrame:
    layers = decode_tile(encode_tile(source, Z, x, y), Z, x, y)
    return layers.get("parcels", gpd.GeoDataFrame({"fid": [], "name": []}, geometry=[], crs=3857))


def test_tile_bounds_of_the_first_zooms():
    h = MERCATOR_HALF_WORLD_M
    assert tile_bounds(0, 0, 0) == pytest.approx((-h, -h, h, h))
    assert tile_bounds(1, 0, 0) == pytest.approx((-h, 0, 0, h))  # y counts down from the top row
    assert tile_bounds(1, 1, 1) == pytest.approx((0, -h, h, 0))
    assert tile_bounds(2, 3, 0) == pytest.approx((h / 2, h / 2, h, h))


def test_tile_coordinates_are_checked_on_both_sides_of_every_bound():
    check_tile(0, 0, 0)
    check_tile(3, 7, 7)
    check_tile(22, 0, 0, max_zoom=22)
    for z, x, y, message in [(23, 0, 0, "zoom must be between 0 and 22, got 23"), (-1, 0, 0, "got -1"),
                             (3, 8, 0, "tile x at zoom 3 must be between 0 and 7, got 8"),
                             (3, 0, 8, "tile y at zoom 3 must be between 0 and 7, got 8"), (3, -1, 0, "got -1")]:
        with pytest.raises(ValueError, match=message):
            check_tile(z, x, y, max_zoom=22)


def test_tiles_covering_a_box_around_a_corner_are_the_four_tiles():
    box = (CORNER_X - 10 * UNIT, CORNER_Y - 10 * UNIT, CORNER_X + 10 * UNIT, CORNER_Y + 10 * UNIT)
    assert sorted(tiles_covering(box, Z)) == sorted(TILES)
    inside = (CORNER_X + 10 * UNIT, CORNER_Y - 20 * UNIT, CORNER_X + 20 * UNIT, CORNER_Y - 10 * UNIT)
    assert tiles_covering(inside, Z) == [(X0 + 1, Y0 + 1)]


def test_each_tile_holds_exactly_the_features_within_its_buffer(features):
    source = tile_source(features, layer="parcels", properties=features[["name", "status"]])
    top_left, top_right, bottom_left, bottom_right = (set(decoded(source, x, y)["fid"]) for x, y in TILES)
    # A in all four; B and C lie above the corner, left of the edge: B is within the right tile's buffer, C is not.
    assert top_left == {1, 2, 3, 4, 6}
    assert top_right == {1, 2, 4, 6}
    assert bottom_left == {1}
    assert bottom_right == {1}


def test_no_feature_appears_twice_in_a_tile_or_outside_the_buffer(features):
    source = tile_source(features, layer="parcels", properties=features[["name", "status"]])
    for x, y in TILES:
        tile = decoded(source, x, y)
        assert tile["fid"].is_unique
        minx, miny, maxx, maxy = tile_bounds(Z, x, y)
        pad = DEFAULT_BUFFER * UNIT
        bounds = shapely.bounds(tile.geometry.to_numpy())
        assert (bounds[:, 0] >= minx - pad - UNIT).all() and (bounds[:, 2] <= maxx + pad + UNIT).all()
        assert (bounds[:, 1] >= miny - pad - UNIT).all() and (bounds[:, 3] <= maxy + pad + UNIT).all()


def test_pieces_cut_at_the_tile_edges_add_up_to_the_whole_feature(features):
    """No gaps: each tile's piece clipped to the tile proper, summed over tiles, is the original (to the grid)."""
    source = tile_source(features, layer="parcels", properties=features[["name"]])
    area = {1: 0.0}
    length = {4: 0.0}
    for x, y in TILES:
        tile = decoded(source, x, y).set_index("fid")
        inner = shapely.box(*tile_bounds(Z, x, y))
        if 1 in tile.index:
            area[1] += shapely.intersection(tile.geometry.loc[1], inner).area
        if 4 in tile.index:
            length[4] += shapely.intersection(tile.geometry.loc[4], inner).length
    original = features.geometry.iloc[0].area
    assert area[1] == pytest.approx(original, rel=1e-9)  # the box's corners lie on the integer grid
    assert length[4] == pytest.approx(features.geometry.iloc[3].length, rel=2e-3)  # its ends are off-grid by < 1 unit


def test_features_keep_their_properties_and_row_numbers(features):
    source = tile_source(features, layer="parcels", properties=features[["name", "status"]])
    tile = decoded(source, X0, Y0).set_index("fid")
    assert tile.loc[1, "name"] == "甲 <b>" and tile.loc[1, "status"] == "operating"
    assert pd.isna(tile.loc[6, "name"])  # MVT has no null: the key is left out
    (x, y), = tile.loc[6].geometry.coords
    assert x == pytest.approx(CORNER_X, abs=1e-6) and y == pytest.approx(CORNER_Y + 2000 * UNIT, abs=1e-6)


def test_what_is_smaller_than_a_tile_unit_is_dropped_and_shown_when_zoomed_in(features):
    source = tile_source(features, layer="parcels", properties=features[["name"]])
    assert 5 not in set(decoded(source, X0, Y0)["fid"])
    z = Z + 2  # four times finer: 0.4 × 0.3 units become 1.6 × 1.2
    small = features.geometry.iloc[4].centroid
    x, y = tiles_covering(small.bounds, z)[0]
    positions, geometries = tile_features(source, z, x, y)
    assert 4 in positions.tolist()  # row 5 (position 4) survives at the finer zoom
    assert shapely.area(geometries[positions.tolist().index(4)]) >= 1


def test_an_empty_tile_is_empty_bytes(features):
    source = tile_source(features, layer="parcels", properties=features[["name"]])
    assert encode_tile(source, Z, X0 - 5, Y0) == b""
    assert decode_tile(b"", Z, X0 - 5, Y0) == {}


def test_source_in_a_projected_crs_is_moved_to_web_mercator_and_one_without_crs_refused(features):
    working = features.to_crs(4549)
    source = tile_source(working, layer="parcels", properties=working[["name"]])
    assert set(decoded(source, X0, Y0)["fid"]) == {1, 2, 3, 4, 6}
    with pytest.raises(ValueError, match="has no CRS"):
        tile_source(features.set_crs(None, allow_override=True), layer="parcels", properties=features[["name"]])


def test_a_large_tile_is_encoded_from_vectorised_clipping(features):
    """10⁴ squares in one tile come out once each (a smoke check of the vectorised path, not a timing)."""
    xs, ys = np.meshgrid(np.arange(100) * 40, np.arange(100) * 40)
    boxes = shapely.box(CORNER_X + xs.ravel() * UNIT + UNIT, CORNER_Y - ys.ravel() * UNIT - 30 * UNIT,
                        CORNER_X + xs.ravel() * UNIT + 30 * UNIT, CORNER_Y - ys.ravel() * UNIT - UNIT)
    grid = gpd.GeoDataFrame({"n": np.arange(len(boxes))}, geometry=boxes, crs=3857)
    source = tile_source(grid, layer="parcels", properties=grid[["n"]])
    tile = decoded(source, X0 + 1, Y0 + 1)
    assert len(tile) == 10_000 and sorted(tile["n"]) == list(range(10_000))


def test_feature_records_made_on_demand_equal_those_made_at_once():
    import datetime as dt

    from geo.tiles import FeatureRecords
    from layers.geojson import json_ready

    properties = pd.DataFrame({
        "text": pd.array(["一号", None, "c"], dtype="string"),
        "count": pd.array([1, None, 3], dtype="Int64"),
        "share": [0.5, float("nan"), float("inf")],
        "flag": pd.array([True, False, None], dtype="boolean"),
        "day": pd.to_datetime([dt.date(2024, 3, 1), None, dt.date(2025, 1, 2)]).astype("datetime64[ms]"),
    })
    # All at once, as tile sources made them before: to_dict of the JSON-ready frame, missing values left out.
    eager = [{k: v for k, v in row.items() if v is not None} for row in json_ready(properties).to_dict("records")]
    lazy = FeatureRecords(properties)
    assert len(lazy) == 3
    assert [repr(record) for record in lazy] == [repr(record) for record in eager]
    assert [[type(v) for v in record.values()] for record in lazy] == [[type(v) for v in r.values()] for r in eager]
    assert lazy[1] == {"flag": False} and lazy[-1] == eager[2] and lazy[0:2] == eager[0:2]
    assert list(FeatureRecords(properties[[]])) == [{}, {}, {}]  # no attributes: empty dicts, and iteration ends
    with pytest.raises(IndexError):
        lazy[3]


def test_mercator_boxes_are_those_of_the_reprojected_geometries():
    from geo.tiles import WEB_MERCATOR_EPSG, mercator_bounds

    x0, y0 = 636_000.0, 3_171_000.0  # EPSG:4549, the tests' park
    shapes = [
        shapely.box(x0, y0, x0 + 100, y0 + 50),
        shapely.MultiPolygon([shapely.box(x0, y0, x0 + 1, y0 + 1), shapely.box(x0 + 500, y0 - 300, x0 + 501, y0 - 299)]),
        shapely.LineString([(x0, y0), (x0 + 2000, y0 + 3000), (x0 - 40, y0 + 10)]),
        shapely.Point(x0 + 7, y0 + 9),
        shapely.Polygon(),  # empty: no box
        None,  # missing: no box
        shapely.box(x0 - 1e4, y0 - 1e4, x0 - 9e3, y0 - 9e3).buffer(30.0),
    ]
    series = gpd.GeoSeries(shapes, crs=4549)
    expected = shapely.bounds(series.to_crs(WEB_MERCATOR_EPSG).to_numpy())
    assert np.array_equal(mercator_bounds(series), expected, equal_nan=True)
    assert np.isnan(mercator_bounds(series)[[4, 5]]).all() and not np.isnan(mercator_bounds(series)[[0, 6]]).any()
    with_z = gpd.GeoSeries([shapely.Point(x0, y0, 12.0), shapes[0]], crs=4549)  # 3-D: reprojected whole, as before
    assert np.array_equal(mercator_bounds(with_z), shapely.bounds(with_z.to_crs(WEB_MERCATOR_EPSG).to_numpy()))
