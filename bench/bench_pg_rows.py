"""PostGIS single-record writes (issue 18): ``PostGISStore.save_rows`` of one changed parcel against a raw UPDATE.

    .venv/bin/python bench/bench_pg_rows.py [--parcels 10000] [--edits 15] [--url postgresql://…]

The demo park of ``--parcels`` parcels (``bench/out/``) is copied into a throw-away PostGIS cluster
(or the database at ``--url``, schema ``bench_rows``, replaced). Per edit, a different parcel's name
changes; printed, p50/p95 over ``--edits``:

* **save_rows** — one updated parcel (every field and the geometry) and its audit event, in one
  transaction with the trust re-stamp and the version bump;
* **cycle** — what a row-mode commit does under the write lock: ``read_rows``, ``next_seq``, ``save_rows``;
* **baseline** — ``UPDATE parcels SET name = … WHERE parcel_id = …`` alone, committed, on the same
  store's connections (indexed id).

Each figure is also appended to ``bench/out/results.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import demo_park, record  # noqa: E402

BENCH = "pg_rows"
SCHEMA = "bench_rows"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0–1) of ``values``, nearest rank (a small sample)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def one_event(store, seq: int, parcel_id: str, old: str, new: str) -> pd.DataFrame:
    """The audit event of a name change, numbered and validated as the row-mode commit makes it."""
    from layers.audit import number_events
    from layers.store import checked_frame

    frame = pd.DataFrame({
        "change_id": [f"bench-{seq}"], "at": ["2026-06-30T08:00:00.000000+00:00"],
        "date": [pd.Timestamp("2026-06-30")], "user": ["bench"], "action": ["update"], "op": ["update"],
        "layer": ["parcels"], "record_id": [parcel_id], "field": ["name"], "old_value": [old],
        "new_value": [new], "reason": ["bench"], "undoes": [None],
    })
    return checked_frame("audit_events", number_events(frame, start_seq=seq), store.working_crs(), source="bench")


def measure(store, edits: int) -> dict[str, list[float]]:
    from layers.store import checked_frame

    ids = list(store.load("parcels")["parcel_id"])
    step = max(1, len(ids) // (3 * edits))
    times: dict[str, list[float]] = {"save_rows": [], "cycle": [], "baseline": []}
    crs = store.working_crs()
    for number in range(edits):
        parcel_id = ids[number * step]
        with store.write_lock():
            start = time.perf_counter()
            row = store.read_rows("parcels", [parcel_id])
            seq = store.next_seq()
            old = row["name"].iloc[0]
            row["name"] = f"bench {number}"
            row = checked_frame("parcels", row, crs, source="bench")
            event = one_event(store, seq, parcel_id, old, f"bench {number}")
            saving = time.perf_counter()
            store.save_rows({"parcels": row}, {}, event)
            end = time.perf_counter()
        times["save_rows"].append(end - saving)
        times["cycle"].append(end - start)
        other = ids[number * step + step // 2]
        start = time.perf_counter()
        with store.connection() as conn:
            conn.execute(store._sql("UPDATE {}.{} SET name = %s WHERE parcel_id = %s", store.schema, "parcels"),
                         (f"baseline {number}", other))
        times["baseline"].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--url", help="an existing PostGIS database (default: a throw-away cluster)")
    args = parser.parse_args()

    from layers.pgcluster import ThrowawayCluster
    from layers.postgis import PostGISStore
    from layers.store import GeoPackageStore
    from layers.stores import copy_park

    cluster = None if args.url else ThrowawayCluster()
    url = args.url or cluster.start()
    try:
        store = PostGISStore(url, schema=SCHEMA)
        copy_park(GeoPackageStore(demo_park(args.parcels)), store, replace=True)
        times = measure(store, args.edits)
        baseline = pct(times["baseline"], 0.5)
        case = f"postgis {args.parcels} parcels"
        for name, values in times.items():
            p50, p95 = pct(values, 0.5), pct(values, 0.95)
            print(f"{case}: {name:9s} p50 {p50 * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms  "
                  f"(p95 / baseline p50 {p95 / baseline:5.1f}×)")
            record(BENCH, case, f"{name}_p50", p50 * 1000, "ms")
            record(BENCH, case, f"{name}_p95", p95 * 1000, "ms")
        store.drop()
        store.close()
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
