"""Time the overview page and the items API on demo parks of several sizes; print the figures.

    .venv/bin/python bench/bench_overview_page.py [--parcels 600 5000 10000] [--repeat 3]

For each size: building the demo park (not part of the page), the KPI summary,
building and rendering the Folium map, the whole ``GET /`` through Flask (layers
cached after the first request), the page size, and one page of 1000 parcels from
``/api/collections/parcels/items``. Times are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(repeat: int, function):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, nargs="+", default=[600, 5000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from app import create_app
    from geo.maps import map_components, overview_map
    from geo.summary import park_summary
    from layers.demo import build_demo_park
    from layers.infra_rules import default_infra_rules
    from layers.registry import spatial_layers
    from layers.rules import default_rules
    from layers.store import GeoPackageStore

    print("parcels  features  build_park_s  summary_s  map_render_s  get_page_s  page_MB  items_1000_s")
    for n in args.parcels:
        with tempfile.TemporaryDirectory() as workdir:
            path = Path(workdir) / "park.gpkg"
            start = time.perf_counter()
            build_demo_park(path, n_parcels=n)
            build_s = time.perf_counter() - start
            store = GeoPackageStore(path)
            layers = store.load_all()
            spatial = {spec.name: layers[spec.name] for spec in spatial_layers()}
            features = sum(len(frame) for frame in spatial.values())
            summary_s, _ = best_of(args.repeat, lambda: park_summary(layers, as_of=None, rules=default_rules(),
                                                                    infra_rules=default_infra_rules()))
            map_s, _ = best_of(args.repeat, lambda: map_components(overview_map(spatial)))
            client = create_app({"TESTING": True, "PARK_PATH": str(path)}).test_client()
            client.get("/")  # fills the layer cache
            page_s, response = best_of(args.repeat, lambda: client.get("/"))
            items_s, _ = best_of(args.repeat, lambda: client.get("/api/collections/parcels/items?limit=1000"))
            page_mb = len(response.get_data()) / 1e6
            print(f"{n:7d}  {features:8d}  {build_s:12.2f}  {summary_s:9.3f}  {map_s:12.2f}  {page_s:10.2f}"
                  f"  {page_mb:7.2f}  {items_s:12.3f}")


if __name__ == "__main__":
    main()
