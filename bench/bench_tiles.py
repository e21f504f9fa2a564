"""Vector-tile latency p50/p95/p99 at concurrency 1 and 16, GeoPackage and PostGIS stores, over loopback.

    .venv/bin/python bench/bench_tiles.py [--parcels 100000] [--tiles 200] [--zoom 14]

The demo park of ``--parcels`` plots (bench/out/, built when absent) is served by the
app on 127.0.0.1 from its GeoPackage, then copied into a throw-away PostGIS (its
save time is printed as the PostGIS import rate) and served from there. For each
store, distinct zoom-``--zoom`` tiles over the parcels are requested with the
page's layer set (zones,parcels,buildings,roads,pipelines,facilities):

* cold: tiles not yet encoded (GeoPackage: Python encoder; PostGIS: ST_AsMVT, one
  statement for the six layers), each written through to the persistent tile cache,
* warm: the same tiles again (served from the persistent tile cache),
* 304: revalidation with the ETag the browser holds,
* seeded: ``seed-tiles`` renders every tile of the zoom into a fresh cache file (its
  time, tile count and size are printed), then a freshly started server is asked for
  tiles no one has asked for before (a first visitor on a seeded park).

Each case sends a fixed number of requests (bounded in time), to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import random
import time

from common import OUT, LoopbackServer, demo_park, get, load, machine, record

LAYER_SET = "zones,parcels,buildings,roads,pipelines,facilities"


def tile_paths(store, zoom: int, count: int, seed: int) -> list[list[str]]:
    """Three disjoint random samples of tiles that hold parcels: on demand at c=1 and c=16, seeded at c=1."""
    from geo.tiles import tiles_covering

    parcels = store.load("parcels")
    centroids = parcels.geometry.centroid.to_crs(3857)
    tiles = sorted({xy for point in centroids.sample(min(len(centroids), 40 * count), random_state=seed)
                    for xy in tiles_covering(point.bounds, zoom)})
    random.Random(seed).shuffle(tiles)
    paths = [f"/tiles/{LAYER_SET}/{zoom}/{x}/{y}.pbf" for x, y in tiles]
    return [paths[i * count:(i + 1) * count] for i in range(3)]


def run_store(name: str, config: dict, samples: list[list[str]], parcels: int, zoom: int) -> None:
    on_demand, seeded = OUT / f"tiles_{name}_{parcels}_on_demand.sqlite", OUT / f"tiles_{name}_{parcels}_seeded.sqlite"
    for path in (on_demand, seeded):
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
    with LoopbackServer({**config, "TILE_CACHE_PATH": str(on_demand)}) as server:
        # The first request fingerprints the layers (a cache file's first sync), builds indexes, warms the pool.
        status, body, _, seconds = get(server.port, samples[0][0], timeout=1800)
        print(f"  {name}: first tile {seconds * 1000:.0f} ms (status {status}, {len(body)} bytes)", flush=True)
        for concurrency, paths in zip((1, 16), samples[:2]):
            for case in ("cold", "warm"):
                result = load(server.port, paths, concurrency=concurrency)
                report(name, case, concurrency, result, parcels)
            etags = {}
            for path in paths[:50]:
                _, _, headers, _ = get(server.port, path)
                etags[path] = headers.get("ETag")
            revalidations = [(path, etag) for path, etag in etags.items() if etag]
            result = load_304(server.port, revalidations, concurrency)
            report(name, "304", concurrency, result, parcels)
    seed_park(name, {**config, "TILE_CACHE_PATH": str(seeded)}, zoom, parcels)
    with LoopbackServer({**config, "TILE_CACHE_PATH": str(seeded)}) as server:  # a restart on the seeded cache
        status, body, _, seconds = get(server.port, samples[2][-1], timeout=1800)
        print(f"  {name}: first tile after the restart {seconds * 1000:.0f} ms (status {status})", flush=True)
        # A fresh server and cache file: the first sample is new to them too (a park has few tiles per zoom).
        for concurrency, paths in zip((1, 16), (samples[2], samples[0])):
            report(name, "seeded", concurrency, load(server.port, paths, concurrency=concurrency), parcels)
        edit_one_parcel(name, config, server, samples, parcels)


def edit_one_parcel(name: str, config: dict, server: LoopbackServer, samples: list[list[str]], parcels: int) -> None:
    """Move one parcel 1 m and save the layer; time the first tile after it (fingerprints compared, tiles
    carried over), count the tiles dropped, and measure the seeded tiles again at c=16."""
    import shapely

    from layers.stores import close_store, open_store
    from web.tiles import cache_file

    store = open_store(config["DATABASE_URL"] or config["PARK_PATH"])
    try:
        frame = store.load("parcels")
        first = frame.index[len(frame) // 2]
        frame.loc[first, "geometry"] = shapely.transform(frame.geometry.loc[first], lambda c: c + [1.0, 0.0])
        started = time.perf_counter()
        store.save("parcels", frame)
        saved = time.perf_counter() - started
    finally:
        close_store(store)
    with server.app.app_context():
        before = cache_file().stats()
    status, _, _, seconds = get(server.port, samples[2][0], timeout=1800)
    with server.app.app_context():
        after = cache_file().stats()
    print(f"  {name}: moved one parcel 1 m: save {saved:.1f} s; first tile after it {seconds * 1000:.0f} ms "
          f"(fingerprints compared, tiles carried over); {after['holes'] - before['holes']} of {before['tiles']} "
          f"cached layer tiles dropped", flush=True)
    record("tiles", f"{name} edit one parcel {parcels} parcels", "first tile", seconds * 1000, "ms")
    record("tiles", f"{name} edit one parcel {parcels} parcels", "dropped", after["holes"] - before["holes"], "tiles")
    report(name, "edited", 16, load(server.port, samples[0], concurrency=16), parcels)


def seed_park(name: str, config: dict, zoom: int, parcels: int) -> None:
    """Seed every tile of ``zoom`` of the page's layers into the configured cache file; print time and size."""
    from app import create_app
    from layers.stores import close_store
    from web.tiles import cache_file, seed

    app = create_app({"TESTING": False, "SECRET_KEY": "bench", **config})
    with app.app_context():
        started = time.perf_counter()
        result = seed(LAYER_SET.split(","), [zoom])
        seconds = time.perf_counter() - started
        stats = cache_file().stats()
        close_store(app.extensions["parkatlas_park"].store)
    print(f"  {name}: seeded zoom {zoom}: {result['tiles']} layer tiles, {result['bytes'] / 1e6:.1f} MB in "
          f"{seconds:.1f} s ({result['tiles'] / seconds:.1f} layer tiles/s, with fingerprinting the layers); "
          f"cache file {stats['file_bytes'] / 1e6:.1f} MB", flush=True)
    label = f"{name} seed z{zoom} {parcels} parcels"
    record("tiles", label, "seconds", seconds, "s")
    record("tiles", label, "tiles", result["tiles"], "layer tiles")
    record("tiles", label, "size", stats["file_bytes"] / 1e6, "MB")


