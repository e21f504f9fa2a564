"""Time and peak memory of the full land analysis on demo parks, next to a naive per-row version.

    .venv/bin/python bench/bench_analysis.py [--parcels 10000 100000 1000000] [--naive 10000]

Each park is generated once with ``layers.demo.build_demo_park`` into ``bench/out/``
(gitignored) and reused by later runs. Every measurement runs in its own
subprocess so that its peak resident memory (``ru_maxrss``) is its own. For each
size it prints the feature counts, the seconds to load the layers, the seconds of
``geo.analysis.analyse_land`` (utilisation, idle land, 亩均, inefficient land,
vacancy), and the peak memory. ``--naive`` times a per-row Python implementation
of the same utilisation and idle rules (a loop over parcels using a spatial
index, then calendar arithmetic per row) on that many parcels and checks it
agrees with the vectorised result.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
LAYERS = ("parcels", "buildings", "units", "leases", "enterprises", "enterprise_years")


def park(n_parcels: int) -> Path:
    """The demo park of ``n_parcels`` plots in bench/out/, built (in a subprocess) when absent."""
    path = OUT / f"demo_{n_parcels}.gpkg"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", str(n_parcels), str(path)], check=True)
        print(f"  (built {path.name} in {time.perf_counter() - start:.1f} s)", flush=True)
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_s() -> float:
    """CPU seconds of this process: beside wall time it shows how much other work on the machine slowed a run."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path) -> dict:
    """Load the layers and run the full analysis (in this process)."""
    from geo.analysis import analyse_land
    from layers.rules import default_rules
    from layers.store import GeoPackageStore

    store = GeoPackageStore(path)
    start = time.perf_counter()
    layers = {name: store.load(name) for name in LAYERS}
    as_of = store.read_meta()["reference_date"]
    loaded = time.perf_counter()
    cpu_before = cpu_s()
    result = analyse_land(layers, as_of=as_of, rules=default_rules())
    done = time.perf_counter()
    cpu_analysis = cpu_s() - cpu_before
    return {"parcels": len(layers["parcels"]), "buildings": len(layers["buildings"]), "units": len(layers["units"]),
            "leases": len(layers["leases"]), "load_s": loaded - start, "analysis_s": done - loaded,
            "analysis_cpu_s": cpu_analysis,
            "idle": int(result.parcels["idle_status"].isin(["idle_fee", "idle_reclaim", "stalled_idle"]).sum()),
            "peak_mb": peak_mb()}


def naive(path: Path, n: int) -> dict:
    """The utilisation and idle rules row by row (spatial index per parcel), checked against the vectorised ones."""
    import datetime as dt

    import numpy as np
    import shapely

    from geo.idle import idle_land
    from geo.utilisation import building_floor_areas, utilisation
    from layers.rules import default_rules
    from layers.store import GeoPackageStore

    rules = default_rules()
    store = GeoPackageStore(path)
    parcels = store.load("parcels").iloc[:n]
    buildings = store.load("buildings")
    as_of = dt.date.fromisoformat(store.read_meta()["reference_date"])
    floors = building_floor_areas(buildings, rules=rules)  # per-building parsing is not what is compared
    start = time.perf_counter()
    tree = shapely.STRtree(buildings.geometry.to_numpy())
    footprints, far_gfa, statuses = [], [], []
    idle = rules.idle

    def anniversary(day: dt.date, years: int) -> dt.date:
        try:
            return day.replace(year=day.year + years)
        except ValueError:  # 29 February
            return dt.date(day.year + years, 2, 28)

    for row in parcels.itertuples():
        geom = row.geometry
        footprint = gfa = 0.0
        for b in tree.query(geom, predicate="intersects"):
            building = buildings.geometry.iloc[b]
            inside = shapely.area(shapely.intersection(building, geom))
            footprint += inside
            gfa += floors["far_gfa_m2"].iloc[b] * inside / building.area
        footprints.append(footprint)
        far_gfa.append(gfa)
        status = None
        agreed = row.agreed_start_date.date() if not pd_isna(row.agreed_start_date) else None
        started = row.actual_start_date.date() if not pd_isna(row.actual_start_date) else None
        if row.status in ("planned", "approved_unsupplied", "reclaimed"):
            status = "not_supplied"
        elif row.tenure in idle.tenures and (started is None or started > as_of) and agreed is not None:
            cause = row.delay_cause if isinstance(row.delay_cause, str) else None
            if as_of >= anniversary(agreed, idle.fee_after_years):
                if cause in idle.exempt_causes:
                    status = "exempt"
                elif as_of >= anniversary(agreed, idle.reclaim_after_years):
                    status = "idle_reclaim"
                else:
                    status = "idle_fee"
            else:
                status = "on_track" if agreed >= as_of else "overdue"
        statuses.append(status)
    elapsed = time.perf_counter() - start
    vector_start = time.perf_counter()
    util = utilisation(parcels, buildings, as_of=as_of, rules=rules)
    vector_idle = idle_land(parcels, buildings, as_of=as_of, rules=rules)
    vector_s = time.perf_counter() - vector_start
    same_area = bool(np.allclose(util["footprint_m2"].to_numpy(), footprints, rtol=1e-9, atol=1e-6))
    judged = [i for i, s in enumerate(statuses) if s is not None]
    same_idle = bool((vector_idle["idle_status"].iloc[judged].to_numpy() == np.array(statuses, dtype=object)[
        judged]).all())
    return {"parcels": len(parcels), "naive_s": elapsed, "vector_s": vector_s, "same_footprint": same_area,
            "same_idle_status": same_idle, "peak_mb": peak_mb()}


def pd_isna(value) -> bool:
    import pandas as pd

    return value is None or pd.isna(value)


def child(*args: str) -> dict:
    output = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--naive", type=int, default=10_000, help="parcels for the per-row version (0: skip)")
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--naive-run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        from layers.demo import build_demo_park

        build_demo_park(Path(args.build[1]), n_parcels=int(args.build[0]))
        return
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return
    if args.naive_run:
        print(json.dumps(naive(Path(args.naive_run[0]), int(args.naive_run[1]))))
        return

    print("full land analysis (utilisation, idle, 亩均, inefficiency, vacancy), vectorised")
    print(" parcels  buildings    units   leases  load_s  analysis_s  analysis_cpu_s  peak_MB  idle_parcels")
    for n in args.parcels:
        path = park(n)
        r = child("--measure", str(path))
        print(f"{r['parcels']:>8}  {r['buildings']:>9}  {r['units']:>7}  {r['leases']:>7}  {r['load_s']:>6.1f}"
              f"  {r['analysis_s']:>10.1f}  {r['analysis_cpu_s']:>14.1f}  {r['peak_mb']:>7.0f}  {r['idle']:>12}",
              flush=True)
    if args.naive:
        path = park(max(args.naive, 10_000))
        r = child("--naive-run", str(path), str(args.naive))
        print("\nper-row version of the utilisation and idle rules (spatial index, Python loop) vs vectorised")
        print(f" parcels  naive_s  vectorised_s  speed-up  same_footprint  same_idle_status  peak_MB")
        print(f"{r['parcels']:>8}  {r['naive_s']:>7.1f}  {r['vector_s']:>12.2f}  {r['naive_s'] / r['vector_s']:>7.0f}×"
              f"  {str(r['same_footprint']):>14}  {str(r['same_idle_status']):>16}  {r['peak_mb']:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
