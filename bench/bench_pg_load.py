"""PostGIS whole-layer loads (issue 18): ``PostGISStore.load`` of every layer through the ADBC driver (Arrow)
against the COPY-as-CSV read through psycopg (one Python step per row).

    .venv/bin/python bench/bench_pg_load.py [--parcels 100000 | --park FILE.gpkg] [--repeat 2] [--url postgresql://…]

The demo park of ``--parcels`` parcels (``bench/out/``, or the GeoPackage ``--park``; copied, never
written) is copied into a throw-away PostGIS cluster (or the database at ``--url``, schema
``bench_load``, dropped afterwards). Printed per layer: rows, and the seconds of the faster of
``--repeat`` loads each way; then the totals. Each total is also appended to ``bench/out/results.csv``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import demo_park, record  # noqa: E402

BENCH = "pg_load"
SCHEMA = "bench_load"


def layer_seconds(store, repeat: int) -> dict[str, tuple[int, float]]:
    """Layer → (rows, seconds of the fastest of ``repeat`` whole loads)."""
    from layers.registry import REGISTRY

    seconds = {}
    for name in [name for name in REGISTRY if name in store.layer_names()]:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            rows = len(store.load(name))
            times.append(time.perf_counter() - start)
        seconds[name] = (rows, min(times))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--park", type=Path, help="a GeoPackage park to measure instead of the demo park")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--url", help="an existing PostGIS database (default: a throw-away cluster)")
    args = parser.parse_args()

    import layers.postgis as postgis
    from layers.pgcluster import ThrowawayCluster
    from layers.store import GeoPackageStore
    from layers.stores import copy_park

    if not postgis.driver_available():
        sys.exit("adbc-driver-postgresql is not installed: nothing to compare (pip install -r requirements.txt)")
    cluster = None if args.url else ThrowawayCluster()
    url = args.url or cluster.start()
    source = args.park or demo_park(args.parcels)
    try:
        with tempfile.TemporaryDirectory(prefix=".bench-pg-load-") as folder:
            park = Path(folder) / source.name
            shutil.copy(source, park)
            copy_park(GeoPackageStore(park), postgis.PostGISStore(url, schema=SCHEMA), replace=True)
        arrow_store = postgis.PostGISStore(url, schema=SCHEMA)
        arrow = layer_seconds(arrow_store, args.repeat)
        postgis.driver_available = lambda: False  # a new store then reads through COPY as CSV
        copy_store = postgis.PostGISStore(url, schema=SCHEMA)
        copy = layer_seconds(copy_store, args.repeat)
        case = f"postgis {arrow['parcels'][0]} parcels"
        print(f"{case}: layer, rows, COPY CSV s, Arrow (ADBC) s")
        for name, (rows, seconds) in arrow.items():
            print(f"  {name:18s} {rows:9d} {copy[name][1]:8.3f} {seconds:8.3f}")
        total_copy, total_arrow = sum(s for _, s in copy.values()), sum(s for _, s in arrow.values())
        print(f"  {'all layers':18s} {'':9s} {total_copy:8.3f} {total_arrow:8.3f}  ({total_arrow / total_copy:.2f}×)")
        record(BENCH, case, "load_all_copy_csv_s", total_copy, "s")
        record(BENCH, case, "load_all_arrow_s", total_arrow, "s")
        copy_store.drop()
        copy_store.close()
        arrow_store.close()
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
