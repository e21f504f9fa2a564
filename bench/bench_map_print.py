"""The map's print and measure tools on a large park: seconds per print of the whole park, per measure.

    .venv/bin/python bench/bench_map_print.py [--parcels 5000]

The demo park of ``--parcels`` plots is generated once into ``bench/out/map_print_<n>.gpkg`` (gitignored).
With the Flask test client (no network): ``/map/print.pdf`` of the park's whole extent with every layer
(the print's feature cap lifted, so the figure says what a cap allows), then one of a view a tenth as wide,
then ``POST /api/measure`` of a 1 000-vertex polygon (``PARKATLAS_MEASURE_MAX_VERTICES``'s default). Each
is timed warm (the park's layers loaded once before the clock starts) as the best of three.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(run, times: int = 3) -> float:
    best = math.inf
    for _ in range(times):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=5000)
    args = parser.parse_args()
    from app import create_app
    from geo.crs import to_web
    from layers.demo import build_demo_park
    from layers.store import GeoPackageStore

    path = ROOT / "bench" / "out" / f"map_print_{args.parcels}.gpkg"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        build_demo_park(path, n_parcels=args.parcels)
    parcels = GeoPackageStore(path).load("parcels")
    west, south, east, north = to_web(parcels[["geometry"]]).total_bounds
    app = create_app({"TESTING": True, "PARK_PATH": str(path), "SECRET_KEY": "bench", "PRINT_MAX_FEATURES": 10**9})
    client = app.test_client()

    def print_view(bbox):
        answer = client.get("/map/print.pdf", query_string={"bbox": ",".join(f"{v:.6f}" for v in bbox),
                                                             "lang": "zh", "title": "bench"})
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        return answer

    whole = (west, south, east, north)
    first = print_view(whole)
    cx, cy, w, h = (west + east) / 2, (south + north) / 2, (east - west) / 20, (north - south) / 20
    tenth = (cx - w, cy - h, cx + w, cy + h)
    import io
    import re

    from pypdf import PdfReader

    count = re.search(r"共 ([\d,]+) 个要素", PdfReader(io.BytesIO(first.data)).pages[0].extract_text()).group(1)
    print(f"park: {args.parcels} parcels; the whole park's print draws {count} features, PDF "
          f"{len(first.data) / 1024:.0f} KiB")
    print(f"print, whole park, every layer: {best_of(lambda: print_view(whole)):.2f} s (best of 3)")
    print(f"print, a view a tenth as wide:  {best_of(lambda: print_view(tenth)):.2f} s (best of 3)")
    ring = [[cx + w * math.cos(2 * math.pi * i / 999), cy + h * math.sin(2 * math.pi * i / 999)] for i in range(999)]
    body = {"kind": "polygon", "coordinates": ring}
    assert client.post("/api/measure", json=body).status_code == 200
    print(f"measure, 999-vertex polygon:    {best_of(lambda: client.post('/api/measure', json=body)) * 1000:.1f} ms "
          "(best of 3)")


if __name__ == "__main__":
    main()
