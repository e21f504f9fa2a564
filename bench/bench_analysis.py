"""Time and peak memory of the full land analysis on demo parks, next to a naive per-row version.

    .venv/bin/python bench/bench_analysis.py [--parcels 10000 100000 1000000] [--buildings N …]
                                             [--naive 10000] [--profile]

Runs what ``flask --app app analyse`` runs: every registered layer loaded and
validated from the park's GeoPackage, the park's land and infrastructure rules,
then the whole ``geo.analysis.analyse_land(…, infra_rules=…)`` (utilisation, idle
land, 亩均, inefficient land, vacancy and site readiness). Each park is generated
once with ``layers.demo.build_demo_park`` into ``bench/out/`` (gitignored) and
reused. Every measurement runs in its own subprocess so that its peak resident
memory (``ru_maxrss``) is its own. For each size it prints the feature counts,
load and analysis seconds (wall and CPU), the peak memory after loading and at the
end, and the seconds of each analysis step (``--profile`` adds cProfile's top
functions on stderr).

``--buildings`` asks for that many buildings per park (one number per
``--parcels`` value, or one for all; default 2 per plot asked, the issue's
10⁶ parcels with 2·10⁶ buildings; 0 keeps the park's own). The demo parks have
fewer (872 635 at 10⁶), so :func:`split_buildings` cuts footprints into strips
without rebuilding the park; the split layer is written once to
``bench/out/demo_<n>_buildings_<m>.gpkg`` and loaded (validated) in place of the
park's buildings. Coverage and FAR per parcel before and after the split are
printed to show they stay put.

``--naive`` times a per-row Python implementation of the same utilisation and idle
rules (a loop over parcels using a spatial index, then calendar arithmetic per
row) on that many parcels and checks it agrees with the vectorised result.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import demo_park, machine, record  # noqa: E402

#: Strips at the outer ends and sides reach this fraction beyond the footprint's rectangle, so that
#: rounding in the rectangle's corners never shaves a sliver off the footprint.
_MARGIN = 0.01


def split_buildings(buildings: gpd.GeoDataFrame, n_buildings: int, *, id_separator: str = "-s") -> gpd.GeoDataFrame:
    """Cut the largest footprints into strips along their longer axis until there are ``n_buildings``.

    Pieces per building are chosen so that the largest piece is as small as it can
    be (the result of repeatedly halving the largest footprint): ``ceil(area / a)``
    strips with ``a`` found by bisection, then the surplus taken off the buildings
    whose pieces stay smallest. Each building is cut across its minimum rotated
    rectangle's longer side into equal strips, then intersected with its footprint,
    so the pieces tile it exactly. Only convex footprints are cut (a strip of one is
    one polygon); others stay whole.

    The first piece keeps the original ``building_id`` (units and leases still
    resolve); the others get ``<id><id_separator><j>``. Every other attribute is
    copied, except ``gfa_m2``, which is shared by footprint area so that floor area
    per parcel stays the same.

    Returns
    -------
    GeoDataFrame of ``n_buildings`` rows (or the input's copy when it already has as
    many), pieces of one building adjacent, index reset.
    """
    n = len(buildings)
    extra = n_buildings - n
    if extra <= 0:
        return buildings.reset_index(drop=True)
    geoms = buildings.geometry.to_numpy()
    area = shapely.area(geoms)
    convex = area >= shapely.area(shapely.convex_hull(geoms)) * (1 - 1e-9)
    envelope = shapely.oriented_envelope(geoms)
    convex &= (shapely.get_type_id(envelope) == 3) & (area > 0)
    cuttable = np.where(convex, area, 0.0)
    if extra > int(np.count_nonzero(convex)) * 10_000:
        msg = f"cannot make {n_buildings} buildings from {np.count_nonzero(convex)} convex footprints"
        raise ValueError(msg)

    def pieces_for(a: float) -> np.ndarray:
        return np.where(convex, np.maximum(np.ceil(cuttable / a), 1), 1).astype(np.int64)

    low, high = 0.0, float(cuttable.max())  # pieces_for(high) gives n; a → 0 gives ever more
    for _ in range(100):
        mid = (low + high) / 2
        if pieces_for(mid).sum() >= n_buildings:
            low = mid
        else:
            high = mid
    k = pieces_for(low)
    surplus = int(k.sum() - n_buildings)
    if surplus > 0:
        # Take one strip off the buildings whose pieces would stay smallest with one strip fewer.
        after = np.where(k > 1, cuttable / np.maximum(k - 1, 1), np.inf)
        k[np.argsort(after, kind="stable")[:surplus]] -= 1

    # The rectangle's corners p0, p1, p3: the strips run across the longer of p0→p1, p0→p3.
    corners = shapely.get_coordinates(envelope[convex]).reshape(-1, 5, 2)
    p0, e1, e2 = corners[:, 0], corners[:, 1] - corners[:, 0], corners[:, 3] - corners[:, 0]
    first_longer = (e1**2).sum(axis=1) >= (e2**2).sum(axis=1)
    long_side = np.where(first_longer[:, None], e1, e2)
    short_side = np.where(first_longer[:, None], e2, e1)
    row = np.flatnonzero(convex)  # buildings that have a rectangle, in rectangle order
    k_cut = k[row]
    rect = np.repeat(np.arange(len(row)), k_cut)
    j = np.arange(len(rect)) - np.repeat(np.cumsum(k_cut) - k_cut, k_cut)  # strip number within its building
    kk = k_cut[rect]
    # Shared edges between strips use the same expression (j / k), so neighbours meet exactly.
    t0 = np.where(j == 0, -_MARGIN, j / kk)
    t1 = np.where(j == kk - 1, 1 + _MARGIN, (j + 1) / kk)
    s0, s1 = -_MARGIN, 1 + _MARGIN
    origin, along, across = p0[rect], long_side[rect], short_side[rect]
    ring = np.stack([origin + along * t0[:, None] + across * s0, origin + along * t1[:, None] + across * s0,
                     origin + along * t1[:, None] + across * s1, origin + along * t0[:, None] + across * s1,
                     origin + along * t0[:, None] + across * s0], axis=1)
    strips = shapely.polygons(ring)
    building_of_strip = row[rect]
    pieces = shapely.intersection(geoms[building_of_strip], strips)
    if not (shapely.get_type_id(pieces) == 3).all():
        msg = "a strip of a convex footprint is not one polygon"
        raise AssertionError(msg)

    # Whole buildings (not cut) keep their geometry; put every piece of a building together.
    whole = np.flatnonzero(~convex)
    source = np.concatenate([building_of_strip, whole])
    piece_no = np.concatenate([j, np.zeros(len(whole), dtype=np.int64)])
    new_geoms = np.concatenate([pieces, geoms[whole]])
    order = np.lexsort((piece_no, source))
    source, piece_no, new_geoms = source[order], piece_no[order], new_geoms[order]

    out = buildings.iloc[source].reset_index(drop=True)
    ids = out["building_id"].astype(str)
    suffixed = ids + id_separator + pd.Series(piece_no, dtype=str).to_numpy()
    out["building_id"] = ids.where(piece_no == 0, suffixed)
    if out["building_id"].duplicated().any():
        msg = f"split building ids are not unique (separator {id_separator!r} already used in building_id)"
        raise ValueError(msg)
    if "gfa_m2" in out:
        with np.errstate(divide="ignore", invalid="ignore"):
            share = shapely.area(new_geoms) / area[source]
        out["gfa_m2"] = out["gfa_m2"].to_numpy(dtype=float, na_value=np.nan) * np.where(area[source] > 0, share, 1)
    return gpd.GeoDataFrame(out.drop(columns=buildings.geometry.name), geometry=new_geoms, crs=buildings.crs)


def coverage_and_far(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """Building coefficient (coverage) and FAR per parcel, as ``geo.utilisation`` computes them."""
    from geo.utilisation import building_floor_areas, building_parcel_pairs, per_parcel_sums
    from layers.rules import default_rules

    pairs = building_parcel_pairs(parcels, buildings)
    floors = building_floor_areas(buildings, rules=default_rules()).reset_index(drop=True)
    sums = per_parcel_sums(pairs, floors[["footprint_m2", "far_gfa_m2"]], len(parcels))
    area = shapely.area(parcels.geometry.to_numpy())
    return pd.DataFrame({"coverage": sums["footprint_m2"].to_numpy() / area,
                         "far": sums["far_gfa_m2"].to_numpy() / area,
                         "footprint_m2": sums["footprint_m2"].to_numpy(),
                         "far_gfa_m2": sums["far_gfa_m2"].to_numpy()})


def split_park_buildings(park: Path, n_buildings: int, out: Path) -> dict:
    """Write the park's buildings split to ``n_buildings`` into ``out``; coverage and FAR before and after."""
    from layers.store import GeoPackageStore

    store = GeoPackageStore(park)
    parcels = store.load("parcels")
    buildings = store.load("buildings")
    start = time.perf_counter()
    split = split_buildings(buildings, n_buildings)
    split_s = time.perf_counter() - start
    before, after = coverage_and_far(parcels, buildings), coverage_and_far(parcels, split)
    GeoPackageStore(out).save_park({"buildings": split}, store.read_meta())
    built = (before["footprint_m2"] > 0).to_numpy()
    report = {"buildings_before": len(buildings), "buildings_after": len(split), "split_s": split_s,
              "footprint_m2_before": float(before["footprint_m2"].sum()),
              "footprint_m2_after": float(after["footprint_m2"].sum()),
              "far_gfa_m2_before": float(before["far_gfa_m2"].sum()),
              "far_gfa_m2_after": float(after["far_gfa_m2"].sum()),
              "mean_coverage_before": float(before["coverage"][built].mean()),
              "mean_coverage_after": float(after["coverage"][built].mean()),
              "mean_far_before": float(before["far"][built].mean()),
              "mean_far_after": float(after["far"][built].mean()),
              "max_abs_coverage_change": float(np.nanmax(np.abs(after["coverage"] - before["coverage"]))),
              "max_abs_far_change": float(np.nanmax(np.abs(after["far"] - before["far"]))),
              "parcels_with_buildings": int(built.sum())}
    out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    return report


