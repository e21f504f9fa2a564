"""Generation of a year's report (issue 16) on a large park, cold: ≤ 10 s at 10⁵ parcels.

    .venv/bin/python bench/bench_report.py [--parcels 100000] [--year 2025] [--profile N]

The park is the demo park of ``--parcels`` plots (``layers.demo.generate_demo_park``:
parcels, buildings, units, leases, roads, pipelines, enterprises, enterprise_years and
cases in the demo's proportions, contracts from 2006, starts, completions, lease
starts and case closures up to 2026) with history the demo lacks: a share of the
parcels split in 2016–2025 (the parcel retired with ``valid_to``/``retired_on`` on the
split day, its two halves valid from that day) and a share of the buildings
demolished (``valid_to``). It is generated once into ``bench/out/report_<n>.gpkg``
(gitignored) and reused.

Each measurement runs in a process of its own, so that it starts cold (nothing
cached, modules imported before the clock starts) and its peak memory
(``ru_maxrss``) is its own:

* **baseline** — a raw read of the report's layers (``pyogrio.read_dataframe`` with
  Arrow, no validation), the floor any report stands on;
* **service** — a fresh ``service.park.ParkService`` over the store: the layers
  loaded and validated, then ``report(year)`` (three land analyses, the year's and
  the year before's figures, the national evaluation);
* **web** — a fresh app (its start-up check timed apart), then with the Flask test
  client ``/report.docx`` first (cold: from the stored park to the Word document, the
  figure the ≤ 10 s target is judged on), then
  ``/api/report``, ``/report.xlsx``, the page ``/report`` and ``/report.pdf`` on the cached report (the page's
  HTML size is printed too).

It prints wall and CPU seconds, the ratio to the baseline, the peak memory and
whether the target is met. ``--profile N`` adds cProfile's top N functions of the
service measurement (cumulative) on stderr. Figures go to ``bench/out/results.csv``.
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

from bench.common import OUT, machine, record  # noqa: E402

#: The issue's target for a report of a 10⁵-parcel park, seconds.
TARGET_S = 10.0
#: Share of parcels split into two in the park's history, and of buildings demolished.
SPLIT_SHARE = 0.02
DEMOLISHED_SHARE = 0.01
#: Years the splits and demolitions are spread over.
HISTORY_SPAN = (2016, 2025)
SEED = 20261206


def park_path(n_parcels: int) -> Path:
    return OUT / f"report_{n_parcels}.gpkg"


def with_history(frames: dict, rng) -> dict:
    """The demo's frames with parcels split and buildings demolished over :data:`HISTORY_SPAN` (valid time)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    def days(n: int) -> np.ndarray:
        first, last = (np.datetime64(f"{y}-01-01") for y in (HISTORY_SPAN[0], HISTORY_SPAN[1] + 1))
        span = (last - first).astype(int)
        return (first + rng.integers(0, span, n)).astype("datetime64[ms]")

    parcels = frames["parcels"].reset_index(drop=True)
    split = np.flatnonzero(rng.random(len(parcels)) < SPLIT_SHARE)
    when = days(len(split))
    old = parcels.iloc[split]
    # Only a split after the record began is a split (a parcel valid from a later contract keeps its history).
    began = pd.to_datetime(old["valid_from"]).to_numpy(dtype="datetime64[ms]")
    keep = np.isnat(began) | (began < when)
    split, when, old = split[keep], when[keep], old[keep]
    bounds = shapely.bounds(old.geometry.to_numpy())
    middle = (bounds[:, 0] + bounds[:, 2]) / 2
    halves = []
    for suffix, box in (("-A", shapely.box(bounds[:, 0] - 1, bounds[:, 1] - 1, middle, bounds[:, 3] + 1)),
                        ("-B", shapely.box(middle, bounds[:, 1] - 1, bounds[:, 2] + 1, bounds[:, 3] + 1))):
        half = old.copy()
        half["parcel_id"] = half["parcel_id"].astype(str) + suffix
        half["valid_from"] = when
        half["valid_to"] = pd.NaT
        if "area_m2" in half:
            half["area_m2"] = np.nan
        half = half.set_geometry(shapely.intersection(old.geometry.to_numpy(), box))
        halves.append(half)
    parcels.loc[split, "valid_to"] = when
    parcels.loc[split, "retired_on"] = when
    frames["parcels"] = gpd.GeoDataFrame(pd.concat([parcels, *halves], ignore_index=True), crs=parcels.crs)

    buildings = frames["buildings"].reset_index(drop=True)
    gone = np.flatnonzero(rng.random(len(buildings)) < DEMOLISHED_SHARE)
    ends = days(len(gone))
    began = pd.to_datetime(buildings.loc[gone, "valid_from"]).to_numpy(dtype="datetime64[ms]")
    keep = np.isnat(began) | (began < ends)
    buildings.loc[gone[keep], "valid_to"] = ends[keep]
    buildings.loc[gone[keep], "retired_on"] = ends[keep]
    frames["buildings"] = buildings
    return frames


