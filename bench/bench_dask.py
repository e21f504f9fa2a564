"""Dask engine scaling: the full land analysis in one process against 1 and 2 local dask workers.

    .venv/bin/python bench/bench_dask.py [--parcels 100000] [--partitions 16] [--workers 1 2]

On the demo park of ``--parcels`` plots (bench/out/, built when absent) it runs
``geo.analysis.analyse_land`` with the park's infrastructure rules (readiness
included) in this process, then with ``geo.partition.dask_engine`` on a local
cluster of 1 and then 2 worker processes (one thread each, loopback only): the
per-parcel steps (overlay, utilisation, idle land, readiness) partition-wise with
their halo, the park-wide steps (亩均 grades, inefficient land, vacancy) in this
process. It checks that ``parcel_analysis`` is identical and prints the times and
the speed-up. Cluster start-up is timed apart (``setup_s``); ``run_s`` is the best
of two runs (the first also ships the layers to the workers). Loading the park is
not timed.
"""

from __future__ import annotations

import argparse
import os
import time

from common import demo_park, machine, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000, help="demo plots")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import pandas as pd

    from geo.analysis import analyse_land
    from geo.partition import dask_engine
    from layers.infra_rules import default_infra_rules
    from layers.registry import REGISTRY
    from layers.rules import default_rules
    from layers.store import GeoPackageStore

    store = GeoPackageStore(demo_park(args.parcels))
    layers = {name: store.load(name) for name in REGISTRY}
    as_of = store.read_meta()["reference_date"]
    infra = default_infra_rules()
    print(f"dask analysis scaling on {machine()} (load average {os.getloadavg()[0]:.1f}): "
          f"{len(layers['parcels'])} parcels, {len(layers['buildings'])} buildings, {args.partitions} partitions")
    case = f"{len(layers['parcels'])} parcels"
    start = time.perf_counter()
    expected = analyse_land(layers, as_of=as_of, rules=default_rules(), infra_rules=infra).parcels
    single_s = time.perf_counter() - start
    print(f" one process      run_s {single_s:6.2f}", flush=True)
    record("dask", f"single process {case}", "run", single_s, "s")
    for workers in args.workers:
        start = time.perf_counter()
        with dask_engine(n_workers=workers, npartitions=args.partitions) as steps:
            setup_s = time.perf_counter() - start
            runs = []
            for _ in range(2):
                start = time.perf_counter()
                result = analyse_land(layers, as_of=as_of, rules=default_rules(), infra_rules=infra, steps=steps).parcels
                runs.append(time.perf_counter() - start)
        pd.testing.assert_frame_equal(pd.DataFrame(result), pd.DataFrame(expected), check_exact=True)
        print(f" {workers} worker(s)      run_s {min(runs):6.2f}  (first {runs[0]:.2f}, setup_s {setup_s:.1f}; "
              f"{single_s / min(runs):.2f}× one process; identical parcel_analysis)", flush=True)
        record("dask", f"{workers} workers {case}", "run", min(runs), "s")


if __name__ == "__main__":
    main()
