"""Park store throughput against raw pyogrio on the same data: GeoPackage and PostGIS, writing and reading.

    .venv/bin/python bench/bench_store.py [--parcels 100000]

For the demo park of ``--parcels`` plots (bench/out/, built when absent), every
layer is written and read back four ways, records per second over all layers:

* raw pyogrio: ``write_arrow``/``read_dataframe(use_arrow=True)`` of the same Arrow
  tables, no validation (the ceiling);
* GeoPackage store: ``save_park`` (validation, typed Arrow, atomic swap) and ``load``;
* PostGIS store: ``save_park`` (validation, COPY, GiST indexes, one transaction) and
  ``load`` (COPY out, Arrow CSV, validation), on a throw-away local server.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import demo_park, machine, record


def store_rates(label: str, store, frames: dict, meta: dict, records: int) -> dict[str, float]:
    """Records per second of ``save_park`` and of loading every layer back, for one store."""
    start = time.perf_counter()
    store.save_park(frames, meta)
    saved = time.perf_counter()
    for name in frames:
        store.load(name)
    loaded = time.perf_counter()
    return {f"{label} save_park": records / (saved - start), f"{label} load": records / (loaded - saved)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000, help="demo plots")
    args = parser.parse_args()

    import pyogrio

    from layers.pgcluster import ThrowawayCluster
    from layers.postgis import PostGISStore
    from layers.registry import REGISTRY, get_layer
    from layers.store import GeoPackageStore, frame_to_arrow

    source = GeoPackageStore(demo_park(args.parcels))
    names = [name for name in source.layer_names() if name in REGISTRY]
    frames = {name: source.load(name) for name in names}
    meta = source.read_meta()
    records = sum(len(frame) for frame in frames.values())
    print(f"store throughput on {machine()}: {records} records in {len(names)} layers "
          f"({len(frames['parcels'])} parcels)")
    rates = {}
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as workdir:
        raw = Path(workdir) / "raw.gpkg"
        start = time.perf_counter()
        for name, frame in frames.items():
            spec = get_layer(name)
            table = frame_to_arrow(frame, spec)
            options = {} if spec.geometry is None else {
                "geometry_name": "geometry", "geometry_type": "Unknown", "crs": frame.crs.to_wkt()}
            pyogrio.write_arrow(table, raw, layer=name, driver="GPKG", **options)
        rates["raw pyogrio write"] = records / (time.perf_counter() - start)
        start = time.perf_counter()
        for name in names:
            pyogrio.read_dataframe(raw, layer=name, use_arrow=True)
        rates["raw pyogrio read"] = records / (time.perf_counter() - start)

        store = GeoPackageStore(Path(workdir) / "store.gpkg")
        rates.update(store_rates("GeoPackage", store, frames, meta, records))
    with ThrowawayCluster() as cluster, PostGISStore(cluster.url, schema="bench") as pg:
        rates.update(store_rates("PostGIS", pg, frames, meta, records))

    for case, rate in rates.items():
        kind = "write" if ("write" in case or "save" in case) else "read"
        ceiling = rates[f"raw pyogrio {kind}"]
        print(f" {case:<22} {rate:>10,.0f} records/s  {rate / ceiling:5.2f}× raw pyogrio {kind}", flush=True)
        record("store", f"{case} {len(frames['parcels'])} parcels", "rate", rate, "records/s")


if __name__ == "__main__":
    main()
