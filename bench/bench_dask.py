"""Dask engine scaling: the building–parcel overlay on 1 and 2 local workers against one process.

    .venv/bin/python bench/bench_dask.py [--parcels 100000] [--partitions 16]

On the demo park of ``--parcels`` plots (bench/out/, built when absent) it times
``geo.utilisation.building_parcel_pairs`` in this process, then
``geo.partition.partitioned_pairs`` on a local cluster of 1 and then 2 worker
processes (one thread each, loopback only), checks the pairs are identical, and
prints the speed-up. Cluster start-up and the first shipment of the layers to the
workers are timed apart (``setup_s``); ``run_s`` is the best of two runs.
"""

from __future__ import annotations

import argparse
import time

from common import demo_park, machine, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000, help="demo plots")
    parser.add_argument("--partitions", type=int, default=16)
    args = parser.parse_args()

    import pandas as pd
    from distributed import Client, LocalCluster

    from geo.partition import partitioned_pairs
    from geo.utilisation import building_parcel_pairs
    from layers.store import GeoPackageStore

    store = GeoPackageStore(demo_park(args.parcels))
    parcels, buildings = store.load("parcels"), store.load("buildings")
    print(f"dask overlay scaling on {machine()}: {len(parcels)} parcels, {len(buildings)} buildings, "
          f"{args.partitions} partitions")
    start = time.perf_counter()
    expected = building_parcel_pairs(parcels, buildings).sort_values(["building", "parcel"], ignore_index=True)
    single_s = time.perf_counter() - start
    print(f" one process      run_s {single_s:6.2f}")
    record("dask", f"single process {len(parcels)} parcels", "run", single_s, "s")
    for workers in (1, 2):
        start = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", processes=True,
                          dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False}) as cluster, \
                Client(cluster) as client:
            client.wait_for_workers(workers)
            setup_s = time.perf_counter() - start
            runs = []
            for _ in range(2):
                start = time.perf_counter()
                pairs = partitioned_pairs(parcels, buildings, client=client, npartitions=args.partitions)
                runs.append(time.perf_counter() - start)
        pd.testing.assert_frame_equal(pairs, expected, check_exact=True)
        print(f" {workers} worker(s)      run_s {min(runs):6.2f}  (first {runs[0]:.2f}, setup_s {setup_s:.1f}; "
              f"{single_s / min(runs):.2f}× one process; identical pairs)", flush=True)
        record("dask", f"{workers} workers {len(parcels)} parcels", "run", min(runs), "s")


if __name__ == "__main__":
    main()
