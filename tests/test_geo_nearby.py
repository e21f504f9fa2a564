"""Pair search, segments and rectangle clipping shared by the infrastructure analyses."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.nearby import (
    any_within,
    box_pairs,
    clip_to_rectangles,
    near_pairs,
    nearest_distance,
    pieces,
    run_positions,
    segments,
)
from geo.roadnet import frontage
from layers.infra_rules import default_infra_rules
from tests.infra_helpers import box, layer, line


def test_segments_of_rings_with_holes_and_of_lines():
    holed = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(2, 2), (4, 2), (4, 4), (2, 4)]])
    two = shapely.MultiPolygon([shapely.box(20, 0, 21, 1), shapely.box(30, 0, 31, 1)])
    starts, ends, owner = segments(np.array([holed, two]))
    assert owner.tolist() == [0] * 8 + [1] * 8
    assert np.hypot(*(ends - starts).T).sum() == pytest.approx(40 + 8 + 4 + 4)
    starts, ends, owner = segments(np.array([shapely.LineString([(0, 0), (3, 0), (3, 4)])]))
    assert starts.tolist() == [[0, 0], [3, 0]] and ends.tolist() == [[3, 0], [3, 4]] and owner.tolist() == [0, 0]



def test_segments_of_simple_polygons_and_lines_match_the_general_path():
    # Without a holed polygon or a multi-part geometry the coordinates are read in one run; the same segments.
    simple = np.array([shapely.box(0, 0, 2, 1), shapely.LineString([(5, 5), (6, 5), (6, 7)])])
    holed = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(2, 2), (4, 2), (4, 4), (2, 4)]])
    starts, ends, owner = segments(simple)
    assert owner.tolist() == [0, 0, 0, 0, 1, 1]
    assert np.hypot(*(ends - starts).T).tolist() == [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]  # box: from (2, 0) round
    general = segments(np.append(simple, holed))
    assert np.array_equal(general[0][:6], starts) and np.array_equal(general[1][:6], ends)
    assert general[2][:6].tolist() == owner.tolist()

def test_pieces_are_at_most_the_given_length_and_keep_the_line():
    long = shapely.LineString([(0, 0), (250, 0)])
    parts, owner = pieces(np.array([long]), max_m=100)
    assert len(parts) == 3 and (shapely.length(parts) <= 100).all()
    assert shapely.length(parts).sum() == pytest.approx(250)


@pytest.mark.parametrize(("start", "end", "inside_m"), [
    ((-5, 0), (15, 0), 10.0),     # across the whole rectangle
    ((2, -5), (2, 5), 4.0),       # across its width (|v| ≤ 2)
    ((0, 2), (10, 2), 10.0),      # lying on an edge counts as inside
    ((0, 3), (10, 3), 0.0),       # parallel, outside
    ((3, 1), (4, 1), 1.0),        # wholly inside
    ((12, 0), (20, 0), 0.0),      # beyond the end
])
def test_clip_to_rectangles(start, end, inside_m):
    t0, t1 = clip_to_rectangles(np.array([start], dtype=float), np.array([end], dtype=float),
                                np.array([10.0]), np.array([2.0]))
    length = np.hypot(end[0] - start[0], end[1] - start[1])
    assert max(t1[0] - t0[0], 0.0) * length == pytest.approx(inside_m, abs=1e-5)


def test_near_pairs_and_nearest_distance():
    points = np.array([shapely.Point(0, 0), shapely.Point(0, 50)])
    lines = np.array([shapely.LineString([(0, 3), (100, 3)]), shapely.LineString([(0, 10), (100, 10)])])
    i, j, d = near_pairs(points, lines, np.array([5.0, 45.0]))
    assert sorted(zip(i.tolist(), j.tolist(), d.tolist())) == [(0, 0, 3.0), (1, 1, 40.0)]
    assert nearest_distance(points, lines).tolist() == [3.0, 40.0]
    assert nearest_distance(points, lines, known=(np.array([0]), np.array([3.0]))).tolist() == [3.0, 40.0]
    assert np.isnan(nearest_distance(points, lines[:0])).all()



@pytest.mark.parametrize(("offset_m", "within"), [(5.0, True), (5.0 + 2e-6, False)])
def test_any_within_at_the_limit_and_just_beyond(offset_m, within):
    # A 10 m square; lines 5 m (+ the 1e-6 m slack allowed) north of it, and one 3 m north that the mask leaves out.
    square = np.array([shapely.box(0, 0, 10, 10)])
    lines = np.array([shapely.LineString([(-50, 10 + offset_m), (50, 10 + offset_m)]),
                      shapely.LineString([(-50, 13), (50, 13)])])
    found, = any_within(square, lines, 5.0, [np.array([True, False])])
    assert found.tolist() == [within]
    assert any_within(square, lines, 5.0, [np.array([False, True])])[0].tolist() == [True]


@pytest.mark.parametrize("block", [100_000, 7])
def test_any_within_agrees_with_near_pairs_per_mask(monkeypatch, block):
    monkeypatch.setattr("geo.nearby._BLOCK", block)  # 7: many blocks, one geometry's pairs never split
    rng = np.random.default_rng(7)
    corners = rng.uniform(0, 1000, (300, 2))
    squares = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + 20, corners[:, 1] + 30)
    ends = rng.uniform(0, 1000, (200, 2))
    lines = shapely.linestrings(np.stack([ends, ends + rng.uniform(-60, 60, (200, 2))], axis=1))
    within = rng.uniform(0, 25, 300)
    masks = [rng.random(200) < share for share in (0.1, 0.5, 1.0)] + [np.zeros(200, dtype=bool)]
    i, j, _ = near_pairs(squares, lines, within)
    for mask, found in zip(masks, any_within(squares, lines, within, masks)):
        expected = np.zeros(300, dtype=bool)
        expected[i[mask[j]]] = True
        assert found.tolist() == expected.tolist()
    assert 0 < any_within(squares, lines, within, masks)[1].sum() < 300  # some found, not all


def test_run_positions_one_run_after_another():
    # Runs 5, 6 (from 5, two), none (from 9, zero), 0, 1, 2 (from 0, three), 7 (from 7, one).
    assert run_positions(np.array([5, 9, 0, 7]), np.array([2, 0, 3, 1])).tolist() == [5, 6, 0, 1, 2, 7]
    assert run_positions(np.array([4]), np.array([0])).tolist() == []
    assert run_positions(np.zeros(0, dtype=int), np.zeros(0, dtype=int)).tolist() == []


def test_near_pairs_with_a_tree_built_once_in_blocks_of_the_first():
    points = np.array([shapely.Point(0, 0), shapely.Point(0, 50), shapely.Point(0, 8)])
    lines = np.array([shapely.LineString([(0, 3), (100, 3)]), shapely.LineString([(0, 10), (100, 10)])])
    tree = shapely.STRtree(lines)
    # Within 5 m: point 0 of line 0 (3 m); point 2 of line 1 (2 m) and line 0 (5 m, at the limit); point 1 of none.
    i, j, d = near_pairs(points[2:], lines, 5.0, tree=tree)
    assert sorted(zip(i.tolist(), j.tolist(), d.tolist())) == [(0, 0, 5.0), (0, 1, 2.0)]
    assert near_pairs(points[:2], lines, 5.0, tree=tree)[1].tolist() == [0]
    assert near_pairs(points[2:], lines, 4.9, tree=tree)[1].tolist() == [1]


def test_box_pairs_hold_every_near_pair_and_nothing_beyond_the_boxes():
    points = np.array([shapely.Point(0, 0)])
    lines = np.array([shapely.LineString([(4, 4), (9, 9)]), shapely.LineString([(6, -1), (6, 1)])])
    # The first line's envelope is 4 m away in x and y (5.66 m), the second's 6 m: within 5 m only the first.
    assert box_pairs(points, lines, 5.0)[1].tolist() == [0]
    assert near_pairs(points, lines, 5.0)[1].tolist() == []
    assert sorted(box_pairs(points, lines, 6.0)[1].tolist()) == [0, 1]

def test_frontage_along_a_bend_sums_its_pieces():
    # An L-shaped road (20 m red line) round the parcel's south and east sides: each piece's
    # corridor holds 100 m of boundary; the 10 m × 10 m corner inside both is counted twice.
    roads = layer("roads", [{"road_id": "L", "width_m": 20.0, "status": "completed",
                             "geometry": line((0, 0), (100, 0), (100, 100))}])
    parcels = layer("parcels", [{"parcel_id": "P", "geometry": box(10, 10, 90, 90)}])
    fronting = frontage(parcels, roads, rules=default_infra_rules())
    assert fronting.frontage_m.tolist() == pytest.approx([200.0])
    assert fronting.distance_m.tolist() == pytest.approx([10.0])
    # The stretch runs from x = 10 on the first piece to y = 90 on the second (100 m further along).
    assert (fronting.start_m[0], fronting.end_m[0]) == pytest.approx((10.0, 190.0))
