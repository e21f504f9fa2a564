"""bench/bench_analysis.py's building splitter: strips along the longer axis, counts, ids, areas, floor area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bench.bench_analysis import coverage_and_far, split_buildings

X0, Y0 = 636_000.0, 3_171_000.0
CRS = 4549


def frame(geoms, **columns) -> gpd.GeoDataFrame:
    n = len(geoms)
    data = {"building_id": [f"B{i + 1}" for i in range(n)], "floors": [2] * n, "gfa_m2": [300.0] * n,
            "status": ["completed"] * n}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=CRS)


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


L_SHAPE = shapely.Polygon([(X0, Y0 + 50), (X0 + 4, Y0 + 50), (X0 + 4, Y0 + 52), (X0 + 2, Y0 + 52), (X0 + 2, Y0 + 54),
                           (X0, Y0 + 54)])


def test_largest_footprint_gets_most_strips_across_its_longer_side():
    # Areas 20 (10 × 2), 8 (2 × 4, longer side vertical), 12 (L, not convex). Six pieces: the largest piece is
    # smallest with 3 + 2 + 1 strips (20/3 and 4 m²); 4 + 1 + 1 would leave an 8 m² piece.
    buildings = frame([box(0, 0, 10, 2), box(20, 0, 22, 4), L_SHAPE])
    out = split_buildings(buildings, 6)
    assert len(out) == 6
    assert out["building_id"].tolist() == ["B1", "B1-s1", "B1-s2", "B2", "B2-s1", "B3"]
    np.testing.assert_allclose(shapely.area(out.geometry.to_numpy()), [20 / 3] * 3 + [4, 4, 12])
    # B1's strips cut x at 10/3 and 20/3, full height; B2's cut y at 2 (its longer side is vertical).
    bounds = shapely.bounds(out.geometry.to_numpy()) - [X0, Y0, X0, Y0]
    np.testing.assert_allclose(sorted(bounds[:3, 0]), [0, 10 / 3, 20 / 3], atol=1e-6)
    np.testing.assert_allclose(bounds[:3, [1, 3]], [[0, 2]] * 3, atol=1e-6)
    np.testing.assert_allclose(sorted(bounds[3:5, 1]), [0, 2], atol=1e-6)
    assert out.geometry.iloc[5].equals(L_SHAPE)  # not convex: left whole


def test_pieces_tile_a_rotated_footprint_and_share_its_floor_area():
    rotated = shapely.affinity.rotate(box(0, 0, 30, 10), 30, origin="centroid")
    out = split_buildings(frame([rotated]), 3)
    pieces = out.geometry.to_numpy()
    # GEOS's rotated rectangle of a rotated footprint is exact to ~1e-4 m only: strips nearly equal, tiling exact.
    np.testing.assert_allclose(shapely.area(pieces), [100, 100, 100], rtol=1e-4)
    # Coordinates of 6·10⁵ m round at 1e-10 m.
    assert shapely.area(pieces).sum() == pytest.approx(shapely.area(rotated), rel=1e-10)
    assert shapely.area(shapely.symmetric_difference(shapely.union_all(pieces), rotated)) < 1e-6
    shared = 300 * shapely.area(pieces) / shapely.area(rotated)  # floor area shared by footprint
    np.testing.assert_allclose(out["gfa_m2"], shared, rtol=1e-12)
    assert out["floors"].tolist() == [2, 2, 2]  # other attributes copied


def test_surplus_strip_is_taken_back_and_count_is_exact():
    # Two 20 m² footprints into 3: ceil(20 / a) gives 2 + 2 = 4 for every a < 20, one strip too many.
    out = split_buildings(frame([box(0, 0, 10, 2), box(20, 0, 30, 2)]), 3)
    assert len(out) == 3
    assert shapely.area(out.geometry.to_numpy()).sum() == pytest.approx(40)
    assert sorted(out["building_id"]) == ["B1", "B2", "B2-s1"]


def test_enough_buildings_already_returns_them_unchanged():
    buildings = frame([box(0, 0, 10, 2), box(20, 0, 22, 4)])
    out = split_buildings(buildings, 2)
    assert out["building_id"].tolist() == ["B1", "B2"]
    assert shapely.equals(out.geometry.to_numpy(), buildings.geometry.to_numpy()).all()


def test_an_id_already_using_the_separator_is_refused():
    buildings = frame([box(0, 0, 10, 2), box(20, 0, 22, 2)], building_id=["B1", "B1-s1"])
    with pytest.raises(ValueError, match="not unique"):
        split_buildings(buildings, 3)


def test_coverage_and_far_per_parcel_unchanged_for_a_building_across_two_parcels():
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
                               crs=CRS)
    # 60 × 20 footprint, 40 m² × 20 in P1 and 20 × 20 in P2; 2 floors, gfa 2 400 m².
    buildings = frame([box(60, 10, 120, 30)], gfa_m2=[2400.0])
    before = coverage_and_far(parcels, buildings)
    after = coverage_and_far(parcels, split_buildings(buildings, 7))
    np.testing.assert_allclose(before["coverage"], [800 / 10_000, 400 / 10_000])
    np.testing.assert_allclose(before["far"], [1600 / 10_000, 800 / 10_000])
    pd.testing.assert_frame_equal(after, before, rtol=1e-12)
