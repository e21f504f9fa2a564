"""Time readiness, clearance conflicts and road-network distances on demo parks; print the figures.

    .venv/bin/python bench/bench_infrastructure.py [--parcels 10000 100000] [--repeat 1]

Each park is generated once with ``layers.demo.build_demo_park`` into ``bench/out/``
(gitignored) and reused by later runs. For each size it prints the feature counts
and the seconds taken by: road frontage (which roads border which parcels, shared
by the next two), readiness (nearest eligible main per network, served flags,
labels), clearance conflicts (pipe–pipe, pipe–building, under buildings), the road
graph and the multi-source network distances, and their total — the analysis
``/infrastructure`` runs once per park version. Times are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"


def best_of(repeat: int, function):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def park(n_parcels: int) -> Path:
    """The demo park of ``n_parcels`` plots in bench/out/, built when absent."""
    from layers.demo import build_demo_park

    path = OUT / f"demo_{n_parcels}.gpkg"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build_demo_park(path, n_parcels=n_parcels)
        print(f"  (built {path.name} in {time.perf_counter() - start:.1f} s)", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from geo.clearance import clearance_conflicts
    from geo.readiness import readiness
    from geo.roadnet import build_road_graph, frontage, network_distances
    from layers.infra_rules import default_infra_rules
    from layers.store import GeoPackageStore

    rules = default_infra_rules()
    print("parcels   roads  pipes  buildings  frontage_s  readiness_s  conflicts_s  graph_s  distances_s  total_s"
          "  conflicts  no_access")
    for n in args.parcels:
        store = GeoPackageStore(park(n))
        layers = {name: store.load(name) for name in ("parcels", "roads", "pipelines", "buildings", "facilities")}
        parcels, roads, pipes = layers["parcels"], layers["roads"], layers["pipelines"]
        fronting_s, fronting = best_of(args.repeat, lambda: frontage(parcels, roads, rules=rules))
        ready_s, ready = best_of(args.repeat, lambda: readiness(parcels, roads, pipes, rules=rules,
                                                                fronting=fronting))
        conflicts_s, conflicts = best_of(args.repeat, lambda: clearance_conflicts(pipes, layers["buildings"],
                                                                                   rules=rules))
        graph_s, graph = best_of(args.repeat, lambda: build_road_graph(roads, rules=rules))
        distances_s, _ = best_of(args.repeat, lambda: network_distances(parcels, roads, layers["facilities"],
                                                                         rules=rules, graph=graph,
                                                                         fronting=fronting))
        total = fronting_s + ready_s + conflicts_s + graph_s + distances_s
        no_access = int((~ready["road_access"].to_numpy(dtype=bool)).sum())
        print(f"{len(parcels):>7}  {len(roads):>6}  {len(pipes):>5}  {len(layers['buildings']):>9}"
              f"  {fronting_s:>10.2f}  {ready_s:>11.2f}  {conflicts_s:>11.2f}  {graph_s:>7.2f}"
              f"  {distances_s:>11.2f}  {total:>7.2f}  {len(conflicts):>9}  {no_access:>9}", flush=True)


if __name__ == "__main__":
    main()
