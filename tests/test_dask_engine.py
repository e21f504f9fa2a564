"""The dask engine: the overlay run partition-wise reproduces the single-process analysis exactly.

The partition tests use an in-process cluster (threads) to stay light; the 10⁴-parcel
comparison and the command run on a local cluster of worker processes, as in use.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import WORKING_EPSG, X0, Y0

from geo.analysis import analyse_land
from geo.partition import dask_overlay, partitioned_pairs, spatial_partitions
from geo.utilisation import building_parcel_pairs


@pytest.fixture(scope="module")
def thread_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0",
                      scheduler_kwargs={"dashboard": False}) as cluster, \
            Client(cluster) as client:
        yield client


def strip(n: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` 100 m parcels in a row; buildings: one inside each parcel, and one straddling every shared edge."""
    parcels = gpd.GeoDataFrame({"parcel_id": [f"P{i}" for i in range(n)]},
                               geometry=[shapely.box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(n)],
                               crs=WORKING_EPSG)
    inside = [shapely.box(X0 + 100 * i + 10, Y0 + 10, X0 + 100 * i + 40, Y0 + 40) for i in range(n)]
    # 20 m × 20 m across the edge at x = 100·i: 10 m on each side → 200 m² in each parcel.
    straddling = [shapely.box(X0 + 100 * i - 10, Y0 + 60, X0 + 100 * i + 10, Y0 + 80) for i in range(1, n)]
    buildings = gpd.GeoDataFrame({"building_id": [f"B{i}" for i in range(len(inside) + len(straddling))]},
                                 geometry=inside + straddling, crs=WORKING_EPSG)
    return parcels, buildings


def test_spatial_partitions_cover_every_parcel_once_in_compact_runs():
    parcels, _ = strip(40)
    parts = spatial_partitions(parcels, npartitions=4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(40))
    assert [len(p) for p in parts] == [10, 10, 10, 10]
    # Along a row, Hilbert order keeps neighbours together: each run is 10 consecutive parcels.
    assert all((np.diff(p) == 1).all() for p in parts)


def test_buildings_across_partition_edges_are_split_between_both_parcels(thread_client):
    parcels, buildings = strip(8)
    pairs = partitioned_pairs(parcels, buildings, client=thread_client, npartitions=8)  # one parcel per partition
    expected = building_parcel_pairs(parcels, buildings).sort_values(["building", "parcel"], ignore_index=True)
    pd.testing.assert_frame_equal(pairs, expected, check_exact=True)
    straddling = pairs[pairs["building"] == 8]  # the first straddling building: half in P0, half in P1
    assert straddling["parcel"].tolist() == [0, 1]
    assert straddling["inside_m2"].tolist() == [200.0, 200.0] and straddling["share"].tolist() == [0.5, 0.5]
    assert len(pairs) == 8 + 2 * 7  # every pair exactly once


def test_empty_layers_give_empty_pairs(thread_client):
    parcels, buildings = strip(3)
    assert len(partitioned_pairs(parcels, buildings.iloc[:0], client=thread_client)) == 0
    assert list(partitioned_pairs(parcels.iloc[:0], buildings, client=thread_client).columns) == [
        "building", "parcel", "inside_m2", "share"]


@pytest.fixture(scope="module")
def park_10k(tmp_path_factory):
    from layers.demo import build_demo_park
    from layers.registry import REGISTRY
    from layers.store import GeoPackageStore

    path = tmp_path_factory.mktemp("dask") / "park10k.gpkg"
    build_demo_park(path, n_parcels=10_000)
    store = GeoPackageStore(path)
    return store, {name: store.load(name) for name in REGISTRY}


def test_dask_engine_reproduces_the_single_process_analysis_of_10_000_parcels(park_10k):
    store, layers = park_10k
    assert len(layers["parcels"]) >= 10_000
    as_of = store.read_meta()["reference_date"]
    single = analyse_land(layers, as_of=as_of)
    with dask_overlay(n_workers=2, npartitions=8) as overlay:
        distributed = analyse_land(layers, as_of=as_of, overlay=overlay)
    pd.testing.assert_frame_equal(pd.DataFrame(distributed.parcels), pd.DataFrame(single.parcels), check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame(distributed.buildings), pd.DataFrame(single.buildings),
                                  check_exact=True)
    pd.testing.assert_frame_equal(distributed.muju.parcels, single.muju.parcels, check_exact=True)
    assert distributed.park_vacancy == single.park_vacancy


def test_analyse_command_with_the_dask_engine_prints_the_same_figures(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
    runner = app.test_cli_runner()
    with app.app_context():  # the flask command line pushes one; the test runner does not
        single = runner.invoke(args=["analyse"])
        dask = runner.invoke(args=["analyse", "--engine", "dask"])
        bad = runner.invoke(args=["analyse", "--engine", "spark"])
    assert single.exit_code == 0 and dask.exit_code == 0, dask.output
    figures = [line for line in single.output.splitlines() if not line.startswith("测试园区")]
    assert figures == [line for line in dask.output.splitlines() if not line.startswith("测试园区")]
    assert "idle status:" in dask.output
    assert bad.exit_code == 2 and "'spark' is not one of 'single', 'dask'" in bad.output
