"""JSON API latency under 20 concurrent users, over loopback.

    .venv/bin/python bench/bench_api.py [--parcels 100000] [--users 20] [--requests 40]

Each simulated user sends ``--requests`` requests one after another on a keep-alive
connection, cycling through what the map pages and QGIS ask for: a page of parcels
in a small bbox, one parcel by id (a popup), the collections list, and the summary.
Users start together; p50/p95/p99 are printed per endpoint and overall (an answer
not received within ``--timeout`` counts with that wait). Bounded: users × requests
requests, none started after 300 s, to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import LoopbackServer, demo_park, get, machine, percentiles, record


def workload(store, n: int, seed: int) -> list[tuple[str, str]]:
    import geopandas as gpd

    from geo.crs import to_web

    parcels = store.load("parcels")
    rng = random.Random(seed)
    picks = parcels.iloc[[rng.randrange(len(parcels)) for _ in range(n)]]
    # Centroids in the working CRS (metres), then to lon/lat for the bbox parameter.
    centres = to_web(gpd.GeoDataFrame(geometry=picks.geometry.centroid, crs=picks.crs)).geometry
    requests = []
    for i, (parcel_id, centre) in enumerate(zip(picks["parcel_id"], centres)):
        kind = i % 4
        if kind == 0:
            box = f"{centre.x - 0.003:.6f},{centre.y - 0.003:.6f},{centre.x + 0.003:.6f},{centre.y + 0.003:.6f}"
            requests.append(("items?bbox", f"/api/collections/parcels/items?bbox={box}&limit=100"))
        elif kind == 1:
            requests.append(("items/<id>", f"/api/collections/parcels/items/{parcel_id}"))
        elif kind == 2:
            requests.append(("collections", "/api/collections"))
        else:
            requests.append(("summary", "/api/summary"))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000, help="demo plots")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="per user")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a user waits for one answer")
    args = parser.parse_args()

    import http.client
    from urllib.parse import quote

    from layers.store import GeoPackageStore

    path = demo_park(args.parcels)
    store = GeoPackageStore(path)
    plan = workload(store, args.users * args.requests, seed=11)
    plan = [(kind, quote(url, safe="/?=&,.-")) for kind, url in plan]
    print(f"API latency, {args.users} concurrent users × {args.requests} requests, demo park of {args.parcels} plots,"
          f" on {machine()}")
    with LoopbackServer({"PARK_PATH": str(path), "DATABASE_URL": None}) as server:
        for kind in dict.fromkeys(k for k, _ in plan):  # warm the layer cache once per endpoint
            get(server.port, next(url for k, url in plan if k == kind), timeout=1800)
        latencies: dict[str, list[float]] = {}
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        deadline = time.perf_counter() + 300

        def user(index: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            for kind, url in plan[index::args.users]:
                if time.perf_counter() > deadline:
                    break
                start = time.perf_counter()
                try:
                    status, _, _, _ = get(server.port, url, conn, timeout=args.timeout)
                except OSError:  # a timeout counts as an answer that never came: its wait is the latency
                    status = "timeout"
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=args.timeout)
                with lock:
                    latencies.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
                    statuses[status] = statuses.get(status, 0) + 1
            conn.close()

        start = time.perf_counter()
        with ThreadPoolExecutor(args.users) as pool:
            list(pool.map(user, range(args.users)))
        wall = time.perf_counter() - start
    everything = [v for values in latencies.values() for v in values]
    print(f" endpoint        n    p50_ms   p95_ms   p99_ms   (statuses {statuses}, {len(everything) / wall:.0f} req/s)")
    for kind, values in [*latencies.items(), ("all", everything)]:
        p = percentiles(values)
        print(f" {kind:<12} {len(values):>4}  {p['p50']:>8.1f} {p['p95']:>8.1f} {p['p99']:>8.1f}", flush=True)
        for metric in ("p50", "p95", "p99"):
            record("api", f"{kind} {args.users} users", metric, p[metric], "ms")
    record("api", f"all {args.users} users", "rate", len(everything) / wall, "req/s")


if __name__ == "__main__":
    main()