def load_304(port: int, pairs: list[tuple[str, str]], concurrency: int) -> dict:
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from common import percentiles

    latencies, lock = [], threading.Lock()

    def client(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path, etag in chunk:
            _, _, _, seconds = get(port, path, conn, headers={"If-None-Match": etag})
            with lock:
                latencies.append(seconds * 1000)
        conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(client, [pairs[i::concurrency] for i in range(concurrency)]))
    return {"n": len(latencies), "statuses": {304: len(latencies)}, "per_s": len(latencies) / (time.perf_counter() - start),
            **percentiles(latencies)}


def report(store: str, case: str, concurrency: int, result: dict, parcels: int) -> None:
    print(f"  {store:8} {case:6} c={concurrency:<3} n={result['n']:<4} p50 {result['p50']:7.1f} ms  "
          f"p95 {result['p95']:7.1f} ms  p99 {result['p99']:7.1f} ms  {result['per_s']:7.1f} tiles/s  "
          f"statuses {result['statuses']}", flush=True)
    label = f"{store} {case} c{concurrency} {parcels} parcels"
    for metric in ("p50", "p95", "p99"):
        record("tiles", label, metric, result[metric], "ms")
    record("tiles", label, "rate", result["per_s"], "tiles/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--tiles", type=int, default=200, help="distinct tiles per concurrency level")
    parser.add_argument("--zoom", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stores", default="gpkg,postgis", help="which stores to measure (gpkg, postgis)")
    args = parser.parse_args()

    from layers.pgcluster import ThrowawayCluster
    from layers.postgis import PostGISStore
    from layers.registry import REGISTRY
    from layers.store import GeoPackageStore

    print(f"tile latency on {machine()}; demo park of {args.parcels} plots, zoom {args.zoom}, layers {LAYER_SET}")
    path = demo_park(args.parcels)
    store = GeoPackageStore(path)
    n_parcels = len(store.load("parcels"))
    samples = tile_paths(store, args.zoom, args.tiles, args.seed)
    print(f"  {n_parcels} parcels; samples of {[len(s) for s in samples]} tiles; load average {load_average()}")
    if "gpkg" in args.stores:
        run_store("gpkg", {"PARK_PATH": str(path), "DATABASE_URL": None}, samples, n_parcels, args.zoom)
    if "postgis" not in args.stores:
        return

    with ThrowawayCluster() as cluster:
        names = [name for name in store.layer_names() if name in REGISTRY]
        frames = {name: store.load(name) for name in names}
        features = sum(len(frame) for frame in frames.values())
        with PostGISStore(cluster.url, schema="bench") as pg:
            start = time.perf_counter()
            pg.save_park(frames, store.read_meta())
            seconds = time.perf_counter() - start
        print(f"  postgis save_park: {features} records in {seconds:.1f} s ({features / seconds:,.0f} records/s)")
        record("tiles", f"postgis save_park {n_parcels} parcels", "rate", features / seconds, "records/s")
        run_store("postgis", {"PARK_PATH": str(path), "DATABASE_URL": f"{cluster.url}?schema=bench"}, samples,
                  n_parcels, args.zoom)
    print(f"  load average at the end {load_average()}")


def load_average() -> str:
    import os

    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
