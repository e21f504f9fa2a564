"""CRS policy and units: zone choice, EPSG codes, no measuring in degrees, exact 亩."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from geo import crs, units


@pytest.mark.parametrize(
    ("lon", "zone", "cm", "epsg"),
    [
        (121.40, 40, 120, 4549),  # the demo park, coastal Zhejiang
        (102.7, 34, 102, 4543),  # Kunming: DOMAIN.md example 4543 = CM 102°E
        (126.6, 42, 126, 4551),  # Harbin: 4551 = CM 126°E
        (75.0, 25, 75, 4534),  # first of the CM series
        (135.0, 45, 135, 4554),  # last of the CM series
        (118.4999, 39, 117, 4548),  # just west of the 118.5° zone edge
        (118.5, 40, 120, 4549),  # exactly on the edge: belongs to the eastern zone
    ],
)
def test_zone_and_epsg_from_longitude(lon, zone, cm, epsg):
    assert crs.gk3_zone(lon) == zone
    assert crs.gk3_central_meridian(lon) == cm
    assert crs.working_epsg_for_lon(lon) == epsg
    definition = CRS.from_epsg(epsg)
    assert definition.is_projected
    assert f"CM {cm}E" in definition.name


def test_zone_prefixed_codes():
    assert crs.gk3_zone_prefixed_epsg(25) == 4513
    assert crs.gk3_zone_prefixed_epsg(40) == 4528
    assert crs.gk3_zone_prefixed_epsg(45) == 4533
    assert "zone 40" in CRS.from_epsg(4528).name
    with pytest.raises(ValueError, match="between 25 and 45 .* got 24"):
        crs.gk3_zone_prefixed_epsg(24)


@pytest.mark.parametrize("bad_cm", [72, 138, 100])
def test_central_meridian_outside_series_is_refused(bad_cm):
    with pytest.raises(ValueError, match=f"multiple of 3 between 75 and 135 degrees east, got {bad_cm}"):
        crs.gk3_cm_epsg(bad_cm)


@pytest.mark.parametrize("bad_lon", [float("nan"), 181.0, -200.0])
def test_bad_longitude_is_refused(bad_lon):
    with pytest.raises(ValueError, match="longitude must be a finite number"):
        crs.gk3_zone(bad_lon)


def test_measuring_in_degrees_is_refused():
    frame = gpd.GeoDataFrame(geometry=[shapely.box(121, 28, 121.01, 28.01)], crs=4326)
    with pytest.raises(ValueError, match="parcel area: refusing to measure in geographic CRS EPSG:4326"):
        crs.require_projected(frame, what="parcel area")
    with pytest.raises(ValueError, match="parcel area: the data has no CRS"):
        crs.require_projected(frame.set_crs(None, allow_override=True), what="parcel area")
    crs.require_projected(frame.to_crs(4549), what="parcel area")


def test_to_web_and_back_keeps_areas():
    square = gpd.GeoDataFrame(geometry=[shapely.box(636_000, 3_171_000, 636_100, 3_171_100)], crs=4549)
    web = crs.to_web(square)
    assert web.crs.to_epsg() == 4326
    back = crs.to_working(web, 4549)
    assert back.area.iloc[0] == pytest.approx(10_000.0, rel=1e-9)
    assert crs.to_working(square, "EPSG:4549") is square


def test_frames_without_crs_are_never_transformed():
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)])
    with pytest.raises(ValueError, match="cannot send data without a CRS"):
        crs.to_web(frame)
    with pytest.raises(ValueError, match="say which CRS it is in"):
        crs.to_working(frame, 4549)


def test_mu_is_exactly_two_thousand_thirds_of_a_square_metre():
    assert units.M2_PER_MU == 2000 / 3
    assert units.m2_to_mu(2000.0) == 3.0
    assert units.mu_to_m2(15.0) == 10_000.0
    assert units.MU_PER_HA == 15.0
    assert units.m2_to_ha(10_000.0) == 1.0
    assert units.m2_to_km2(1_500 * units.M2_PER_MU) == pytest.approx(1.0)
