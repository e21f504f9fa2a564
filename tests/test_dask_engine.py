"""The dask engine: the per-parcel steps run partition-wise reproduce the single-process analysis exactly.

The hand-built site (coordinates in metres from the tiny park's origin): eight parcels
P0…P7 of 100 m × 100 m in a row (x = 100·i … 100·(i+1), y = 10 … 110), road R1 along
y = 0 with a 20 m red line (its edge at y = 10 touches every parcel), so a main serves
a parcel within 20 m of its red line (half width 10 + extra 10). Each parcel holds a
30 m × 30 m building (900 m²); a 20 m × 20 m building straddles every shared edge
(200 m² on each side). Two 10 kV power mains lie under other parcels' frontage:
M1 along y = -10 from x = 300 to 390 (20 m from P2's corner: served, exactly at the
limit) and M2 along y = -10 from x = 600.01 to 690 (20.0000025 m from P5's corner: not
served). With one parcel per partition, each of these needs the halo.

The partition tests use an in-process cluster (threads) to stay light; the 10⁴-parcel
comparison and the command run on a local cluster of worker processes, as in use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.analysis import analyse_land, parcel_steps
from geo.partition import dask_engine, halo_reach_m, partitioned_steps, spatial_partitions
from layers.infra_rules import default_infra_rules
from layers.rules import default_rules
from tests.infra_helpers import box, layer, line

AS_OF = pd.Timestamp("2026-06-30")
INFRA = default_infra_rules()


@pytest.fixture(scope="module")
def thread_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0",
                      scheduler_kwargs={"dashboard": False}) as cluster, \
            Client(cluster) as client:
        yield client


def site(n: int = 8) -> dict:
    parcels = layer("parcels", [{"parcel_id": f"P{i}", "status": "operating",
                                 "site_levelled": True, "geometry": box(100 * i, 10, 100 * (i + 1), 110)}
                                for i in range(n)])
    inside = [{"building_id": f"B{i}", "floors": 1, "geometry": box(100 * i + 10, 20, 100 * i + 40, 50)}
              for i in range(n)]
    straddling = [{"building_id": f"S{i}", "floors": 1, "geometry": box(100 * i - 10, 70, 100 * i + 10, 90)}
                  for i in range(1, n)]
    roads = layer("roads", [{"road_id": "R1", "grade": "secondary", "width_m": 20.0, "status": "completed",
                             "geometry": line((-100, 0), (100 * n + 100, 0))}])
    mains = layer("pipelines", [
        {"pipe_id": "M1", "network": "power", "voltage_kv": 10.0, "status": "in_service",
         "geometry": line((300, -10), (390, -10))},
        {"pipe_id": "M2", "network": "power", "voltage_kv": 10.0, "status": "in_service",
         "geometry": line((600.01, -10), (690, -10))},
    ])
    return {"parcels": parcels, "buildings": layer("buildings", inside + straddling), "roads": roads,
            "pipelines": mains, "enterprises": layer("enterprises", [])}


def steps_of(layers: dict, **options):
    return dict(enterprises=layers["enterprises"], roads=layers["roads"], pipelines=layers["pipelines"],
                as_of=AS_OF, rules=default_rules(), infra_rules=INFRA, **options)


def test_spatial_partitions_cover_every_parcel_once_in_compact_runs():
    parcels = site(40)["parcels"]
    parts = spatial_partitions(parcels, npartitions=4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(40))
    assert [len(p) for p in parts] == [10, 10, 10, 10]
    # Along a row, Hilbert order keeps neighbours together: each run is 10 consecutive parcels.
    assert all((np.diff(p) == 1).all() for p in parts)


def test_halo_reach_follows_the_widest_road_and_the_configured_distances():
    roads = site()["roads"]
    road_m, pipe_m = halo_reach_m(roads, infra_rules=INFRA)
    assert road_m == pytest.approx(10.0 + 10.0)  # half of 20 m + frontage tolerance 10 m
    assert pipe_m == pytest.approx(10.0 + 10.0)  # half of 20 m + extra distance 10 m
    assert halo_reach_m(roads, infra_rules=None) == (0.0, pytest.approx(0.0))


def test_one_parcel_per_partition_gives_the_single_process_rows(thread_client):
    layers = site()
    single = parcel_steps(layers["parcels"], layers["buildings"], **steps_of(layers))
    split = partitioned_steps(layers["parcels"], layers["buildings"], client=thread_client, npartitions=8,
                              **steps_of(layers))
    pd.testing.assert_frame_equal(split.pairs, single.pairs, check_exact=True)
    pd.testing.assert_frame_equal(split.utilisation, single.utilisation, check_exact=True)
    pd.testing.assert_frame_equal(split.idle, single.idle, check_exact=True)
    pd.testing.assert_frame_equal(split.readiness, single.readiness, check_exact=True)

    # Buildings across partition edges are split between both parcels: 900 inside + 200 per shared edge.
    assert split.utilisation["footprint_m2"].tolist() == [1100.0] + [1300.0] * 6 + [1100.0]
    assert len(split.pairs) == 8 + 2 * 7  # every pair exactly once
    # Mains under another partition's parcels: P2 at the limit is served, P5 just beyond is not.
    power = split.readiness["served_power"].tolist()
    assert power == [False, False, True, True, False, False, True, False]
    assert split.readiness["served_water_supply"].tolist() == [False] * 8
    assert split.readiness["readiness_label"].isna().all()  # no water: not even 三通一平


def test_a_main_behind_the_parcels_serves_none_in_partitions_as_in_one_process(thread_client):
    # Telecom M3 runs 5 m behind P2…P4 (y = 115, x = 250 … 450), through land in no road: within 20 m of three
    # parcels, it serves none. Telecom M4 lies in R1 (y = -5, x = 450 … 460), 15 m from P4 and 42.7 m from P5's
    # corner: it serves P4 alone. One parcel per partition, so each main reaches its parcels through the halo.
    layers = site()
    extra = layer("pipelines", [
        {"pipe_id": "M3", "network": "telecom", "status": "in_service", "geometry": line((250, 115), (450, 115))},
        {"pipe_id": "M4", "network": "telecom", "status": "in_service", "geometry": line((450, -5), (460, -5))},
    ])
    layers["pipelines"] = pd.concat([layers["pipelines"], extra], ignore_index=True)
    single = parcel_steps(layers["parcels"], layers["buildings"], **steps_of(layers))
    split = partitioned_steps(layers["parcels"], layers["buildings"], client=thread_client, npartitions=8,
                              **steps_of(layers))
    pd.testing.assert_frame_equal(split.readiness, single.readiness, check_exact=True)
    assert split.readiness["served_telecom"].tolist() == [False] * 4 + [True] + [False] * 3


def test_without_infrastructure_rules_no_readiness_leaves_a_task(thread_client):
    layers = site(3)
    options = steps_of(layers)
    options["infra_rules"] = None
    split = partitioned_steps(layers["parcels"], layers["buildings"], client=thread_client, npartitions=3, **options)
    assert split.readiness is None
    assert split.utilisation["footprint_m2"].tolist() == [1100.0, 1300.0, 1100.0]


def test_empty_buildings_and_empty_parcels(thread_client):
    layers = site(3)
    no_buildings = layers["buildings"].iloc[:0]
    split = partitioned_steps(layers["parcels"], no_buildings, client=thread_client, npartitions=3,
                              **steps_of(layers))
    assert len(split.pairs) == 0 and split.utilisation["footprint_m2"].tolist() == [0.0, 0.0, 0.0]
    nothing = partitioned_steps(layers["parcels"].iloc[:0], layers["buildings"], client=thread_client,
                                **steps_of(layers))
    assert len(nothing.utilisation) == 0 and list(nothing.pairs.columns) == ["building", "parcel", "inside_m2",
                                                                               "share"]


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
    single = analyse_land(layers, as_of=as_of, rules=default_rules(), infra_rules=INFRA)
    with dask_engine(n_workers=2, npartitions=8) as steps:
        distributed = analyse_land(layers, as_of=as_of, rules=default_rules(), infra_rules=INFRA, steps=steps)
    assert single.readiness and distributed.readiness
    assert single.parcels["served_power"].any() and not single.parcels["served_power"].all()
    pd.testing.assert_frame_equal(pd.DataFrame(distributed.parcels), pd.DataFrame(single.parcels), check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame(distributed.buildings), pd.DataFrame(single.buildings),
                                  check_exact=True)
    pd.testing.assert_frame_equal(distributed.muju.parcels, single.muju.parcels, check_exact=True)
    pd.testing.assert_frame_equal(distributed.ratios, single.ratios, check_exact=True)
    assert distributed.park_vacancy == single.park_vacancy


def test_readiness_in_the_background_and_in_threaded_blocks_gives_the_whole_analysis_unchanged(park_10k,
                                                                                              monkeypatch):
    # Readiness beside the land steps (the vacancy tables made meanwhile, 亩均 after it), its blocks of 3 000
    # parcels and 1 000 road lines in two threads, against everything in one thread with one block: every output.
    import functools

    store, layers = park_10k
    as_of = store.read_meta()["reference_date"]
    single = analyse_land(layers, as_of=as_of, rules=default_rules(), infra_rules=INFRA)
    monkeypatch.setattr("geo.roadnet._PARCELS_PER_BLOCK", 3_000)
    monkeypatch.setattr("geo.readiness._LINES_PER_BLOCK", 1_000)
    monkeypatch.setattr("geo.threads.block_threads", lambda: 2)
    steps = functools.partial(parcel_steps, background=True)
    threaded = analyse_land(layers, as_of=as_of, rules=default_rules(), infra_rules=INFRA, steps=steps)
    assert single.readiness and threaded.readiness
    assert single.parcels["served_water_supply"].any() and not single.parcels["served_water_supply"].all()
    for name in ("parcels", "buildings"):
        pd.testing.assert_frame_equal(pd.DataFrame(getattr(threaded, name)), pd.DataFrame(getattr(single, name)),
                                      check_exact=True)
    for name in ("units", "phases", "overlaps", "trend", "ratios", "readiness_flags"):
        pd.testing.assert_frame_equal(getattr(threaded, name), getattr(single, name), check_exact=True)
    for name in ("firms", "parcels", "land", "cutoffs"):
        pd.testing.assert_frame_equal(getattr(threaded.muju, name), getattr(single.muju, name), check_exact=True)
    assert threaded.park_vacancy == single.park_vacancy


def test_analyse_command_with_the_dask_engine_prints_the_same_figures(tiny_park):
    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
    runner = app.test_cli_runner()
    with app.app_context():  # the flask command line pushes one; the test runner does not
        single = runner.invoke(args=["analyse"])
        dask = runner.invoke(args=["analyse", "--engine", "dask"])
        bad = runner.invoke(args=["analyse", "--engine", "spark"])
        threaded = runner.invoke(args=["analyse", "--readiness-thread"])
        inline = runner.invoke(args=["analyse", "--readiness-inline"])
        threaded_dask = runner.invoke(args=["analyse", "--engine", "dask", "--readiness-thread"])
        inline_dask = runner.invoke(args=["analyse", "--engine", "dask", "--readiness-inline"])
    assert single.exit_code == 0 and dask.exit_code == 0, dask.output
    assert threaded.exit_code == 0 and threaded.output.splitlines()[1:] == single.output.splitlines()[1:]
    assert inline.exit_code == 0 and inline.output.splitlines()[1:] == single.output.splitlines()[1:]
    assert threaded_dask.exit_code == 2 and "--readiness-thread is for --engine single" in threaded_dask.output
    assert inline_dask.exit_code == 2 and "--readiness-inline is for --engine single" in inline_dask.output
    figures = [line for line in single.output.splitlines() if not line.startswith("测试园区")]
    assert figures == [line for line in dask.output.splitlines() if not line.startswith("测试园区")]
    assert "idle status:" in dask.output and "readiness: not computed" not in dask.output
    assert bad.exit_code == 2 and "'spark' is not one of 'single', 'dask'" in bad.output


def test_analyse_command_on_an_existing_scheduler_and_an_unreachable_one(tiny_park):
    from distributed import LocalCluster

    from app import create_app

    app = create_app({"TESTING": True, "PARK_PATH": str(tiny_park.path), "DATABASE_URL": None})
    runner = app.test_cli_runner()
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", processes=True,
                      dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False}) as cluster, \
            app.app_context():
        single = runner.invoke(args=["analyse"])
        remote = runner.invoke(args=["analyse", "--engine", "dask", "--scheduler", cluster.scheduler_address])
        # Port 9 (discard) is closed on loopback: refused at once, retried until the timeout.
        unreachable = runner.invoke(args=["analyse", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9",
                                          "--timeout", "1"])
        without_engine = runner.invoke(args=["analyse", "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    figures = [line for line in single.output.splitlines() if not line.startswith("测试园区")]
    assert figures == [line for line in remote.output.splitlines() if not line.startswith("测试园区")]
    assert unreachable.exit_code == 2
    assert "analyse: cannot reach the dask scheduler at tcp://127.0.0.1:9" in unreachable.output
    assert "Traceback" not in unreachable.output
    assert without_engine.exit_code == 2 and "--scheduler needs --engine dask" in without_engine.output


def test_readiness_in_the_background_gives_the_same_columns():
    layers = site()
    background = parcel_steps(layers["parcels"], layers["buildings"], background=True, **steps_of(layers))
    inline = parcel_steps(layers["parcels"], layers["buildings"], **steps_of(layers))
    assert isinstance(inline.readiness, pd.DataFrame)
    pd.testing.assert_frame_equal(background.ready(), inline.readiness, check_exact=True)
    assert inline.readiness["served_power"].tolist() == [False, False, True, True, False, False, True, False]


def test_a_park_with_no_records_analyses_to_empty_tables():
    # Empty group-bys have untyped indexes; the integer-coded steps must still take them as positions.
    layers = {name: frame.iloc[:0] for name, frame in site(2).items()}
    layers["units"], layers["leases"] = layer("units", []), layer("leases", [])
    result = analyse_land(layers, as_of=AS_OF, rules=default_rules(), infra_rules=INFRA)
    assert len(result.parcels) == 0 and len(result.muju.parcels) == 0 and len(result.units) == 0
    assert result.park_vacancy["leasable_m2"] == 0