def split_park(park: Path, n_buildings: int) -> tuple[Path, dict]:
    """bench/out/<park>_buildings_<n>.gpkg, made (in a subprocess) when absent, and its before/after report."""
    out = park.with_name(f"{park.stem}_buildings_{n_buildings}.gpkg")
    if not out.exists():
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--split", str(park), str(n_buildings), str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"  (split the buildings of {park.name} into {out.name} in {time.perf_counter() - start:.0f} s)",
              flush=True)
    return out, json.loads(out.with_suffix(".json").read_text())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    """Resident memory of this process now (MB; Linux): what the loaded layers hold, apart from the load's peak."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def cpu_s() -> float:
    """CPU seconds of this process: beside wall time it shows how much other work on the machine slowed a run."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StepTimer:
    """Wall seconds per named step, by wrapping functions (a top step inside another top step is not counted twice)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        #: How far each step raised the process's peak resident memory (MB), for the steps that did.
        self.raised_mb: dict[str, float] = {}
        #: Resident memory (MB) when each step last returned: what it left behind.
        self.resident_mb: dict[str, float] = {}
        self.depth = 0

    def timed(self, function, label: str, *, nested: bool = False):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            counted = nested or self.depth == 0
            self.depth += 0 if nested else 1
            start, peak = time.perf_counter(), peak_mb()
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 0 if nested else 1
                if counted:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
                    self.resident_mb[label] = rss_mb()
                    if peak_mb() > peak:
                        self.raised_mb[label] = self.raised_mb.get(label, 0.0) + peak_mb() - peak

        return timed

    def wrap(self, module, name: str, label: str | None = None, *, nested: bool = False) -> None:
        setattr(module, name, self.timed(getattr(module, name), label or name, nested=nested))


#: Top-level steps of ``analyse_land`` (functions it calls by these names in ``geo.analysis``; those absent in
#: this version are skipped) and, indented, those inside readiness (likewise).
STEPS = ("_layer", "building_parcel_pairs", "sorted_pairs", "building_floor_areas", "utilisation", "idle_land",
         "readiness", "_readiness", "building_parcel", "muju_evaluation", "inefficient_land", "unit_vacancy",
         "vacancy_by", "park_vacancy", "overlapping_leases", "vacancy_trend", "area_ratios")
READINESS_STEPS = ("frontage", "served_in_roads", "any_within", "near_pairs", "nearest_distance")


def measure(path: Path, buildings_path: Path | None, profile: bool, inline: bool = False) -> dict:
    """Load every layer and the rules as ``flask analyse`` does, then run the whole analysis (in this process)."""
    import datetime as dt

    import geo.analysis as analysis
    import geo.readiness as readiness_module
    from layers.infra_rules import infra_rules_for_park
    from layers.registry import REGISTRY
    from layers.rules import rules_for_park
    from layers.store import GeoPackageStore

    start = time.perf_counter()
    cpu_start = cpu_s()
    store = GeoPackageStore(path)
    meta = store.read_meta()
    load_s = {}
    layers = {}
    for name in REGISTRY:
        t = time.perf_counter()
        source = GeoPackageStore(buildings_path) if name == "buildings" and buildings_path else store
        layers[name] = source.load(name)
        load_s[name] = time.perf_counter() - t
    rules = rules_for_park(path)
    infra = infra_rules_for_park(path)
    day = dt.date.fromisoformat(str(meta["reference_date"]))
    loaded = time.perf_counter()
    cpu_loaded = cpu_s()
    peak_loaded, rss_loaded = peak_mb(), rss_mb()

    timer = StepTimer()
    steps = [name for name in STEPS if callable(getattr(analysis, name, None))]
    for name in steps:
        timer.wrap(analysis, name)
    for name in READINESS_STEPS:
        if callable(getattr(readiness_module, name, None)):
            timer.wrap(readiness_module, name, f"  readiness: {name}", nested=True)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    import functools

    steps_fn = functools.partial(analysis.parcel_steps, background=not inline)
    result = analysis.analyse_land(layers, as_of=day, rules=rules, infra_rules=infra, steps=steps_fn)
    done = time.perf_counter()
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        print(text.getvalue(), file=sys.stderr)
    top = sum(timer.seconds.get(name, 0.0) for name in steps)
    steps = {name: timer.seconds[name] for name in (*steps, *(f"  readiness: {s}" for s in READINESS_STEPS))
             if name in timer.seconds}
    steps["other (frames, joins)"] = (done - loaded) - top
    parcels = result.parcels
    return {"parcels": len(layers["parcels"]), "buildings": len(layers["buildings"]), "units": len(layers["units"]),
            "leases": len(layers["leases"]), "roads": len(layers["roads"]), "pipelines": len(layers["pipelines"]),
            "records": int(sum(len(frame) for frame in layers.values())),
            "load_s": loaded - start, "load_cpu_s": cpu_loaded - cpu_start, "load_by_layer_s": load_s,
            "analysis_s": done - loaded, "analysis_cpu_s": cpu_s() - cpu_loaded, "steps_s": steps,
            "readiness": result.readiness,
            "idle": int(parcels["idle_status"].isin(["idle_fee", "idle_reclaim", "stalled_idle"]).sum()),
            "ready_labels": int(parcels["readiness_label"].notna().sum()) if result.readiness else 0,
            "peak_loaded_mb": peak_loaded, "rss_loaded_mb": rss_loaded, "peak_mb": peak_mb(),
            "raised_mb": timer.raised_mb, "resident_mb": timer.resident_mb}


def naive(path: Path, n: int) -> dict:
    """The utilisation and idle rules row by row (spatial index per parcel), checked against the vectorised ones."""
    import datetime as dt

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
    return value is None or pd.isna(value)


def child(*args: str) -> dict:
    output = subprocess.run([sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def uptime() -> str:
    """The load averages (1, 5, 15 min): how busy the shared machine was."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--buildings", type=int, nargs="+", default=None,
                        help="buildings per park (one per --parcels, or one for all; 0: the park's own; "
                             "default 2 per plot)")
    parser.add_argument("--naive", type=int, default=10_000, help="parcels for the per-row version (0: skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions of each analysis, on stderr")
    parser.add_argument("--readiness-thread", action="store_true",
                        help="readiness beside the land steps in a second thread, as `flask analyse` does (the "
                             "default; kept so that earlier commands still run)")
    parser.add_argument("--readiness-inline", action="store_true",
                        help="readiness after the land steps, in the main thread, as `analyse --readiness-inline`")
    parser.add_argument("--split", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--naive-run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.split:
        print(json.dumps(split_park_buildings(Path(args.split[0]), int(args.split[1]), Path(args.split[2]))))
        return
    if args.measure:
        buildings_path = Path(args.measure[1]) if args.measure[1] != "-" else None
        mode = args.measure[2].split(",")
        print(json.dumps(measure(Path(args.measure[0]), buildings_path, "profile" in mode, "inline" in mode)))
        return
    if args.naive_run:
        print(json.dumps(naive(Path(args.naive_run[0]), int(args.naive_run[1]))))
        return

    wanted = args.buildings or [2 * n for n in args.parcels]
    if len(wanted) == 1:
        wanted = wanted * len(args.parcels)
    if len(wanted) != len(args.parcels):
        parser.error("--buildings takes one number, or one per --parcels value")
    print(f"full land analysis as `flask --app app analyse` runs it (utilisation, idle, 亩均, inefficiency, "
          f"vacancy, readiness); {machine()}")
    for n, n_buildings in zip(args.parcels, wanted):
        path = demo_park(n)
        buildings_path = None
        if n_buildings:
            buildings_path, split = split_park(path, n_buildings)
            if split["buildings_after"] > split["buildings_before"]:
                print(f"\n{path.name}: buildings split {split['buildings_before']} → {split['buildings_after']} "
                      f"({split['split_s']:.1f} s); per parcel with buildings "
                      f"({split['parcels_with_buildings']}), before → after:")
                print(f"  mean coverage {split['mean_coverage_before']:.6f} → {split['mean_coverage_after']:.6f}, "
                      f"mean FAR {split['mean_far_before']:.6f} → {split['mean_far_after']:.6f}; "
                      f"largest change: coverage {split['max_abs_coverage_change']:.2e}, "
                      f"FAR {split['max_abs_far_change']:.2e}")
                print(f"  park footprint {split['footprint_m2_before']:,.0f} → "
                      f"{split['footprint_m2_after']:,.0f} m², FAR floor area {split['far_gfa_m2_before']:,.0f} → "
                      f"{split['far_gfa_m2_after']:,.0f} m²")
            else:
                buildings_path = None
        load_before = uptime()
        mode = ",".join(["profile" if args.profile else "time"] + (["inline"] if args.readiness_inline else []))
        r = child("--measure", str(path), str(buildings_path or "-"), mode)
        load_after = uptime()
        case = f"{r['parcels']} parcels, {r['buildings']} buildings"
        print(f"\n{case}, {r['units']} units, {r['leases']} leases, {r['roads']} roads, {r['pipelines']} pipelines "
              f"({r['records']} records); load average {load_before} before, {load_after} after")
        total = r["load_s"] + r["analysis_s"]
        print(f"  load      {r['load_s']:7.1f} s wall {r['load_cpu_s']:7.1f} s CPU"
              f"   peak {r['peak_loaded_mb']:7.0f} MB   resident after it {r['rss_loaded_mb']:7.0f} MB")
        print(f"  analysis  {r['analysis_s']:7.1f} s wall {r['analysis_cpu_s']:7.1f} s CPU"
              f"   peak {r['peak_mb']:7.0f} MB"
              f"   (readiness {'computed' if r['readiness'] else 'NOT computed'})")
        print(f"  total     {total:7.1f} s wall {r['load_cpu_s'] + r['analysis_cpu_s']:7.1f} s CPU")
        print("  load by layer: " + ", ".join(f"{k} {v:.1f}" for k, v in r["load_by_layer_s"].items() if v >= 0.05))
        print("  analysis steps (s):")
        for step, seconds in r["steps_s"].items():
            raised = r["raised_mb"].get(step)
            resident = r["resident_mb"].get(step)
            print(f"    {step:<32} {seconds:7.2f}" + (f"   resident after {resident:5.0f} MB" if resident else "")
                  + (f"   peak +{raised:.0f} MB" if raised else ""))
        for metric, value, unit in (("load_s", r["load_s"], "s"), ("analysis_s", r["analysis_s"], "s"),
                                    ("analysis_cpu_s", r["analysis_cpu_s"], "s"), ("total_s", total, "s"),
                                    ("peak_rss", r["peak_mb"], "MB")):
            record("analysis", case, metric, value, unit)
    if args.naive:
        path = demo_park(max(args.naive, 10_000))
        r = child("--naive-run", str(path), str(args.naive))
        print("\nper-row version of the utilisation and idle rules (spatial index, Python loop) vs vectorised")
        print(" parcels  naive_s  vectorised_s  speed-up  same_footprint  same_idle_status  peak_MB")
        print(f"{r['parcels']:>8}  {r['naive_s']:>7.1f}  {r['vector_s']:>12.2f}  {r['naive_s'] / r['vector_s']:>7.0f}×"
              f"  {str(r['same_footprint']):>14}  {str(r['same_idle_status']):>16}  {r['peak_mb']:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
