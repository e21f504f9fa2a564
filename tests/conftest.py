"""Shared fixtures: a tiny hand-built park whose figures can be computed by hand.

The tiny park lies near 121.40°E, 28.65°N and is built directly in the park's
working CRS, EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E):

* P1: 100 m × 100 m (10 000 m² = 15 亩), operating, with a 50 m × 40 m factory (2 000 m²).
* P2: 200 m × 100 m (20 000 m² = 30 亩), supplied, no buildings.
* P3: 100 m × 100 m, planned.
* Road R1 along y = -10 (300 m, completed); R2 along x = 310 (100 m, subgrade).
* Pipeline W1: water main 300 m along R1, in service.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from conftest_postgis import postgis_store, postgis_url  # noqa: E402,F401

from layers.store import GeoPackageStore  # noqa: E402

WORKING_EPSG = 4549
X0, Y0 = 636_000.0, 3_171_000.0


def tiny_frames() -> dict[str, pd.DataFrame]:
    """The tiny park's layers as plain frames (not yet validated)."""
    def box(x0, y0, x1, y1):
        return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    def line(*points):
        return shapely.LineString([(X0 + x, Y0 + y) for x, y in points])

    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "name": ["一号地块 <b>", "二号地块", "三号地块"],
            "area_name": ["一期", "一期", "拓展区"],
            "land_use": ["100101", "100102", "1101"],
            "land_use_std": ["用地用海2023"] * 3,
            "status": ["operating", "supplied", "planned"],
            "tenure": ["granted", "granted", None],
            "enterprise_id": ["E1", "E2", None],
            "contract_date": pd.to_datetime(["2019-05-01", "2024-03-01", None]),
            "land_price_wan": [300.0, 600.0, None],
        },
        geometry=[box(0, 0, 100, 100), box(100, 0, 300, 100), box(0, 100, 100, 200)],
        crs=WORKING_EPSG,
    )
    buildings = gpd.GeoDataFrame(
        {
            "building_id": ["B1"],
            "parcel_id": ["P1"],
            "name": ["1号厂房"],
            "use": ["factory"],
            "floors": [2],
            "floor_heights_m": ["6,5"],
            "gfa_m2": [4000.0],
            "status": ["completed"],
        },
        geometry=[box(20, 20, 70, 60)],
        crs=WORKING_EPSG,
    )
    roads = gpd.GeoDataFrame(
        {"road_id": ["R1", "R2"], "name": ["纬一路", "经一路"], "grade": ["secondary", "branch"],
         "width_m": [20.0, 16.0], "status": ["completed", "subgrade"]},
        geometry=[line((0, -10), (300, -10)), line((310, 0), (310, 100))],
        crs=WORKING_EPSG,
    )
    pipelines = gpd.GeoDataFrame(
        {"pipe_id": ["W1"], "network": ["JS"], "diameter_mm": [300.0], "status": ["in_service"]},
        geometry=[line((0, -6), (300, -6))],
        crs=WORKING_EPSG,
    )
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["F1"], "kind": ["park_gate"], "name": ["东门"], "status": ["in_service"]},
        geometry=[shapely.Point(X0 + 300, Y0 - 10)],
        crs=WORKING_EPSG,
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "kind": ["park_boundary"], "name": ["园区范围"]},
        geometry=[box(-20, -20, 320, 220)],
        crs=WORKING_EPSG,
    )
    units = pd.DataFrame({"unit_id": ["U1"], "building_id": ["B1"], "floor": [1], "area_m2": [2000.0],
                          "status": ["leasable"]})
    enterprises = pd.DataFrame({"enterprise_id": ["E1", "E2"], "name": ["甲公司", "乙公司"]})
    return {
        "parcels": parcels, "buildings": buildings, "roads": roads, "pipelines": pipelines,
        "facilities": facilities, "zones": zones, "units": units, "enterprises": enterprises,
    }


TINY_META = {"working_epsg": WORKING_EPSG, "park_name": "测试园区", "reference_date": "2026-06-30"}


@pytest.fixture
def tiny_park(tmp_path) -> GeoPackageStore:
    """A freshly written tiny park (function-scoped: tests may change it)."""
    store = GeoPackageStore(tmp_path / "tiny.gpkg")
    store.save_park(tiny_frames(), TINY_META)
    return store


@pytest.fixture
def tiny_app(tiny_park):
    from app import create_app

    return create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "SECRET_KEY": "test"})


@pytest.fixture
def tiny_client(tiny_app):
    return tiny_app.test_client()


@pytest.fixture(scope="session")
def demo_park(tmp_path_factory) -> GeoPackageStore:
    """The default demo park (600 plots, default seed), built once per test session.

    Tests must not change it: copy the file first if a test writes to the park.
    """
    from layers.demo import build_demo_park

    path = tmp_path_factory.mktemp("demo") / "demo_park.gpkg"
    build_demo_park(path)
    return GeoPackageStore(path)


@pytest.fixture
def auth_app(tiny_park, tmp_path):
    """The tiny park served with accounts, permissions and CSRF enforced (as in production)."""
    from auth_helpers import auth_config

    from app import create_app

    return create_app(auth_config(tiny_park.path, tmp_path / "accounts.sqlite"))


@pytest.fixture
def viewer_client(auth_app):
    from auth_helpers import signed_in

    return signed_in(auth_app, "viewer")


@pytest.fixture
def editor_client(auth_app):
    """Signed in as an editor; its POSTs carry the CSRF token automatically."""
    from auth_helpers import signed_in

    return signed_in(auth_app, "editor")


@pytest.fixture
def admin_client(auth_app):
    from auth_helpers import signed_in

    return signed_in(auth_app, "admin")


@pytest.fixture
def loads(monkeypatch):
    """The (layer, thread) of every whole-layer load of a GeoPackage park."""
    import threading

    seen = []
    real = GeoPackageStore.load

    def counting(self, name, **kwargs):
        seen.append((name, threading.get_ident()))
        return real(self, name, **kwargs)

    monkeypatch.setattr(GeoPackageStore, "load", counting)
    return seen
