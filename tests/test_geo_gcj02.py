"""GCJ-02 / BD-09 against published point pairs, and the exactness of the iterative inverses."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import gcj02

# Published test vectors (WGS84 lon, lat) → (GCJ-02 lon, lat): googollee/eviltransform tests
# (Shanghai, Shenzhen, Beijing) and wandergis/coordtransform's README example (Tiananmen).
WGS_GCJ_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]
# wandergis/coordtransform: gcj02ToBd09(116.404, 39.915).
GCJ_BD_PAIR = ((116.404, 39.915), (116.41036949371029, 39.92133699351021))
# wandergis/coordtransform's closed-form approximations of the inverses (accurate to a few decimetres).
APPROX_BD_TO_GCJ = ((116.404, 39.915), (116.39762729119315, 39.90865673957631))
APPROX_GCJ_TO_WGS = ((116.404, 39.915), (116.39775550083061, 39.91359571849836))

METRES_PER_DEGREE = 111_320.0


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    assert gcj02.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ_PAIRS)
def test_gcj02_to_wgs84_recovers_the_published_origin(wgs, gcj):
    back = gcj02.gcj02_to_wgs84(*gcj)
    assert back == pytest.approx(wgs, abs=1e-9)  # ≈ 0.1 mm: the iteration is exact, not the 1–2 m shortcut


def test_gcj02_to_bd09_matches_the_published_pair():
    (gcj, bd) = GCJ_BD_PAIR
    assert gcj02.gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=1e-12)
    assert gcj02.bd09_to_gcj02(*bd) == pytest.approx(gcj, abs=1e-9)


def test_exact_inverses_agree_with_the_published_approximations_within_a_metre():
    for fn, (given_point, approx) in ((gcj02.bd09_to_gcj02, APPROX_BD_TO_GCJ), (gcj02.gcj02_to_wgs84,
                                                                                 APPROX_GCJ_TO_WGS)):
        lon, lat = fn(*given_point)
        assert abs(lon - approx[0]) * METRES_PER_DEGREE < 1.0
        assert abs(lat - approx[1]) * METRES_PER_DEGREE < 1.0
        # … and differ from them: the shortcut is not what the inverse computes.
        assert (lon, lat) != approx


def test_offset_is_tens_to_hundreds_of_metres_inside_china():
    lon, lat = gcj02.wgs84_to_gcj02(121.40, 28.65)
    shift_m = np.hypot((lon - 121.40) * METRES_PER_DEGREE * np.cos(np.radians(28.65)),
                       (lat - 28.65) * METRES_PER_DEGREE)
    assert 50 < shift_m < 1000


@pytest.mark.parametrize("point", [(2.35, 48.85), (139.77, 35.68), (-104.99, 39.74), (72.0, 30.0), (120.0, 0.8)])
def test_points_outside_the_china_box_are_unchanged(point):
    assert gcj02.wgs84_to_gcj02(*point) == point
    assert gcj02.gcj02_to_wgs84(*point) == pytest.approx(point, abs=0)
    assert gcj02.out_of_china(*point)


def test_box_edges_are_inside_and_just_outside_is_not():
    lon_min, lat_min, lon_max, lat_max = gcj02.CHINA_BBOX_DEG
    assert not gcj02.out_of_china(lon_min, lat_min)
    assert not gcj02.out_of_china(lon_max, lat_max)
    assert gcj02.out_of_china(lon_min - 1e-6, 30.0)
    assert gcj02.out_of_china(110.0, lat_max + 1e-6)


def test_arrays_in_arrays_out():
    lon = np.array([121.5272106, 113.912316, 2.35])
    lat = np.array([31.1774276, 22.543847, 48.85])
    out_lon, out_lat = gcj02.wgs84_to_gcj02(lon, lat)
    assert out_lon.shape == (3,)
    assert out_lon[:2] == pytest.approx([121.531541859215, 113.9171764808363], abs=1e-9)
    assert (out_lon[2], out_lat[2]) == (2.35, 48.85)


def test_to_wgs84_takes_the_coordinate_array_shapely_passes():
    coords = np.array([[121.531541859215, 31.17530398364597], [113.9171764808363, 22.540796131694766]])
    out = gcj02.to_wgs84(coords, system="gcj02")
    assert out == pytest.approx(np.array([[121.5272106, 31.1774276], [113.912316, 22.543847]]), abs=1e-9)
    with pytest.raises(ValueError, match="allowed: gcj02, bd09"):
        gcj02.to_wgs84(coords, system="wgs84")


@settings(max_examples=200, deadline=None)
@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_round_trips_are_exact_everywhere_in_china(lon, lat):
    assert gcj02.gcj02_to_wgs84(*gcj02.wgs84_to_gcj02(lon, lat)) == pytest.approx((lon, lat), abs=1e-9)
    assert gcj02.bd09_to_wgs84(*gcj02.wgs84_to_bd09(lon, lat)) == pytest.approx((lon, lat), abs=1e-9)
