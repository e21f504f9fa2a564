"""A small park with an expansion area, for the expansion and site-search tests, and the parcelling invariants.

The tiny park of ``conftest.tiny_frames`` plus, in its working CRS (EPSG:4549, local
origin X0, Y0):

* expansion area EXP1: x −200…800, y 220…900 (1 000 m × 680 m = 680 000 m² = 1 020 亩);
* permanent basic farmland F1: x 600…900, y 600…1 000 — 200 m × 300 m = 60 000 m² (90 亩) inside EXP1;
* a highway exit, a sewage plant (5 000 m³/d) and a substation (40 MVA).

There is no urban development boundary (a warning says so), no road and no parcel
inside EXP1, so the net developable land is 620 000 m² (930 亩).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import TINY_META, X0, Y0, tiny_frames

from geo.units import M2_PER_MU
from layers.store import GeoPackageStore

GROSS_M2 = 1000 * 680
FARMLAND_M2 = 200 * 300
NET_M2 = GROSS_M2 - FARMLAND_M2


def layer(name: str, records, geoms, *, crs: int = 4549):
    """A validated layer ``name`` from column values and geometries (hand-built test data)."""
    import geopandas as gpd

    from layers.registry import get_layer
    from layers.validate import validate_layer

    frame = gpd.GeoDataFrame(pd.DataFrame(records), geometry=list(geoms), crs=crs)
    return validate_layer(frame, get_layer(name), source="test")[0]


def expansion_frames() -> dict[str, pd.DataFrame]:
    import geopandas as gpd

    frames = tiny_frames()
    frames["parcels"].loc[2, "name"] = "三号地块 <script>alert(1)</script>"
    extra = gpd.GeoDataFrame(
        {"zone_id": ["EXP1", "F1"], "kind": ["expansion_area", "basic_farmland"], "name": ["拓展区", "基本农田"]},
        geometry=[shapely.box(X0 - 200, Y0 + 220, X0 + 800, Y0 + 900),
                  shapely.box(X0 + 600, Y0 + 600, X0 + 900, Y0 + 1000)], crs=frames["zones"].crs)
    frames["zones"] = pd.concat([frames["zones"], extra], ignore_index=True)
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["H1", "S1", "T1"], "kind": ["highway_exit", "sewage_plant", "substation"],
         "capacity": [np.nan, 5000.0, 40.0], "capacity_unit": [None, "m³/d", "MVA"], "status": ["in_service"] * 3},
        geometry=[shapely.Point(X0 - 10, Y0 - 10), shapely.Point(X0 + 200, Y0 - 40), shapely.Point(X0 + 250, Y0 - 40)],
        crs=frames["facilities"].crs)
    frames["facilities"] = pd.concat([frames["facilities"], facilities], ignore_index=True)
    return frames


def write_park(path) -> GeoPackageStore:
    store = GeoPackageStore(path)
    store.save_park(expansion_frames(), TINY_META)
    return store


@pytest.fixture
def expansion_app(tmp_path):
    from app import create_app

    store = write_park(tmp_path / "expansion.gpkg")
    return create_app({"TESTING": True, "PARK_PATH": str(store.path), "SECRET_KEY": "test"})


@pytest.fixture
def expansion_client(expansion_app):
    return expansion_app.test_client()


def check_plot_invariants(parcelling, net, access_land, *, rules) -> None:
    """Plots disjoint, inside ``net``, with frontage on ``access_land`` (measured here), within tolerance;
    plots + leftovers + new road land = net land."""
    p = rules.parcelling
    plots, left = parcelling.plots, parcelling.leftovers
    geoms = plots.geometry.to_numpy()
    if len(geoms) > 1:
        a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        pairs = a < b
        assert (shapely.area(shapely.intersection(geoms[a[pairs]], geoms[b[pairs]])) < 1e-3).all()
    assert (shapely.area(shapely.difference(geoms, net)) < 1e-3).all()
    near = shapely.buffer(shapely.union(parcelling.road_land, access_land), 0.05)
    frontage = shapely.length(shapely.intersection(shapely.boundary(geoms), near))
    assert (frontage >= p.min_frontage_m - 1e-6).all()
    targets = np.array(p.targets_mu) * M2_PER_MU
    error = np.abs(shapely.area(geoms)[:, None] - targets[None, :]) / targets[None, :]
    assert (error.min(axis=1) <= p.area_tolerance + 1e-9).all()
    assert (plots["aspect"] <= p.max_aspect + 1e-9).all()
    total = shapely.area(geoms).sum() + shapely.area(left.geometry.to_numpy()).sum() + shapely.area(
        parcelling.road_land)
    assert total == pytest.approx(shapely.area(net), rel=1e-7)
