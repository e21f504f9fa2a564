"""Time the expansion analyses on a 5 km² expansion area at 20 m cells; print the figures.

    .venv/bin/python bench/bench_expansion.py [--area-km2 5] [--cell-m 20] [--repeat 1]

The area is a square of the given size centred on the demo park's expansion area
(600 plots, built once into ``bench/out/`` as ``bench/bench_infrastructure.py`` does), so it meets the
demo's farmland, red line, forest, river, parcels and planned roads. For each phase
— developable land (constraints), suitability grid, parcelling, infrastructure
needs — it prints the seconds (best of ``--repeat``) and what was produced, then the
total of the three the issue names (suitability + constraints + parcelling) and of
all four.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area-km2", type=float, default=5.0)
    parser.add_argument("--cell-m", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    import geopandas as gpd
    import shapely
    from bench_infrastructure import best_of, park

    from geo.constraints import developable_land
    from geo.infra_needs import infrastructure_needs
    from geo.parcelling import parcel_land
    from geo.roadnet import build_road_graph
    from geo.suitability import suitability_grid
    from layers.expansion_rules import default_expansion_rules
    from layers.infra_rules import default_infra_rules
    from layers.store import GeoPackageStore

    store = GeoPackageStore(park(600))
    layers = store.load_all()
    as_of = store.read_meta().get("reference_date")
    rules, infra = default_expansion_rules(), default_infra_rules()
    zones = layers["zones"]
    centre = zones[zones["kind"] == "expansion_area"].geometry.union_all().centroid
    half = math.sqrt(args.area_km2 * 1e6) / 2.0
    area = gpd.GeoSeries([shapely.box(centre.x - half, centre.y - half, centre.x + half, centre.y + half)],
                         crs=zones.crs)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}")
    print(f"area: {area.area.sum() / 1e6:.2f} km² square on the demo expansion area, cells {args.cell_m:g} m")

    t_land, land = best_of(args.repeat, lambda: developable_land(
        area, zones=zones, parcels=layers["parcels"], roads=layers["roads"], rules=rules, infra_rules=infra,
        as_of=as_of))
    graph = build_road_graph(layers["roads"], rules=infra, include_planned=rules.suitability.include_planned_roads)
    t_grid, grid = best_of(args.repeat, lambda: suitability_grid(
        land, zones=zones, parcels=layers["parcels"], roads=layers["roads"], pipelines=layers["pipelines"],
        facilities=layers["facilities"], rules=rules, infra_rules=infra, cell_m=args.cell_m, graph=graph,
        as_of=as_of))
    t_graph, _ = best_of(args.repeat, lambda: build_road_graph(
        layers["roads"], rules=infra, include_planned=rules.suitability.include_planned_roads))
    t_plots, plots = best_of(args.repeat, lambda: parcel_land(land, roads=layers["roads"], rules=rules,
                                                              infra_rules=infra, as_of=as_of))
    t_needs, needs = best_of(args.repeat, lambda: infrastructure_needs(
        plots, roads=layers["roads"], pipelines=layers["pipelines"], facilities=layers["facilities"],
        parcels=layers["parcels"], rules=rules, infra_rules=infra, as_of=as_of))

    rows = [
        ("constraints", t_land, f"gross {land.gross_m2 / 1e6:.2f} km², net {land.net_m2 / 1e6:.2f} km²"),
        ("suitability", t_grid + t_graph, f"{len(grid.cells):,} cells ({len(grid.scored):,} scored), "
                                          f"road graph {t_graph:.2f} s of it"),
        ("parcelling", t_plots, f"{len(plots.plots)} plots, {len(plots.leftovers)} leftovers, "
                                f"{len(plots.roads)} new roads"),
        ("infrastructure needs", t_needs, f"{needs.total_cost_wan:,.0f} 万元"),
    ]
    for name, seconds, what in rows:
        print(f"{name:<22} {seconds:7.2f} s   {what}")
    core = t_land + t_grid + t_graph + t_plots
    print(f"{'suitability + constraints + parcelling':<40} {core:7.2f} s")
    print(f"{'all four':<40} {core + t_needs:7.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