def build(n_parcels: int) -> dict:
    """Generate the park, add its history and write it (validated, stamped) with the store."""
    import numpy as np

    from layers.demo import generate_demo_park
    from layers.store import GeoPackageStore

    frames, meta = generate_demo_park(n_parcels=n_parcels)
    meta.pop("demo_manifest", None)  # its cases are the demo's, not this park's
    frames = with_history(frames, np.random.default_rng(SEED))
    GeoPackageStore(park_path(n_parcels)).save_park(frames, meta)
    return {name: len(frame) for name, frame in frames.items()}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> tuple[object, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - start, time.process_time() - cpu


def measure_baseline(path: Path) -> dict:
    """Raw pyogrio reads of the report's layers, no validation."""
    import pyogrio

    from geo.annual import REPORT_LAYERS
    from geo.summary import LAND_LAYERS

    names = [n for n in dict.fromkeys((*REPORT_LAYERS, *LAND_LAYERS)) if n in {row[0] for row in
                                                                                pyogrio.list_layers(path)}]
    frames, wall, cpu = timed(lambda: {n: pyogrio.read_dataframe(path, layer=n, use_arrow=True) for n in names})
    return {"wall": wall, "cpu": cpu, "records": sum(len(f) for f in frames.values()), "peak_mb": peak_mb()}


def measure_service(path: Path, year: int, profile: int) -> dict:
    """A fresh park service: the layers loaded and validated, then ``report(year)``."""
    from geo.annual import REPORT_LAYERS
    from geo.summary import LAND_LAYERS
    from layers.store import GeoPackageStore
    from service.park import ParkService

    service = ParkService(GeoPackageStore(path))
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    _, load_wall, load_cpu = timed(lambda: service.layers(dict.fromkeys((*REPORT_LAYERS, *LAND_LAYERS))))
    report, wall, cpu = timed(lambda: service.report(year))
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(profile)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(profile)
    figures = report.current.figures
    return {"load_wall": load_wall, "load_cpu": load_cpu, "report_wall": wall, "report_cpu": cpu,
            "peak_mb": peak_mb(), "parcels": len(service.layer("parcels")),
            "check": {k: figures[k] for k in ("land_supplied_parcels", "land_supplied_mu", "projects_started",
                                              "projects_completed", "idle_year_end_parcels", "roads_completed_km",
                                              "cases_closed")},
            "score": report.evaluation.score.partial}


def measure_web(path: Path, year: int) -> dict:
    """A fresh app: the Word document cold, then the JSON, the workbook and the page on the cached report."""
    from app import create_app

    app, wall, cpu = timed(lambda: create_app({"TESTING": True, "PARK_PATH": str(path), "SECRET_KEY": "bench",
                                               "AUTH_REQUIRED": False}))
    client = app.test_client()
    out = {"app": {"wall": wall, "cpu": cpu}}
    for name, url in (("docx_cold", f"/report.docx?year={year}"), ("json", f"/api/report?year={year}"),
                      ("xlsx", f"/report.xlsx?year={year}"), ("page", f"/report?year={year}"),
                      ("pdf", f"/report.pdf?year={year}")):
        answer, wall, cpu = timed(lambda url=url: client.get(url))
        if answer.status_code != 200:
            raise SystemExit(f"{url}: {answer.status_code} {answer.get_data(as_text=True)[:500]}")
        out[name] = {"wall": wall, "cpu": cpu, "bytes": len(answer.get_data())}
    out["peak_mb"] = peak_mb()
    return out


def in_subprocess(what: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--parcels", str(args.parcels), "--year", str(args.year),
               "--profile", str(args.profile), "--measure", what]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000, help="demo plots asked of the generator")
    parser.add_argument("--year", type=int, default=2025, help="the year reported")
    parser.add_argument("--profile", type=int, default=0, help="cProfile's top N functions of the service run")
    parser.add_argument("--measure", choices=("build", "baseline", "service", "web"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = park_path(args.parcels)
    if args.measure:
        result = {"build": lambda: build(args.parcels), "baseline": lambda: measure_baseline(path),
                  "service": lambda: measure_service(path, args.year, args.profile),
                  "web": lambda: measure_web(path, args.year)}[args.measure]()
        print(json.dumps(result))
        return

    print(f"Report of {args.year}, park of {args.parcels:,} plots, on {machine()}", flush=True)
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        counts, wall, _ = timed(lambda: in_subprocess("build", args))
        print(f"  (built {path.name} in {wall:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ")")
    base = in_subprocess("baseline", args)
    service = in_subprocess("service", args)
    web = in_subprocess("web", args)
    cold = service["load_wall"] + service["report_wall"]
    rows = [
        ("raw read of the layers (baseline)", base["wall"], base["cpu"]),
        ("service: layers loaded and validated", service["load_wall"], service["load_cpu"]),
        ("service: report(year)", service["report_wall"], service["report_cpu"]),
        ("service: cold report in all", cold, service["load_cpu"] + service["report_cpu"]),
        ("web: app created (start-up check)", web["app"]["wall"], web["app"]["cpu"]),
        ("web: /report.docx, cold", web["docx_cold"]["wall"], web["docx_cold"]["cpu"]),
        ("web: /api/report, report cached", web["json"]["wall"], web["json"]["cpu"]),
        ("web: /report.xlsx, report cached", web["xlsx"]["wall"], web["xlsx"]["cpu"]),
        ("web: /report page, report cached", web["page"]["wall"], web["page"]["cpu"]),
        ("web: /report.pdf, report cached", web["pdf"]["wall"], web["pdf"]["cpu"]),
    ]
    print(f"  {service['parcels']:,} parcel records, {base['records']:,} records in the layers read")
    for label, wall, cpu in rows:
        print(f"  {label:<40} {wall:7.2f} s {cpu:7.2f} s CPU {wall / base['wall']:7.1f}× baseline", flush=True)
        record("report", f"{args.parcels} plots, {args.year}", label, wall, "s")
    print(f"  /report page HTML {web['page']['bytes'] / 1e6:.2f} MB, Word document {web['docx_cold']['bytes'] / 1e6:.2f} MB, "
          f"PDF {web['pdf']['bytes'] / 1e6:.2f} MB")
    print(f"  peak memory: baseline {base['peak_mb']:.0f} MB, service {service['peak_mb']:.0f} MB, "
          f"web {web['peak_mb']:.0f} MB")
    print(f"  figures: {service['check']}, score (partial) {service['score']}")
    record("report", f"{args.parcels} plots, {args.year}", "peak memory (service)", service["peak_mb"], "MB")
    cold_docx = web["docx_cold"]["wall"]
    verdict = "met" if cold_docx <= TARGET_S else "NOT met"
    print(f"  target ≤ {TARGET_S:.0f} s for the cold Word document: {verdict} ({cold_docx:.2f} s; "
          f"service cold report {cold:.2f} s)")


if __name__ == "__main__":
    main()
