"""Park store throughput against raw pyogrio on the same data: GeoPackage and PostGIS, writing and reading.

    .venv/bin/python bench/bench_store.py [--parcels 100000] [--rounds 2]

For the demo park of ``--parcels`` plots (bench/out/, built when absent), every
layer is written and read back four ways, records per second over all layers:

* raw pyogrio: ``write_arrow``/``read_dataframe(use_arrow=True)`` of the same Arrow
  tables, no validation (the ceiling);
* GeoPackage store: ``save_park`` (validation, typed Arrow, atomic swap, trust stamps)
  and ``load``;
* PostGIS store: ``save_park`` (validation, COPY, GiST indexes, triggers, one
  transaction) and ``load`` (COPY out, Arrow CSV), on a throw-away local server.

Every case runs ``--rounds`` times, the cases of a round one after another, and the
best rate of each is printed (the machine is shared: the best run is the one least
disturbed). Each store's ``load`` is measured twice: *trusted* (the layers as the store wrote
them: stamped, unchanged, only cast) and *validated* (the stamps cleared, as after
an edit outside the store: every value checked).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import demo_park, machine, record


def store_rates(label: str, store, frames: dict, meta: dict, records: int, distrust) -> dict[str, float]:
    """Records per second of ``save_park`` and of loading every layer back (trusted, then after ``distrust()``)."""
    start = time.perf_counter()
    store.save_park(frames, meta)
    saved = time.perf_counter()
    assert all(store.is_trusted(name) for name in frames)
    for name in frames:
        store.load(name)
    loaded = time.perf_counter()
    distrust()
    assert not any(store.is_trusted(name) for name in frames)
    start_validated = time.perf_counter()
    for name in frames:
        store.load(name)
    validated = time.perf_counter()
    return {f"{label} save_park": records / (saved - start),
            f"{label} load trusted": records / (loaded - saved),
            f"{label} load validated": records / (validated - start_validated)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000, help="demo plots")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every case; the best is printed")
    args = parser.parse_args()

    import pyogrio

    from layers._arrow_columns import geometry_type_name
    from layers.pgcluster import ThrowawayCluster
    from layers.postgis import TRUST_TABLE, PostGISStore
    from layers.registry import REGISTRY, get_layer
    from layers.store import GeoPackageStore, frame_to_arrow, stamp_layers

    source = GeoPackageStore(demo_park(args.parcels))
    names = [name for name in source.layer_names() if name in REGISTRY]
    frames = {name: source.load(name) for name in names}
    meta = source.read_meta()
    records = sum(len(frame) for frame in frames.values())
    print(f"store throughput on {machine()}: {records} records in {len(names)} layers "
          f"({len(frames['parcels'])} parcels)")
    rates: dict[str, float] = {}

    def keep_best(found: dict[str, float]) -> None:
        for case, rate in found.items():
            rates[case] = max(rate, rates.get(case, 0.0))

    with ThrowawayCluster() as cluster, PostGISStore(cluster.url, schema="bench") as pg:
        def distrust() -> None:
            with pg.connection() as conn:
                conn.execute(pg._sql("UPDATE {}.{} SET validated_edits = -1", pg.schema, TRUST_TABLE))

        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as workdir:
                raw = Path(workdir) / "raw.gpkg"
                start = time.perf_counter()
                for name, frame in frames.items():
                    spec = get_layer(name)
                    table = frame_to_arrow(frame, spec)
                    options = {} if spec.geometry is None else {
                        "geometry_name": "geometry", "crs": frame.crs.to_wkt(),
                        "geometry_type": geometry_type_name(frame.geometry.to_numpy(), spec.geometry)}
                    pyogrio.write_arrow(table, raw, layer=name, driver="GPKG", **options)
                wrote = time.perf_counter()
                for name in names:
                    pyogrio.read_dataframe(raw, layer=name, use_arrow=True)
                keep_best({"raw pyogrio write": records / (wrote - start),
                           "raw pyogrio read": records / (time.perf_counter() - wrote)})
                store = GeoPackageStore(Path(workdir) / "store.gpkg")
                keep_best(store_rates("GeoPackage", store, frames, meta, records,
                                      lambda: stamp_layers(store.path, frames, trusted=False)))
            keep_best(store_rates("PostGIS", pg, frames, meta, records, distrust))

    for case, rate in rates.items():
        kind = "write" if ("write" in case or "save" in case) else "read"
        ceiling = rates[f"raw pyogrio {kind}"]
        print(f" {case:<28} {rate:>10,.0f} records/s  {rate / ceiling:5.2f}× raw pyogrio {kind}", flush=True)
        record("store", f"{case} {len(frames['parcels'])} parcels", "rate", rate, "records/s")


if __name__ == "__main__":
    main()
